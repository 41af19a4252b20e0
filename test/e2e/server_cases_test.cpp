// The server cases of spec server-policy.md §6 as data: each test/e2e/server_cases/*.cases file
// (format in server_cases/README.md) is one test. Fixtures are clusters built with the real CLI,
// served by the real omnigraph-server on 127.0.0.1 (one process per fixture and file), and
// driven over HTTP.
#include "server_fixtures/server_process.h"
#include "test_support.h"

#include <algorithm>
#include <barrier>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <httplib.h>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace omnigraph::testing {
namespace {

namespace fs = std::filesystem;
using J = nlohmann::json;

std::string trim(std::string s) {
    s.erase(0, s.find_first_not_of(" \t\r"));
    s.erase(s.find_last_not_of(" \t\r") + 1);
    return s;
}

// "word rest of line" -> {"word", "rest of line"}.
std::pair<std::string, std::string> split_first(const std::string& text) {
    size_t sp = text.find_first_of(" \t");
    if (sp == std::string::npos)
        return {text, ""};
    return {text.substr(0, sp), trim(text.substr(sp + 1))};
}

std::vector<std::string> words(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string w; in >> w;)
        out.push_back(w);
    return out;
}

// KEY=VALUE, where a VALUE in double quotes is a JSON string (to keep spaces or escapes).
std::pair<std::string, std::string> key_value(const std::string& text) {
    size_t eq = text.find('=');
    if (eq == std::string::npos)
        return {text, ""};
    std::string value = text.substr(eq + 1);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
        value = J::parse(value).get<std::string>();
    return {text.substr(0, eq), value};
}

struct Expect {
    int line;
    std::string text;
};

struct Step {
    int line = 0;
    bool boot = false, boot_raw = false;
    // `copy SRC REL` and `cli ARGS`: change the cluster while its server runs.
    std::optional<std::pair<std::string, std::string>> copy;
    std::optional<std::vector<std::string>> cli;
    std::vector<std::string> boot_args;
    std::string method, path;
    std::optional<std::string> as, authorization, content_type, body;
    std::vector<std::pair<std::string, std::string>> headers;
    int concurrent = 1;
    std::vector<Expect> expects;
    std::vector<std::pair<std::string, std::string>> saves; // var, pointer
    std::vector<std::string> save_bodies;
    std::vector<std::pair<std::string, std::string>> save_headers; // var, header name
};

struct Case {
    int line = 0;
    std::string name, fixture;
    Env env;
    std::vector<Step> steps;
};

struct GraphDecl {
    std::string id;
    std::map<std::string, std::string> attrs; // schema, data, queries, policy
};

struct Fixture {
    int line = 0;
    std::string name;
    std::vector<GraphDecl> graphs;
    std::string cluster_policy, same_cluster_as;
    std::vector<std::pair<std::string, std::string>> tokens;
    Env env;
    std::vector<std::string> flags;
    std::vector<std::pair<std::string, std::string>> branches;
    std::vector<std::string> setup; // write / remove / tamper / replace-root lines, in order
    bool empty = false;
};

struct Response {
    bool ok = false;
    std::string error;
    int status = 0;
    httplib::Headers headers;
    std::string body;
    std::string log; // the server's stderr while the request ran (when asked for)
};

// A JSON pointer with `*` segments, resolved to every matching value.
std::vector<const J*> resolve(const J& doc, const std::string& pattern) {
    std::vector<const J*> current = {&doc};
    if (pattern == "/" || pattern.empty())
        return current;
    std::vector<std::string> segs;
    size_t pos = 1;
    while (pos <= pattern.size()) {
        size_t next = pattern.find('/', pos);
        if (next == std::string::npos)
            next = pattern.size();
        std::string seg = pattern.substr(pos, next - pos);
        for (size_t at; (at = seg.find("~1")) != std::string::npos;)
            seg.replace(at, 2, "/");
        for (size_t at; (at = seg.find("~0")) != std::string::npos;)
            seg.replace(at, 2, "~");
        segs.push_back(seg);
        pos = next + 1;
    }
    for (const auto& seg : segs) {
        std::vector<const J*> next;
        for (const J* node : current) {
            if (seg == "*") {
                if (node->is_object() || node->is_array())
                    for (const auto& child : *node)
                        next.push_back(&child);
            } else if (node->is_object()) {
                if (auto it = node->find(seg); it != node->end())
                    next.push_back(&*it);
            } else if (node->is_array() && !seg.empty() &&
                       seg.find_first_not_of("0123456789") == std::string::npos) {
                size_t i = std::stoul(seg);
                if (i < node->size())
                    next.push_back(&(*node)[i]);
            }
        }
        current = std::move(next);
    }
    return current;
}

