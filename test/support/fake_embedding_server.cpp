#include "fake_embedding_server.h"

#include "embed/embedder.h"

#include <chrono>
#include <httplib.h>
#include <nlohmann/json.hpp>

namespace omnigraph::testing {

struct FakeEmbeddingServer::Impl {
    std::string key;
    unsigned default_dim;
    httplib::Server server;
    int port = 0;
    std::thread thread;
    mutable std::mutex mu;
    std::deque<Fault> faults;
    std::vector<Request> seen;
};

namespace {

nlohmann::json vector_json(const std::vector<float>& v) {
    auto out = nlohmann::json::array();
    for (float x : v)
        out.push_back(x);
    return out;
}

} // namespace

FakeEmbeddingServer::FakeEmbeddingServer(std::string key, unsigned default_dim)
    : impl_(std::make_unique<Impl>()) {
    impl_->key = std::move(key);
    impl_->default_dim = default_dim;
    Impl* s = impl_.get();
    auto handle = [this, s](const httplib::Request& req, httplib::Response& res, bool gemini) {
        Request r{req.path, req.get_header_value("Authorization"),
                  req.get_header_value("x-goog-api-key"), req.body};
        std::optional<Fault> fault;
        {
            std::lock_guard lock(s->mu);
            s->seen.push_back(r);
            if (!s->faults.empty()) {
                fault = s->faults.front();
                s->faults.pop_front();
            }
        }
        std::string presented = gemini ? r.goog_key : r.authorization;
        std::string expected = gemini ? s->key : "Bearer " + s->key;
        if (presented != expected) {
            res.status = 401;
            res.set_content("{\"error\":\"bad key: " + presented + "\"}", "application/json");
            return;
        }
        if (fault == Fault::kTooMany || fault == Fault::kTooManyRetryAfter1s) {
            res.status = 429;
            if (fault == Fault::kTooManyRetryAfter1s)
                res.set_header("Retry-After", "1");
            res.set_content("{\"error\":\"slow down\"}", "application/json");
            return;
        }
        if (fault == Fault::kServerError) {
            res.status = 500;
            res.set_content("oops", "text/plain");
            return;
        }
        if (fault == Fault::kSlow)
            std::this_thread::sleep_for(std::chrono::milliseconds(slow_ms));
        if (fault == Fault::kMalformed) {
            res.set_content("{\"data\": [{\"embedding\": \"nope\"", "application/json");
            return;
        }
        auto body = nlohmann::json::parse(req.body, nullptr, false);
        nlohmann::json out;
        unsigned extra = fault == Fault::kWrongDim ? 1 : 0;
        if (gemini) {
            out["embeddings"] = nlohmann::json::array();
            for (const auto& one : body["requests"]) {
                unsigned dim = one.value("outputDimensionality", s->default_dim) + extra;
                std::string text = one["content"]["parts"][0]["text"];
                out["embeddings"].push_back(
                    {{"values", vector_json(embed::mock_embedding("fake", text, dim))}});
            }
        } else {
            out["object"] = "list";
            out["data"] = nlohmann::json::array();
            unsigned dim = body.value("dimensions", s->default_dim) + extra;
            size_t i = 0;
            // Answered in reverse order: clients must place entries by `index`.
            std::vector<nlohmann::json> entries;
            for (const auto& text : body["input"])
                entries.push_back({{"object", "embedding"},
                                   {"index", i++},
                                   {"embedding", vector_json(embed::mock_embedding(
                                                     "fake", text.get<std::string>(), dim))}});
            for (auto it = entries.rbegin(); it != entries.rend(); ++it)
                out["data"].push_back(*it);
            out["model"] = body.value("model", "");
        }
        res.set_content(out.dump(), "application/json");
    };
    s->server.Post("/v1/embeddings", [handle](const httplib::Request& q, httplib::Response& r) {
        handle(q, r, false);
    });
    s->server.Post(
        R"(/v1beta/models/([^/]+):batchEmbedContents)",
        [handle](const httplib::Request& q, httplib::Response& r) { handle(q, r, true); });
    s->port = s->server.bind_to_any_port("127.0.0.1");
    s->thread = std::thread([s] { s->server.listen_after_bind(); });
    // Requests queue on the bound socket until listen starts; wait so the first is not slow.
    while (!s->server.is_running())
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

FakeEmbeddingServer::~FakeEmbeddingServer() {
    impl_->server.stop();
    impl_->thread.join();
}

std::string FakeEmbeddingServer::openai_base() const {
    return "http://127.0.0.1:" + std::to_string(impl_->port) + "/v1";
}
std::string FakeEmbeddingServer::gemini_base() const {
    return "http://127.0.0.1:" + std::to_string(impl_->port) + "/v1beta";
}

void FakeEmbeddingServer::push_fault(Fault fault, int count) {
    std::lock_guard lock(impl_->mu);
    for (int i = 0; i < count; ++i)
        impl_->faults.push_back(fault);
}

std::vector<FakeEmbeddingServer::Request> FakeEmbeddingServer::requests() const {
    std::lock_guard lock(impl_->mu);
    return impl_->seen;
}

size_t FakeEmbeddingServer::request_count() const {
    std::lock_guard lock(impl_->mu);
    return impl_->seen.size();
}

} // namespace omnigraph::testing
