// Helpers shared by the cluster e2e suites (cli_cluster_test.cpp, cli_cluster_guide_test.cpp):
// the real `omnigraph` binary run in a chosen working directory with an isolated operator home,
// JSON output parsed with its key order kept, and a storage root (a local directory or an
// s3:// prefix on the test server) that a test can read, tamper with and list.
#pragma once

#include "base/digest.h"
#include "base/json.h"
#include "base/uri.h"
#include "store/object_store.h"
#include "store/s3_store.h"
#include "test_support.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace omnigraph::testing::cluster_e2e {

namespace fs = std::filesystem;
using Json = base::Json;

inline std::string omnigraph() {
    return binary_dir() + "/src/cli/omnigraph";
}

inline std::string example_dir() {
    return source_dir() + "/examples/company-brain";
}

inline std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

inline void write_file(const std::string& path, const std::string& text) {
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

// Replaces the first occurrence of `from`; fails the test when it is absent.
inline void edit_file(const std::string& path, const std::string& from, const std::string& to) {
    std::string text = read_file(path);
    size_t at = text.find(from);
    ASSERT_NE(at, std::string::npos) << "'" << from << "' not in " << path << ":\n" << text;
    text.replace(at, from.size(), to);
    write_file(path, text);
}

inline std::string sha256(const std::string& text) {
    return base::sha256_hex(text);
}

inline Json parse(const std::string& text) {
    auto parsed = base::parse_json(text);
    if (!parsed) {
        ADD_FAILURE() << "not JSON: " << parsed.error().message << "\n" << text;
        return Json::object();
    }
    return *parsed;
}

inline std::string pretty(const Json& j) {
    return base::to_pretty_json(j);
}

inline std::vector<std::string> keys_of(const Json& j) {
    std::vector<std::string> out;
    if (j.is_object())
        for (auto it = j.begin(); it != j.end(); ++it)
            out.push_back(it.key());
    return out;
}

// Every file and directory under `dir`, relative, sorted ("" when dir is missing).
inline std::set<std::string> tree(const std::string& dir) {
    std::set<std::string> out;
    std::error_code ec;
    if (!fs::exists(dir, ec))
        return out;
    for (auto it = fs::recursive_directory_iterator(dir, ec);
         it != fs::recursive_directory_iterator(); ++it)
        out.insert(fs::relative(it->path(), dir).string());
    return out;
}

// Regular files directly in `dir`, sorted by name.
inline std::vector<std::string> files_in(const std::string& dir) {
    std::vector<std::string> out;
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
        return out;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.is_regular_file())
            out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
}

// --- diagnostics and changes in command output -------------------------------------------------

inline std::vector<std::string> diag_codes(const Json& out) {
    std::vector<std::string> codes;
    if (out.contains("diagnostics"))
        for (const auto& d : out["diagnostics"])
            codes.push_back(d["code"].get<std::string>());
    return codes;
}

inline bool has_diag(const Json& out, const std::string& code) {
    auto codes = diag_codes(out);
    return std::find(codes.begin(), codes.end(), code) != codes.end();
}

// The first diagnostic with `code` (an empty object when there is none).
inline Json diag(const Json& out, const std::string& code) {
    if (out.contains("diagnostics"))
        for (const auto& d : out["diagnostics"])
            if (d["code"] == code)
                return d;
    return Json::object();
}

// "resource operation disposition[:reason][ +bindings]" per change, in output order.
inline std::vector<std::string> change_lines(const Json& out) {
    std::vector<std::string> lines;
    for (const auto& c : out["changes"]) {
        std::string line =
            c["resource"].get<std::string>() + " " + c["operation"].get<std::string>();
        if (c.contains("disposition"))
            line += " " + c["disposition"].get<std::string>();
        if (c.contains("reason"))
            line += ":" + c["reason"].get<std::string>();
        if (c.contains("binding_change"))
            line += " +bindings";
        lines.push_back(line);
    }
    return lines;
}

inline Json change(const Json& out, const std::string& resource) {
    for (const auto& c : out["changes"])
        if (c["resource"] == resource)
            return c;
    return Json::object();
}

inline bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

// --- the binary ---------------------------------------------------------------------------------

// Runs `omnigraph` in `cwd` with OMNIGRAPH_HOME pointing at an empty directory of its own, so the
// machine's operator config never leaks in.
class Omni {
  public:
    Omni(std::string cwd, std::string home, Env env = {})
        : cwd_(std::move(cwd)), env_(std::move(env)) {
        env_.emplace_back("OMNIGRAPH_HOME", home);
        env_.emplace_back("HOME", home);
    }

    ProcessResult run(const std::vector<std::string>& args, const Env& extra = {}) const {
        std::vector<std::string> argv = {"env", "-C", cwd_, omnigraph()};
        argv.insert(argv.end(), args.begin(), args.end());
        Env env = env_;
        env.insert(env.end(), extra.begin(), extra.end());
        return run_process(argv, env);
    }