const J* at(const J& doc, const std::string& pointer) {
    auto found = resolve(doc, pointer);
    return found.empty() ? nullptr : found.front();
}

// Every key of `want` is in `have` with a matching value (recursively for objects).
bool subset(const J& have, const J& want) {
    if (want.is_object()) {
        if (!have.is_object())
            return false;
        for (auto it = want.begin(); it != want.end(); ++it)
            if (!have.contains(it.key()) || !subset(have[it.key()], it.value()))
                return false;
        return true;
    }
    return have == want;
}

std::string type_name(const J& j) {
    if (j.is_string())
        return "string";
    if (j.is_number())
        return "number";
    if (j.is_boolean())
        return "boolean";
    if (j.is_array())
        return "array";
    if (j.is_object())
        return "object";
    return "null";
}

class CaseFile {
  public:
    explicit CaseFile(std::string path) : path_(std::move(path)) { parse(); }

    void run() {
        for (const auto& c : cases_) {
            SCOPED_TRACE(where(c.line) + " case " + c.name);
            if (!fixtures_.contains(c.fixture)) {
                ADD_FAILURE() << where(c.line) << ": case " << c.name << " has unknown fixture '"
                              << c.fixture << "'";
                continue;
            }
            for (const auto& step : c.steps) {
                if (step.boot)
                    run_boot(c, step);
                else if (step.copy)
                    fs::copy_file(source_dir() + "/" + step.copy->first,
                                  cluster_dir(c.fixture) + "/" + step.copy->second,
                                  fs::copy_options::overwrite_existing);
                else if (step.cli)
                    run_cli(c, step);
                else
                    run_request(c, step);
            }
        }
    }

  private:
    std::string where(int line) const {
        return fs::path(path_).filename().string() + ":" + std::to_string(line);
    }

    // --- parsing ----------------------------------------------------------------------------

    void parse() {
        std::ifstream in(path_);
        if (!in) {
            ADD_FAILURE() << "cannot read " << path_;
            return;
        }
        Fixture* fixture = nullptr;
        Case* kase = nullptr;
        std::string raw;
        for (int n = 1; std::getline(in, raw); ++n) {
            std::string text = trim(raw);
            if (text.empty() || text.starts_with('#'))
                continue;
            auto [word, rest] = split_first(text);
            // Inside a case, `fixture` names the case's fixture until it has one; otherwise it
            // opens a fixture block.
            if (word == "fixture" && kase && kase->fixture.empty()) {
                kase->fixture = rest;
                continue;
            }
            if (word == "fixture") {
                fixtures_[rest] = Fixture{n, rest};
                fixture = &fixtures_[rest];
                kase = nullptr;
                continue;
            }
            if (word == "case") {
                cases_.push_back(Case{n, rest});
                kase = &cases_.back();
                fixture = nullptr;
                continue;
            }
            bool parsed = kase ? parse_case_line(*kase, n, word, rest)
                               : fixture && parse_fixture_line(*fixture, word, rest);
            if (!parsed)
                ADD_FAILURE() << where(n) << ": cannot read '" << text << "'";
        }
    }

