// The baseline of the server benchmark: a plain cpp-httplib server answering a small JSON body,
// tuned the way a fast hand-written service would be (TCP_NODELAY, a worker per connection,
// unbounded keep-alive). Prints `LISTEN_ADDR=127.0.0.1:<port>` once bound.
#include <httplib.h>
#include <iostream>

int main() {
    httplib::Server server;
    server.new_task_queue = [] { return new httplib::ThreadPool(256); };
    server.set_tcp_nodelay(true);
    server.set_keep_alive_max_count(1u << 30);
    server.Post("/hello", [](const httplib::Request&, httplib::Response& res) {
        res.set_content(R"({"hello":"world"})", "application/json");
    });
    int port = server.bind_to_any_port("127.0.0.1");
    std::cout << "LISTEN_ADDR=127.0.0.1:" << port << std::endl;
    server.listen_after_bind();
}
