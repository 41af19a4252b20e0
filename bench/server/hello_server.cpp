// The baseline of the server benchmark: a plain cpp-httplib server answering a small JSON body,
// tuned the way a fast hand-written service would be (TCP_NODELAY, a worker per connection,
// unbounded keep-alive, the listen backlog raised from cpp-httplib's 5 to SOMAXCONN exactly as
// omnigraph-server does). Prints `LISTEN_ADDR=127.0.0.1:<port>` once bound.
#include <httplib.h>
#include <iostream>
#include <sys/socket.h>

int main() {
    httplib::Server server;
    server.new_task_queue = [] { return new httplib::ThreadPool(256); };
    server.set_tcp_nodelay(true);
    server.set_keep_alive_max_count(1u << 30);
    int listen_fd = -1;
    server.set_socket_options([&](int sock) {
        int yes = 1;
        ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
        listen_fd = sock;
    });
    server.Post("/hello", [](const httplib::Request&, httplib::Response& res) {
        res.set_content(R"({"hello":"world"})", "application/json");
    });
    int port = server.bind_to_any_port("127.0.0.1");
    ::listen(listen_fd, SOMAXCONN);
    std::cout << "LISTEN_ADDR=127.0.0.1:" << port << std::endl;
    server.listen_after_bind();
}