    bool parse_fixture_line(Fixture& f, const std::string& word, const std::string& rest) {
        if (word == "graph") {
            auto w = words(rest);
            if (w.empty())
                return false;
            GraphDecl g{w[0], {}};
            for (size_t i = 1; i < w.size(); ++i) {
                auto [k, v] = key_value(w[i]);
                g.attrs[k] = v;
            }
            f.graphs.push_back(g);
        } else if (word == "cluster-policy") {
            f.cluster_policy = rest;
        } else if (word == "tokens") {
            for (const auto& w : words(rest))
                f.tokens.push_back(key_value(w));
        } else if (word == "env") {
            f.env.push_back(key_value(rest));
        } else if (word == "flag") {
            f.flags.push_back(rest);
        } else if (word == "branch") {
            auto w = words(rest);
            if (w.size() != 2)
                return false;
            f.branches.emplace_back(w[0], w[1]);
        } else if (word == "write" || word == "remove" || word == "tamper" ||
                   word == "replace-root") {
            f.setup.push_back(word + " " + rest);
        } else if (word == "same-cluster-as") {
            f.same_cluster_as = rest;
        } else if (word == "empty") {
            f.empty = true;
        } else {
            return false;
        }
        return true;
    }

    bool parse_case_line(Case& c, int n, const std::string& word, const std::string& rest) {
        static const std::set<std::string> methods = {"GET", "POST", "HEAD", "PUT", "DELETE"};
        if (methods.contains(word)) {
            Step s;
            s.line = n;
            s.method = word;
            s.path = rest;
            c.steps.push_back(std::move(s));
            return true;
        }
        if (word == "boot" || word == "boot-raw") {
            Step s;
            s.line = n;
            s.boot = true;
            s.boot_raw = word == "boot-raw";
            s.boot_args = words(rest);
            c.steps.push_back(std::move(s));
            return true;
        }
        if (word == "copy") {
            auto w = words(rest);
            if (w.size() != 2)
                return false;
            Step s;
            s.line = n;
            s.copy = std::pair{w[0], w[1]};
            c.steps.push_back(std::move(s));
            return true;
        }
        if (word == "cli") {
            Step s;
            s.line = n;
            s.cli = words(rest);
            c.steps.push_back(std::move(s));
            return true;
        }
        if (word == "env" && c.steps.empty()) {
            c.env.push_back(key_value(rest));
            return true;
        }
        if (c.steps.empty())
            return false;
        Step& s = c.steps.back();
        if (word == "expect") {
            s.expects.push_back({n, rest});
        } else if (word == "as") {
            s.as = rest;
        } else if (word == "authorization") {
            s.authorization = rest;
        } else if (word == "header") {
            size_t colon = rest.find(':');
            if (colon == std::string::npos)
                return false;
            s.headers.emplace_back(trim(rest.substr(0, colon)), trim(rest.substr(colon + 1)));
        } else if (word == "content-type") {
            s.content_type = rest;
        } else if (word == "body") {
            s.body = rest;
        } else if (word == "concurrent") {
            s.concurrent = std::stoi(rest);
        } else if (word == "save") {
            auto w = words(rest);
            if (w.size() != 2)
                return false;
            s.saves.emplace_back(w[0], w[1]);
        } else if (word == "save-body") {
            s.save_bodies.push_back(rest);
        } else if (word == "save-header") {
            auto w = words(rest);
            if (w.size() != 2)
                return false;
            s.save_headers.emplace_back(w[0], w[1]);
        } else {
            return false;
        }
        return true;
    }

    // --- variables --------------------------------------------------------------------------

    std::string expand(const std::string& text, const std::string& fixture) {
        std::string out;
        size_t pos = 0;
        while (true) {
            size_t start = text.find("${", pos);
            if (start == std::string::npos) {
                out += text.substr(pos);
                return out;
            }
            size_t end = text.find('}', start);
            if (end == std::string::npos) {
                out += text.substr(pos);
                return out;
            }
            out += text.substr(pos, start - pos);
            std::string name = text.substr(start + 2, end - start - 2);
            if (name == "NL")
                out += "\n";
            else if (name.starts_with("PAD:"))
                out += std::string(std::stoul(name.substr(4)), 'x');
            else if (name == "CLUSTER")
                out += cluster_dir(fixture);
            else if (name == "FIXTURE")
                out += fixture_dir(fixture);
            else if (auto it = vars_.find(name); it != vars_.end())
                out += it->second;
            else {
                ADD_FAILURE() << "unknown variable ${" << name << "}";
                out += text.substr(start, end - start + 1);
            }
            pos = end + 1;
        }
    }