    // Runs with --json, checks the exit code and that stdout is one JSON document with a single
    // trailing newline; returns it parsed (keys in output order).
    Json json(std::vector<std::string> args, int expected_exit = 0, const Env& extra = {}) const {
        args.push_back("--json");
        ProcessResult r = run(args, extra);
        std::string cmd;
        for (const auto& a : args)
            cmd += " " + a;
        EXPECT_EQ(r.exit_code, expected_exit) << "omnigraph" << cmd << "\n" << r.out << r.err;
        EXPECT_TRUE(r.out.size() >= 2 && r.out.ends_with("}\n") && !r.out.ends_with("\n\n"))
            << "omnigraph" << cmd << "\n"
            << r.out << r.err;
        last_ = r;
        return parse(r.out);
    }

    const ProcessResult& last() const { return last_; }
    const std::string& cwd() const { return cwd_; }

  private:
    std::string cwd_;
    Env env_;
    mutable ProcessResult last_;
};

// --- a storage root -----------------------------------------------------------------------------

// The cluster's storage root seen from the test: a local directory or an s3:// prefix.
class Root {
  public:
    explicit Root(const std::string& uri) : uri_(uri) {
        auto parsed = base::parse_storage_uri(uri);
        if (!parsed) {
            ADD_FAILURE() << parsed.error().message;
            return;
        }
        if (parsed->is_s3()) {
            auto opened = store::S3Store::open(*parsed, S3TestServer::instance().config());
            if (opened)
                store_ = std::move(*opened);
            else
                ADD_FAILURE() << opened.error().message;
        } else {
            auto opened = store::open_store(*parsed);
            if (opened)
                store_ = std::move(*opened);
            else
                ADD_FAILURE() << opened.error().message;
        }
    }

    const std::string& uri() const { return uri_; }
    bool is_s3() const { return uri_.starts_with("s3://"); }
    std::string at(const std::string& key) const { return uri_ + "/" + key; }
    std::string graph_root(const std::string& g) const { return at("graphs/" + g + ".omni"); }

    std::optional<std::string> read(const std::string& key) const {
        auto r = store_->read_if_exists(key);
        if (!r) {
            ADD_FAILURE() << r.error().message;
            return std::nullopt;
        }
        return *r;
    }
    std::string text(const std::string& key) const { return read(key).value_or("<missing>"); }
    bool exists(const std::string& key) const { return read(key).has_value(); }
    void write(const std::string& key, const std::string& text) const {
        auto r = store_->put(key, text);
        EXPECT_TRUE(r) << r.error().message;
    }
    void remove(const std::string& key) const {
        auto r = store_->remove(key);
        EXPECT_TRUE(r) << r.error().message;
    }
    void remove_prefix(const std::string& prefix) const {
        auto r = store_->remove_prefix(prefix);
        EXPECT_TRUE(r) << r.error().message;
        if (!is_s3())
            fs::remove_all(fs::path(uri_) / prefix);
    }
    // Keys under a prefix, sorted.
    std::vector<std::string> keys(const std::string& prefix) const {
        std::vector<std::string> out;
        auto r = store_->list_all(prefix);
        if (!r) {
            ADD_FAILURE() << r.error().message;
            return out;
        }
        for (const auto& m : *r)
            out.push_back(m.key);
        std::sort(out.begin(), out.end());
        return out;
    }
    // File names of the .json objects directly under a __cluster/ subdirectory.
    std::vector<std::string> json_files(const std::string& dir) const {
        std::vector<std::string> out;
        for (const auto& k : keys(dir + "/"))
            if (k.find('/', dir.size() + 1) == std::string::npos && k.ends_with(".json"))
                out.push_back(k.substr(dir.size() + 1));
        return out;
    }

    Json ledger() const { return parse(text("__cluster/state.json")); }
    std::string ledger_bytes() const { return text("__cluster/state.json"); }
    void write_ledger(const Json& j) const { write("__cluster/state.json", pretty(j)); }
    std::vector<std::string> sidecars() const { return json_files("__cluster/recoveries"); }
    std::vector<std::string> approvals() const { return json_files("__cluster/approvals"); }
    Json sidecar(const std::string& file) const {
        return parse(text("__cluster/recoveries/" + file));
    }
    Json approval(const std::string& file) const {
        return parse(text("__cluster/approvals/" + file));
    }
    bool graph_exists(const std::string& g) const {
        return !keys("graphs/" + g + ".omni/").empty();
    }
    std::string query_blob(const std::string& g, const std::string& name,
                           const std::string& digest) const {
        return "__cluster/resources/query/" + g + "/" + name + "/" + digest + ".gq";
    }
    std::string policy_blob(const std::string& name, const std::string& digest) const {
        return "__cluster/resources/policy/" + name + "/" + digest + ".yaml";
    }

  private:
    std::string uri_;
    std::unique_ptr<store::ObjectStore> store_;
};

// The historical composite digest of a graph with a schema and queries (spec cluster §3), for
// hand-written ledgers.
inline std::string composite(const std::string& g, const std::string& schema_digest,
                             const std::vector<std::pair<std::string, std::string>>& queries = {}) {
    std::string in = "graph";
    in += '\0';
    in += g;
    in += '\0';
    in += "schema";
    in += '\0';
    in += schema_digest;
    in += '\0';
    auto sorted = queries;
    std::sort(sorted.begin(), sorted.end());
    for (const auto& [name, digest] : sorted) {
        in += "query";
        in += '\0';
        in += name;
        in += '\0';
        in += digest;
        in += '\0';
    }
    return sha256(in);
}

} // namespace omnigraph::testing::cluster_e2e