    // --- fixtures ---------------------------------------------------------------------------

    std::string fixture_dir(const std::string& name) {
        std::string dir = dir_.path() + "/" + name;
        fs::create_directories(dir);
        return dir;
    }

    void cli(const std::vector<std::string>& args) {
        std::vector<std::string> argv = {omnigraph()};
        argv.insert(argv.end(), args.begin(), args.end());
        auto r = run_process(argv);
        if (r.exit_code != 0) {
            std::string line;
            for (const auto& a : argv)
                line += a + " ";
            ADD_FAILURE() << "fixture command failed: " << line << "\n" << r.out << r.err;
        }
    }

    // The fixture's cluster directory, built on first use.
    std::string cluster_dir(const std::string& name) {
        const Fixture& f = fixtures_.at(name);
        if (!f.same_cluster_as.empty())
            return cluster_dir(f.same_cluster_as);
        if (auto it = built_.find(name); it != built_.end())
            return it->second;
        std::string dir = fixture_dir(name) + "/cluster";
        built_[name] = dir;
        fs::create_directories(dir + "/files");
        if (f.empty)
            return dir;
        auto copy_in = [&](const std::string& source, const std::string& as) {
            fs::copy_file(source_dir() + "/" + source, dir + "/files/" + as,
                          fs::copy_options::overwrite_existing);
            return "files/" + as;
        };
        std::ostringstream yaml;
        yaml << "version: 1\ngraphs:\n";
        std::map<std::string, std::vector<std::string>> bound; // bundle path -> graphs
        for (const auto& g : f.graphs) {
            yaml << "  " << g.id << ":\n";
            yaml << "    schema: " << copy_in(g.attrs.at("schema"), g.id + ".pg") << "\n";
            if (g.attrs.contains("queries"))
                yaml << "    queries: " << copy_in(g.attrs.at("queries"), g.id + ".gq") << "\n";
            if (g.attrs.contains("policy"))
                bound[g.attrs.at("policy")].push_back(g.id);
        }
        if (!bound.empty() || !f.cluster_policy.empty())
            yaml << "policies:\n";
        int n = 0;
        for (const auto& [bundle, graphs] : bound) {
            std::string name = "bundle_" + std::to_string(++n);
            yaml << "  " << name << ":\n    file: " << copy_in(bundle, name + ".policy.yaml")
                 << "\n    applies_to: [";
            for (size_t i = 0; i < graphs.size(); ++i)
                yaml << (i ? ", " : "") << graphs[i];
            yaml << "]\n";
        }
        if (!f.cluster_policy.empty())
            yaml << "  cluster_rules:\n    file: "
                 << copy_in(f.cluster_policy, "cluster.policy.yaml")
                 << "\n    applies_to: [cluster]\n";
        std::ofstream(dir + "/cluster.yaml") << yaml.str();
        cli({"cluster", "import", "--config", dir});
        cli({"cluster", "apply", "--config", dir});
        auto root = [&](const std::string& graph) { return dir + "/graphs/" + graph + ".omni"; };
        for (const auto& g : f.graphs)
            if (g.attrs.contains("data"))
                cli({"load", "--quiet", "--data", source_dir() + "/" + g.attrs.at("data"),
                     root(g.id)});
        for (const auto& [graph, branch] : f.branches)
            cli({"branch", "create", "--uri", root(graph), branch});
        for (const auto& line : f.setup) {
            auto [verb, rest] = split_first(line);
            if (verb == "remove") {
                fs::remove_all(dir + "/" + rest);
            } else if (verb == "tamper") {
                auto [rel, text] = split_first(rest);
                for (const auto& e : fs::recursive_directory_iterator(dir + "/" + rel))
                    if (e.is_regular_file())
                        std::ofstream(e.path(), std::ios::trunc) << text;
            } else if (verb == "replace-root") {
                auto [graph, schema] = split_first(rest);
                std::string fresh = fixture_dir(name) + "/fresh-" + graph + ".omni";
                cli({"init", "--schema", source_dir() + "/" + schema, fresh});
                fs::remove_all(root(graph));
                fs::rename(fresh, root(graph));
            }
        }
        return dir;
    }

    // The fixture's environment: its tokens, its env lines and its written files.
    Env environment(const std::string& name) {
        const Fixture& f = fixtures_.at(name);
        for (const auto& line : f.setup) {
            auto [verb, rest] = split_first(line);
            if (verb == "write") {
                auto [file, text] = split_first(rest);
                std::ofstream(fixture_dir(name) + "/" + file, std::ios::trunc)
                    << expand(text, name);
            }
        }
        Env env;
        if (!f.tokens.empty()) {
            J tokens = J::object();
            for (const auto& [actor, token] : f.tokens)
                tokens[actor] = token;
            env.emplace_back("OMNIGRAPH_SERVER_BEARER_TOKENS_JSON", tokens.dump());
        }
        for (const auto& [k, v] : f.env)
            env.emplace_back(k, expand(v, name));
        return env;
    }

    std::vector<std::string> default_args(const std::string& name) {
        std::vector<std::string> args = {"--cluster", cluster_dir(name), "--bind", "127.0.0.1:0"};
        const Fixture& f = fixtures_.at(name);
        args.insert(args.end(), f.flags.begin(), f.flags.end());
        return args;
    }

    std::string run_dir(const std::string& name) {
        std::string dir = fixture_dir(name) + "/run-" + std::to_string(++runs_);
        fs::create_directories(dir);
        return dir;
    }

    ServerProcess* server(const std::string& name) {
        if (auto it = servers_.find(name); it != servers_.end())
            return it->second.get();
        auto args = default_args(name);
        auto env = environment(name);
        auto& s = servers_[name] = std::make_unique<ServerProcess>(args, env, run_dir(name));
        if (!s->serving())
            ADD_FAILURE() << "fixture " << name << " did not start (exit " << s->exit_code()
                          << "):\n"
                          << s->err();
        return s.get();
    }

    // --- boot steps -------------------------------------------------------------------------

    void run_boot(const Case& c, const Step& step) {
        std::vector<std::string> args;
        if (!step.boot_raw)
            args = default_args(c.fixture);
        for (const auto& a : step.boot_args)
            args.push_back(expand(a, c.fixture));
        if (step.boot_raw)
            args.insert(args.end(), {"--bind", "127.0.0.1:0"});
        Env env = environment(c.fixture);
        for (const auto& [k, v] : c.env)
            env.emplace_back(k, expand(v, c.fixture));
        ServerProcess process(args, env, run_dir(c.fixture));
        bool served = process.serving();
        int exit_code = process.stop();
        std::string err = process.err();
        for (const auto& e : step.expects) {
            auto [what, rest] = split_first(e.text);
            std::string why;
            if (what == "exit") {
                if (served)
                    why = "the server started serving instead of exiting";
                else if (exit_code != std::stoi(rest))
                    why = "exit code " + std::to_string(exit_code);
            } else if (what == "stderr") {
                auto [op, text] = split_first(rest);
                text = expand(text, c.fixture);
                bool has = err.find(text) != std::string::npos;
                if (op == "contains" ? !has : op == "lacks" ? has : true)
                    why = "stderr " + op + " '" + text + "' does not hold";
            } else {
                why = "unknown boot expectation";
            }
            if (!why.empty())
                ADD_FAILURE() << where(e.line) << ": case " << c.name << ": expect " << e.text
                              << "\n  " << why << "\n  stderr: " << err;
        }
    }

    // `cli ARGS`: the omnigraph CLI (`${CLUSTER}` names the cluster directory); it must exit 0
    // unless an `expect exit N` follows. `save VAR POINTER` reads its JSON stdout.
    void run_cli(const Case& c, const Step& step) {
        std::vector<std::string> argv = {omnigraph()};
        for (const auto& a : *step.cli)
            argv.push_back(expand(a, c.fixture));
        auto r = run_process(argv);
        int want = 0;
        for (const auto& e : step.expects) {
            auto [what, rest] = split_first(e.text);
            if (what == "exit")
                want = std::stoi(rest);
        }
        if (r.exit_code != want)
            ADD_FAILURE() << where(step.line) << ": case " << c.name << ": cli exited "
                          << r.exit_code << ", expected " << want << "\n"
                          << r.out << r.err;
        if (!step.saves.empty()) {
            J doc = J::parse(r.out, nullptr, false);
            for (const auto& [var, pointer] : step.saves)
                if (const J* v = doc.is_discarded() ? nullptr : at(doc, pointer))
                    vars_[var] = v->is_string() ? v->get<std::string>() : v->dump();
                else
                    ADD_FAILURE() << where(step.line) << ": save " << var << " " << pointer
                                  << ": no such value in " << r.out;
        }
    }

    // --- request steps ----------------------------------------------------------------------

    httplib::Request build(const Case& c, const Step& step) {
        const Fixture& f = fixtures_.at(c.fixture);
        httplib::Request req;
        req.method = step.method;
        req.path = expand(step.path, c.fixture);
        if (step.as) {
            auto it = std::find_if(f.tokens.begin(), f.tokens.end(),
                                   [&](const auto& t) { return t.first == *step.as; });
            if (it == f.tokens.end())
                ADD_FAILURE() << where(step.line) << ": no token for actor " << *step.as;
            else
                req.headers.emplace("Authorization", "Bearer " + it->second);
        }
        if (step.authorization)
            req.headers.emplace("Authorization", expand(*step.authorization, c.fixture));
        for (const auto& [k, v] : step.headers)
            req.headers.emplace(k, expand(v, c.fixture));
        std::string type = step.content_type.value_or(step.body ? "application/json" : "none");
        if (type != "none")
            req.headers.emplace("Content-Type", type);
        if (step.body)
            req.body = expand(*step.body, c.fixture);
        return req;
    }

    static Response send(int port, const httplib::Request& req) {
        httplib::Client client("127.0.0.1", port);
        client.set_connection_timeout(10);
        client.set_read_timeout(60);
        client.set_write_timeout(60);
        Response r;
        auto result = client.send(req);
        if (!result) {
            r.error = httplib::to_string(result.error());
            return r;
        }
        r.ok = true;
        r.status = result->status;
        r.headers = result->headers;
        r.body = result->body;
        return r;
    }

    static bool wants_log(const Step& step) {
        return std::any_of(step.expects.begin(), step.expects.end(),
                           [](const Expect& e) { return e.text.starts_with("log "); });
    }

    void run_request(const Case& c, const Step& step) {
        ServerProcess* s = server(c.fixture);
        if (!s->serving())
            return;
        httplib::Request req = build(c, step);
        std::vector<Response> responses(step.concurrent);
        if (step.concurrent > 1) {
            std::barrier start(step.concurrent);
            std::vector<std::thread> threads;
            for (int i = 0; i < step.concurrent; ++i)
                threads.emplace_back([&, i] {
                    start.arrive_and_wait();
                    responses[i] = send(s->port(), req);
                });
            for (auto& t : threads)
                t.join();
        } else {
            // Earlier requests' lines are written by a batching thread: wait until they are
            // out, so that what follows is this request's.
            size_t before = s->err().size();
            for (int i = 0; wants_log(step) && i < 50; ++i) {
                std::this_thread::sleep_for(std::chrono::milliseconds(40));
                size_t now = s->err().size();
                if (now == before)
                    break;
                before = now;
            }
            responses[0] = send(s->port(), req);
            if (wants_log(step)) { // the request line is written when the response is ready
                for (int i = 0; i < 100; ++i) {
                    responses[0].log = s->err().substr(before);
                    if (responses[0].log.find("\"event\":\"request\"") != std::string::npos)
                        break;
                    std::this_thread::sleep_for(std::chrono::milliseconds(20));
                }
            }
        }
        std::string label =
            where(step.line) + ": case " + c.name + ": " + step.method + " " + req.path;
        std::string failures;
        bool any_passed = false;
        // A 500 is a bug or a storage failure: no case may see one unless it asks for it.
        bool allows_500 = std::any_of(step.expects.begin(), step.expects.end(),
                                      [](const Expect& e) { return e.text == "status 500"; });
        for (const auto& r : responses) {
            std::string these;
            if (!r.ok)
                these = "  no response: " + r.error + "\n";
            else if (r.status == 500 && !allows_500)
                these = "  answered 500 (internal) where no case may: " + r.body + "\n";
            else
                for (const auto& e : step.expects) {
                    std::string why = check(c, e, r);
                    if (!why.empty())
                        these +=
                            "  " + where(e.line) + ": expect " + e.text + "\n    " + why + "\n";
                }
            if (these.empty()) {
                any_passed = true;
                break;
            }
            failures += these + "  response: " + std::to_string(r.status) + " " +
                        r.body.substr(0, 600) + "\n";
        }
        if (!any_passed)
            ADD_FAILURE() << label
                          << (step.concurrent > 1
                                  ? " (no response of " + std::to_string(step.concurrent) +
                                        " meets every expectation)"
                                  : "")
                          << "\n"
                          << failures;
        // Saved even when an expectation failed, so that one failure does not cascade.
        const Response& r = responses[0];
        for (const auto& var : step.save_bodies)
            vars_[var] = r.body;
        for (const auto& [var, name] : step.save_headers)
            vars_[var] = r.headers.count(name) ? r.headers.find(name)->second : "";
        if (!step.saves.empty()) {
            J doc = J::parse(r.body, nullptr, false);
            for (const auto& [var, pointer] : step.saves) {
                const J* v = at(doc, pointer);
                if (!v) {
                    ADD_FAILURE() << label << ": save " << var << " " << pointer
                                  << ": no such value in " << r.body;
                    continue;
                }
                vars_[var] = v->is_string() ? v->get<std::string>() : v->dump();
            }
        }
    }

    // "" when the expectation holds, else why not.
    std::string check(const Case& c, const Expect& e, const Response& r) {
        auto [what, rest] = split_first(e.text);
        auto expected_json = [&](const std::string& text, std::string& why) -> J {
            J j = J::parse(expand(text, c.fixture), nullptr, false);
            if (j.is_discarded())
                why = "the expected value is not JSON: " + text;
            return j;
        };
        if (what == "status") {
            auto [op, n] = split_first(rest);
            if (op == "not")
                return r.status == std::stoi(n) ? "status is " + std::to_string(r.status) : "";
            return r.status == std::stoi(rest) ? "" : "status is " + std::to_string(r.status);
        }
        if (what == "body" || what == "log") {
            const std::string& have = what == "body" ? r.body : r.log;
            auto [op, text] = split_first(rest);
            text = expand(text, c.fixture);
            bool holds = op == "contains" ? have.find(text) != std::string::npos
                         : op == "lacks"  ? have.find(text) == std::string::npos
                         : op == "="      ? have == text
                                          : false;
            return holds ? "" : what + " is: " + have.substr(0, 2000);
        }
        if (what == "header") {
            auto [name, tail] = split_first(rest);
            auto [op, text] = split_first(tail);
            text = expand(text, c.fixture);
            auto it = r.headers.find(name);
            // httplib::Headers compares names case-insensitively.
            bool present = it != r.headers.end();
            std::string value = present ? it->second : "";
            bool holds = op == "present"    ? present
                         : op == "absent"   ? !present
                         : op == "="        ? present && value == text
                         : op == "contains" ? present && value.find(text) != std::string::npos
                                            : false;
            return holds ? "" : present ? "header is '" + value + "'" : "no such header";
        }
        J doc = J::parse(r.body, nullptr, false);
        if (doc.is_discarded())
            return "the body is not JSON";
        if (what == "json") {
            auto [pointer, tail] = split_first(rest);
            auto [op, text] = split_first(tail);
            const J* v = at(doc, pointer);
            std::string why;
            if (op == "present")
                return v ? "" : "absent";
            if (op == "absent")
                return v ? "present: " + v->dump() : "";
            if (!v)
                return "no value at " + pointer;
            std::string shown = "value is " + v->dump();
            if (op == "=" || op == "!=") {
                J want = expected_json(text, why);
                if (!why.empty())
                    return why;
                return (*v == want) == (op == "=") ? "" : shown;
            }
            if (op == "contains" || op == "lacks") {
                if (!v->is_string())
                    return "not a string: " + v->dump();
                bool has = v->get<std::string>().find(expand(text, c.fixture)) != std::string::npos;
                return has == (op == "contains") ? "" : shown;
            }
            if (op == "type")
                return type_name(*v) == text ? "" : shown;
            if (op == "length")
                return (v->is_array() || v->is_object()) && v->size() == std::stoul(text) ? ""
                                                                                          : shown;
            if (op == "has-item" || op == "subset") {
                J want = expected_json(text, why);
                if (!why.empty())
                    return why;
                if (op == "subset")
                    return subset(*v, want) ? "" : shown;
                if (v->is_array())
                    for (const auto& item : *v)
                        if (subset(item, want))
                            return "";
                return shown;
            }
            return "unknown json expectation '" + op + "'";
        }
        if (what == "every" || what == "none") {
            // every PATTERN has POINTER [unless POINTER = JSON] / none PATTERN has POINTER
            auto w = words(rest);
            if (w.size() < 3 || w[1] != "has")
                return "malformed expectation";
            auto nodes = resolve(doc, w[0]);
            if (nodes.empty())
                return "nothing matches " + w[0];
            std::optional<std::pair<std::string, J>> unless;
            if (w.size() >= 7 && w[3] == "unless" && w[5] == "=") {
                std::string why;
                std::string value_text = rest.substr(rest.find(" = ") + 3);
                unless.emplace(w[4], expected_json(value_text, why));
                if (!why.empty())
                    return why;
            }
            for (const J* node : nodes) {
                if (unless) {
                    const J* u = at(*node, unless->first);
                    if (u && *u == unless->second)
                        continue;
                }
                bool has = at(*node, w[2]) != nullptr;
                if (has != (what == "every"))
                    return (has ? "has " : "lacks ") + w[2] + ": " + node->dump().substr(0, 400);
            }
            return "";
        }
        return "unknown expectation";
    }

    std::string path_;
    TempDir dir_;
    std::map<std::string, Fixture> fixtures_;
    std::vector<Case> cases_;
    std::map<std::string, std::string> vars_;
    std::map<std::string, std::string> built_;
    std::map<std::string, std::unique_ptr<ServerProcess>> servers_;
    int runs_ = 0;
};

void run_case_file(const std::string& name) {
    auto started = std::chrono::steady_clock::now();
    CaseFile(source_dir() + "/test/e2e/server_cases/" + name).run();
    std::cout << "[ cases    ] " << name << " in "
              << std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()
              << " s\n";
}

TEST(ServerCases, BootSettings) {
    run_case_file("boot_settings.cases");
}
TEST(ServerCases, Routing) {
    run_case_file("routing.cases");
}
TEST(ServerCases, Authentication) {
    run_case_file("authentication.cases");
}
TEST(ServerCases, PolicyHttp) {
    run_case_file("policy_http.cases");
}
TEST(ServerCases, StoredQueries) {
    run_case_file("stored_queries.cases");
}
TEST(ServerCases, LimitsAdmission) {
    run_case_file("limits_admission.cases");
}
TEST(ServerCases, SchemaChanges) {
    run_case_file("schema_changes.cases");
}
TEST(ServerCases, Search) {
    run_case_file("search.cases");
}
TEST(ServerCases, Blobs) {
    run_case_file("blobs.cases");
}

} // namespace
} // namespace omnigraph::testing
