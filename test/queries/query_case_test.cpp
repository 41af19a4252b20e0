// Data-driven query tests (sqllogictest style): every file in test/queries/cases is a script of
// schema / load / query records run against a fresh graph on local disk. The format is in
// test/queries/README.md.
#include "engine/graph.h"
#include "engine/load.h"
#include "engine/merge.h"
#include "engine/schema_apply.h"
#include "query/parser.h"
#include "service/changes.h"
#include "service/graph_handle.h"
#include "service/mutate.h"
#include "service/read.h"
#include "service/stored_query.h"
#include "store/object_store.h"
#include "test_support.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sstream>

namespace omnigraph::testing {
namespace {

namespace fs = std::filesystem;

std::string cases_dir() {
    return source_dir() + "/test/queries/cases";
}

std::string read_file(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::vector<std::string> case_files() {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(cases_dir()))
        if (e.path().extension() == ".test")
            out.push_back(e.path().stem().string());
    std::sort(out.begin(), out.end());
    return out;
}

class QueryCases : public ::testing::TestWithParam<std::string> {
  protected:
    // Lines of the file, with a cursor.
    std::vector<std::string> lines_;
    size_t at_ = 0;
    std::string file_;
    TempDir temp_;
    int graphs_ = 0;
    std::string root_;
    std::unique_ptr<service::GraphHandle> graph_;
    std::map<std::string, std::string> commits_; // `save NAME`: a branch head's commit id
    std::map<std::string, std::string> cursors_; // `feed save=NAME`: a terminal cursor
    int queries_ = 0;
    std::shared_ptr<embed::Embedder> embedder_; // `embedder mock [model=M]`; kept by reopen()

    std::string where() const { return file_ + ":" + std::to_string(at_); }
    // Lines up to (not including) the first line equal to `end` (or a blank line when `end`
    // is empty); the cursor moves past it.
    std::vector<std::string> block(const std::string& end) {
        std::vector<std::string> out;
        while (at_ < lines_.size()) {
            const std::string& l = lines_[at_++];
            if (end.empty() ? l.find_first_not_of(" \t") == std::string::npos : l == end)
                break;
            out.push_back(l);
        }
        return out;
    }
    static std::string join(const std::vector<std::string>& ls) {
        std::string s;
        for (const auto& l : ls)
            s += l + "\n";
        return s;
    }

    void fresh_graph(const std::string& schema) {
        std::string root = temp_.path() + "/g" + std::to_string(graphs_++);
        fs::create_directories(root);
        auto parsed = base::parse_storage_uri(root);
        ASSERT_TRUE(parsed);
        auto store = store::open_store(*parsed);
        ASSERT_TRUE(store);
        auto init = engine::init_graph(**store, schema);
        ASSERT_TRUE(init) << where() << ": " << init.error().to_string();
        root_ = root;
        commits_.clear();
        reopen();
    }
    // A fresh handle, as a new process would open it (the cache starts empty).
    void reopen() {
        auto g = service::GraphHandle::open(root_);
        ASSERT_TRUE(g) << g.error().to_string();
        graph_ = std::move(*g);
        graph_->set_embedder(embedder_);
    }

    // The words of a record's header as key=value options (a bare word maps to "").
    static std::map<std::string, std::string> options(const std::string& header) {
        std::map<std::string, std::string> out;
        std::istringstream words(header);
        std::string w;
        words >> w; // the record's name
        while (words >> w) {
            auto eq = w.find('=');
            out[w.substr(0, eq)] = eq == std::string::npos ? "" : w.substr(eq + 1);
        }
        return out;
    }

    // `branch=B`, `snapshot=SAVED` or `version=N` of a header as a service target.
    service::Target target(const std::map<std::string, std::string>& o) {
        service::Target t;
        if (o.contains("branch"))
            t.branch = o.at("branch");
        if (o.contains("snapshot")) {
            EXPECT_TRUE(commits_.contains(o.at("snapshot")))
                << where() << ": no saved commit '" << o.at("snapshot") << "'";
            t.snapshot = commits_[o.at("snapshot")];
        }
        if (o.contains("version"))
            t.version = std::stoull(o.at("version"));
        return t;
    }

    // `branch create NAME [from=B]`
    void create_branch(const std::string& header) {
        std::istringstream words(header);
        std::string verb, create, name;
        words >> verb >> create >> name;
        auto o = options("x " + header.substr(header.find(name) + name.size()));
        auto r = graph_->graph().create_branch(name, o.contains("from") ? o["from"] : "main",
                                               std::nullopt);
        ASSERT_TRUE(r) << where() << ": " << r.error().to_string();
        reopen();
    }

    // `merge SOURCE [into=T]`, `----`, then `outcome=already_up_to_date|fast_forward|merged` or
    // `error CODE TEXT`: a three-way merge (spec engine-cli §2.3).
    void run_merge(const std::string& header) {
        std::istringstream words(header);
        std::string verb, source;
        words >> verb >> source;
        auto o = options("x " + header.substr(header.find(source) + source.size()));
        std::string label = where();
        ASSERT_LT(at_, lines_.size()) << label << ": no ----";
        ASSERT_EQ(lines_[at_++], "----") << label;
        std::vector<std::string> expected = block("");
        ASSERT_FALSE(expected.empty()) << label << ": no expectation";
        ++queries_;
        engine::MergeOptions m;
        m.source = source;
        if (o.contains("into"))
            m.target = o.at("into");
        auto got = engine::merge_branch(graph_->store(), graph_->graph(), m);
        reopen();
        if (expected[0].starts_with("error ")) {
            expect_error(label, expected[0], got);
            return;
        }
        ASSERT_TRUE(got) << label << ": " << got.error().to_string();
        EXPECT_EQ("outcome=" + std::string(engine::merge_outcome_name(got->outcome)), expected[0])
            << label;
    }

    // `rows TABLE N [branch=B]`: the branch head's table (`edge:Knows`) holds N live rows — what a
    // query cannot show when two edges join the same nodes.
    void check_rows(const std::string& header) {
        std::istringstream words(header);
        std::string verb, table;
        uint64_t n = 0;
        words >> verb >> table >> n;
        auto o = options("x " + header.substr(header.find(table) + table.size()));
        auto head = graph_->graph().head(o.contains("branch") ? o.at("branch") : "main");
        ASSERT_TRUE(head) << where() << ": " << head.error().to_string();
        const format::TableEntry* entry = head->find(table);
        EXPECT_EQ(entry ? entry->row_count : 0, n) << where() << ": rows of " << table;
        ++queries_;
    }

    // A change filter from `kind=`, `type=`, `op=` options (comma-separated lists).
    static engine::ChangeFilter change_filter(const std::map<std::string, std::string>& o) {
        engine::ChangeFilter f;
        auto list = [&](const char* key) {
            std::vector<std::string> out;
            if (!o.contains(key))
                return out;
            std::istringstream in(o.at(key));
            for (std::string item; std::getline(in, item, ',');)
                out.push_back(item);
            return out;
        };
        f.kinds = list("kind");
        f.types = list("type");
        for (const auto& op : list("op"))
            f.ops.push_back(*engine::parse_op(op));
        return f;
    }

    // One EntityChangeOutput as a line: `op kind Type id` (an edge's endpoints `from->to` in
    // place of its generated id), then the image properties (before -> after for an update).
    static std::string change_line(const base::Json& c) {
        std::string line = c["op"].get<std::string>() + " " + c["kind"].get<std::string>() + " " +
                           c["type"]["name"].get<std::string>() + " ";
        const base::Json& image = c.contains("after") ? c["after"] : c["before"];
        if (c["kind"] == "edge")
            line += image["endpoints"]["from"].get<std::string>() + "->" +
                    image["endpoints"]["to"].get<std::string>();
        else
            line += c["id"].get<std::string>();
        if (c.contains("before") && c.contains("after"))
            return line + " " + base::to_compact_json(c["before"]["properties"]) + " -> " +
                   base::to_compact_json(c["after"]["properties"]);
        return line + " " + base::to_compact_json(image["properties"]);
    }

    // `changes [branch=B | snapshot=SAVED] [kind=..] [type=..] [op=..] [limit=N]`, `----`, then one
    // line per change (change_line) or `error CODE TEXT`: the entity diff of the branch head's
    // commit (or a saved one), every page followed (spec engine-cli §2.5).
    void run_changes(const std::string& header) {
        auto o = options(header);
        std::string label = where();
        ASSERT_LT(at_, lines_.size()) << label << ": no ----";
        ASSERT_EQ(lines_[at_++], "----") << label;
        std::vector<std::string> expected = block("");
        ++queries_;
        service::CommitChangesRequest request;
        if (o.contains("snapshot")) {
            request.commit_id = commits_[o.at("snapshot")];
        } else {
            auto head = graph_->graph().head(o.contains("branch") ? o.at("branch") : "main");
            ASSERT_TRUE(head) << label << ": " << head.error().to_string();
            request.commit_id = head->commit_id;
        }
        request.filter = change_filter(o);
        if (o.contains("limit"))
            request.limit = std::stoull(o.at("limit"));
        std::vector<std::string> got;
        while (true) {
            auto page = service::commit_changes(*graph_, request);
            if (!expected.empty() && expected[0].starts_with("error ")) {
                expect_error(label, expected[0], page);
                return;
            }
            ASSERT_TRUE(page) << label << ": " << page.error().to_string();
            if (request.limit)
                EXPECT_LE((*page)["changes"].size(), *request.limit) << label;
            for (const auto& c : (*page)["changes"])
                got.push_back(change_line(c));
            if (!page->contains("next_page_token"))
                break;
            request.page_token = (*page)["next_page_token"].get<std::string>();
        }
        EXPECT_EQ(got, expected) << label;
    }

    // `feed [branch=B] [start=now|beginning | cursor=NAME] [save=NAME] [kind=..] [type=..] [op=..]
    // [limit=N]`, `----`, then per commit block `block <authored_branch>` and its change
    // lines, and last `caught_up=true|false` (or `error CODE TEXT`): one poll of a branch's change
    // feed, every page followed; `save=NAME` keeps the terminal cursor for `cursor=NAME`.
    void run_feed(const std::string& header) {
        auto o = options(header);
        std::string label = where();
        ASSERT_LT(at_, lines_.size()) << label << ": no ----";
        ASSERT_EQ(lines_[at_++], "----") << label;
        std::vector<std::string> expected = block("");
        ++queries_;
        service::PollRequest request;
        if (o.contains("branch"))
            request.branch = o.at("branch");
        if (o.contains("start"))
            request.start = o.at("start");
        if (o.contains("cursor")) {
            ASSERT_TRUE(cursors_.contains(o.at("cursor"))) << label << ": no saved cursor";
            request.cursor = cursors_[o.at("cursor")];
        }
        request.filter = change_filter(o);
        if (o.contains("limit"))
            request.limit = std::stoull(o.at("limit"));
        std::vector<std::string> got;
        std::string last_cause;
        while (true) {
            auto page = service::poll_changes(*graph_, request);
            if (!expected.empty() && expected[0].starts_with("error ")) {
                expect_error(label, expected[0], page);
                return;
            }
            ASSERT_TRUE(page) << label << ": " << page.error().to_string();
            for (const auto& b : (*page)["blocks"]) {
                std::string cause = b["cause"]["graph_commit_id"].get<std::string>();
                if (cause != last_cause) // a block a page split goes on under its cause
                    got.push_back("block " + b["cause"]["authored_branch"].get<std::string>());
                last_cause = cause;
                for (const auto& c : b["changes"])
                    got.push_back(change_line(c));
            }
            if (!page->contains("next_page_token")) {
                got.push_back(std::string("caught_up=") +
                              ((*page)["caught_up"].get<bool>() ? "true" : "false"));
                if (o.contains("save"))
                    cursors_[o.at("save")] = (*page)["cursor"].get<std::string>();
                break;
            }
            request =
                service::PollRequest{request.branch, std::nullopt,
                                     std::nullopt,   (*page)["next_page_token"].get<std::string>(),
                                     request.limit,  request.filter};
        }
        EXPECT_EQ(got, expected) << label;
    }

    // `apply schema [branch=B]` + the new .pg text: a live schema migration of one branch.
    void apply_schema(const std::string& header) {
        auto o = options(header.substr(header.find("schema")));
        engine::SchemaApplyOptions apply;
        apply.branch = o.contains("branch") ? o["branch"] : "main";
        std::string source = join(block(""));
        auto r = engine::apply_schema_change(graph_->graph(), source, apply);
        ASSERT_TRUE(r) << where() << ": " << r.error().to_string();
        ASSERT_TRUE(r->applied) << where() << ": the schema change applied nothing";
        reopen();
    }

    // `save NAME [branch=B]`: remembers the branch head's commit for `snapshot=NAME`.
    void save_commit(const std::string& header) {
        std::istringstream words(header);
        std::string verb, name;
        words >> verb >> name;
        auto o = options("x " + header.substr(header.find(name) + name.size()));
        auto head = graph_->graph().head(o.contains("branch") ? o["branch"] : "main");
        ASSERT_TRUE(head) << where() << ": " << head.error().to_string();
        commits_[name] = head->commit_id;
    }

    // An `error CODE text` expectation against `got`.
    template <class T>
    void expect_error(const std::string& label, const std::string& expected, const Result<T>& got) {
        std::string want = expected.substr(6);
        std::string code = want.substr(0, want.find(' '));
        std::string message =
            want.find(' ') == std::string::npos ? "" : want.substr(want.find(' ') + 1);
        ASSERT_FALSE(got) << label << ": expected error " << want;
        EXPECT_EQ(got.error().code, code) << label << ": " << got.error().to_string();
        EXPECT_NE(got.error().to_string().find(message), std::string::npos)
            << label << ": " << got.error().to_string();
    }

    void run_load(const std::string& mode_text, const std::string& jsonl, bool expect_error,
                  const std::string& error_text) {
        engine::LoadOptions o;
        o.mode = engine::parse_load_mode(mode_text);
        o.source_name = "case.jsonl";
        o.embedder = graph_->embedder();
        auto r = engine::load_graph(graph_->store(), graph_->graph(), jsonl, o);
        if (expect_error) {
            ASSERT_FALSE(r) << where() << ": the load should fail";
            EXPECT_NE(r.error().to_string().find(error_text), std::string::npos)
                << where() << ": " << r.error().to_string();
        } else {
            ASSERT_TRUE(r) << where() << ": " << r.error().to_string();
        }
        reopen();
    }

    static std::vector<std::string> canonical_rows(const std::vector<std::string>& lines) {
        std::vector<std::string> out;
        for (const auto& l : lines)
            out.push_back(nlohmann::ordered_json::parse(l).dump());
        return out;
    }

    // The query text of a `query`, `explain` or `mutate` record (after its optional params
    // line): up to "----", or from a fixture file (then "----" follows directly).
    std::string query_text(const std::map<std::string, std::string>& o) {
        std::string text = join(block("----"));
        if (o.contains("from"))
            text = read_file(fs::path(source_dir()) / "test/queries/fixtures" / o.at("from"));
        return text;
    }
    std::string params_line() {
        if (at_ < lines_.size() && lines_[at_].starts_with("params "))
            return lines_[at_++].substr(7);
        return "null";
    }

    // A read through the service, as the CLI and the server run it. `stored`: the text is a
    // stored query (its name is the first query's), checked at the target's schema.
    Result<service::ReadOutcome> read(const std::map<std::string, std::string>& o,
                                      const std::string& text, const base::Json& params,
                                      bool explain) {
        service::ReadRequest r;
        r.source = {text, "case.gq"};
        r.name = picked_name(text, o);
        r.params = &params;
        r.now_ms = 0; // now() is the epoch: expected rows stay fixed
        r.target = target(o);
        r.explain = explain;
        std::unique_ptr<service::StoredQuery> stored;
        if (o.contains("stored")) {
            stored = OG_TRY(service::StoredQuery::parse(stored_name(text, o), text, "case.gq"));
            r.stored = stored.get();
        }
        return service::run_read(*graph_, r);
    }
    // The `name=` of the header, else the first query's name when the text holds several (a
    // case that type-checks a file runs its first query).
    static std::optional<std::string> picked_name(const std::string& text,
                                                  const std::map<std::string, std::string>& o) {
        if (o.contains("name"))
            return o.at("name");
        auto file = query::parse_query_file(text, "case.gq");
        if (file && file->queries.size() > 1)
            return file->queries.front().name;
        return std::nullopt;
    }
    static std::string stored_name(const std::string& text,
                                   const std::map<std::string, std::string>& o) {
        auto file = query::parse_query_file(text, "case.gq");
        if (o.contains("name") || !file || file->queries.empty())
            return o.contains("name") ? o.at("name") : "";
        return file->queries.front().name;
    }

    // A `query` record holding a mutation only type-checks it (at the target's schema).
    Result<std::string> check_mutation(const std::map<std::string, std::string>& o,
                                       const std::string& text) {
        auto picked = OG_TRY(service::parse_and_pick({text, "case.gq"}, picked_name(text, o)));
        auto resolved = OG_TRY(service::resolve_target(graph_->graph(), target(o)));
        OG_TRY(service::check_at(*picked.query, resolved.snapshot, "case.gq"));
        return std::string("ok");
    }

    void run_query(const std::string& header) {
        size_t start = at_;
        auto o = options(header);
        bool ordered = o.contains("ordered");
        base::Json params = nlohmann::ordered_json::parse(params_line());
        std::string text = query_text(o);
        std::vector<std::string> expected = block("");
        ++queries_;
        std::string label = file_ + ":" + std::to_string(start);
        if (auto file = query::parse_query_file(text, "case.gq");
            file && !file->queries.empty() && !o.contains("stored")) {
            auto name = picked_name(text, o);
            const query::Query* q = name ? file->find(*name) : &file->queries.front();
            if (q && q->is_mutation()) {
                auto checked = check_mutation(o, text);
                if (!expected.empty() && expected[0].starts_with("error "))
                    return expect_error(label, expected[0], checked);
                ASSERT_TRUE(checked) << label << ": " << checked.error().to_string();
                EXPECT_EQ(expected, std::vector<std::string>{"ok"}) << label;
                return;
            }
        }
        auto got = read(o, text, params, false);
        if (!expected.empty() && expected[0].starts_with("error "))
            return expect_error(label, expected[0], got);
        ASSERT_TRUE(got) << label << ": " << got.error().to_string();
        if (expected.size() == 1 && expected[0] == "ok")
            return; // type-check only
        std::vector<std::string> want = canonical_rows(expected);
        if (expected.size() == 1 && expected[0] == "[]")
            want.clear();
        std::vector<std::string> have;
        for (size_t row = 0; row < got->result.rows.size(); ++row) {
            base::JsonWriter w;
            query::write_row(got->result, row, w);
            have.push_back(nlohmann::ordered_json::parse(w.text()).dump());
        }
        if (!ordered) {
            std::sort(want.begin(), want.end());
            std::sort(have.begin(), have.end());
        }
        EXPECT_EQ(have, want) << label;
    }

    // `explain` [params] TEXT ---- then the plan's lines exactly (golden), or `error CODE text`.
    void run_explain(const std::string& header) {
        size_t start = at_;
        auto o = options(header);
        base::Json params = nlohmann::ordered_json::parse(params_line());
        std::string text = query_text(o);
        std::vector<std::string> expected = block("");
        ++queries_;
        std::string label = file_ + ":" + std::to_string(start);
        auto got = read(o, text, params, true);
        if (!expected.empty() && expected[0].starts_with("error "))
            return expect_error(label, expected[0], got);
        ASSERT_TRUE(got) << label << ": " << got.error().to_string();
        EXPECT_EQ(got->plan.value_or("<no plan>"), join(expected)) << label;
    }

    // `mutate [branch=B] [stored]` [params] TEXT ---- then `nodes=N edges=M commit=yes|no` or
    // `error CODE text`.
    // `embedder mock [model=M]` | `embedder none`: the provider of the graphs from here on.
    void set_embedder(const std::string& header) {
        auto o = options(header);
        embedder_ = nullptr;
        if (o.contains("mock")) {
            embed::ProviderConfig c;
            c.name = "case mock";
            c.kind = embed::ProviderKind::kMock;
            c.model = o.contains("model") ? o.at("model") : "mock";
            auto e = embed::make_embedder(c);
            ASSERT_TRUE(e);
            embedder_ = *e;
        } else {
            ASSERT_TRUE(o.contains("none")) << where() << ": embedder mock|none";
        }
        if (graph_)
            graph_->set_embedder(embedder_);
    }

    void run_mutation(const std::string& header) {
        size_t start = at_;
        auto o = options(header);
        base::Json params = nlohmann::ordered_json::parse(params_line());
        std::string text = query_text(o);
        std::vector<std::string> expected = block("");
        ++queries_;
        std::string label = file_ + ":" + std::to_string(start);
        auto got = [&]() -> Result<std::string> {
            service::MutationRequest m;
            m.source = {text, "case.gq"};
            m.name = picked_name(text, o);
            m.params = &params;
            m.now_ms = 0;
            if (o.contains("branch"))
                m.branch = o.at("branch");
            std::unique_ptr<service::StoredQuery> stored;
            if (o.contains("stored")) {
                stored = OG_TRY(service::StoredQuery::parse(stored_name(text, o), text, "case.gq"));
                m.stored = stored.get();
            }
            auto r = OG_TRY(service::run_mutation(*graph_, m)).result;
            return "nodes=" + std::to_string(r.affected_nodes) +
                   " edges=" + std::to_string(r.affected_edges) +
                   " commit=" + (r.commit ? "yes" : "no");
        }();
        reopen();
        ASSERT_FALSE(expected.empty()) << label << ": no expectation";
        if (expected[0].starts_with("error ")) {
            expect_error(label, expected[0], got);
            // An optional `at LINE:COL`: where in the mutation's text the error points.
            if (expected.size() > 1 && expected[1].starts_with("at ") && !got) {
                ASSERT_TRUE(got.error().location) << label << ": " << got.error().to_string();
                EXPECT_EQ(got.error().location->to_string(), "case.gq:" + expected[1].substr(3))
                    << label << ": " << got.error().to_string();
            }
            return;
        }
        ASSERT_TRUE(got) << label << ": " << got.error().to_string();
        EXPECT_EQ(*got, expected[0]) << label;
    }
};

TEST_P(QueryCases, Script) {
    file_ = GetParam() + ".test";
    std::string text = read_file(fs::path(cases_dir()) / file_);
    std::stringstream in(text);
    for (std::string l; std::getline(in, l);)
        lines_.push_back(l);
    while (at_ < lines_.size()) {
        std::string line = lines_[at_++];
        if (line.empty() || line.starts_with("#"))
            continue;
        if (line == "schema") {
            fresh_graph(join(block("")));
        } else if (line.starts_with("schema ")) {
            fresh_graph(
                read_file(fs::path(source_dir()) / "test/queries/fixtures" / line.substr(7)));
        } else if (line.starts_with("load ")) {
            // load <mode> [file] | load <mode> error <text>: JSONL follows until a blank line.
            std::istringstream words(line.substr(5));
            std::string mode, rest;
            words >> mode;
            std::getline(words, rest);
            rest.erase(0, rest.find_first_not_of(' '));
            bool error = rest.starts_with("error");
            std::string jsonl;
            if (!error && !rest.empty())
                jsonl = read_file(fs::path(source_dir()) / "test/queries/fixtures" / rest);
            else
                jsonl = join(block(""));
            run_load(mode, jsonl, error,
                     error ? rest.substr(std::min<size_t>(6, rest.size())) : "");
        } else if (line.starts_with("query")) {
            run_query(line);
        } else if (line.starts_with("explain")) {
            run_explain(line);
        } else if (line.starts_with("mutate")) {
            run_mutation(line);
        } else if (line.starts_with("branch create ")) {
            create_branch(line);
        } else if (line.starts_with("rows ")) {
            check_rows(line);
        } else if (line.starts_with("merge ")) {
            run_merge(line);
        } else if (line.starts_with("changes")) {
            run_changes(line);
        } else if (line.starts_with("feed")) {
            run_feed(line);
        } else if (line.starts_with("apply schema")) {
            apply_schema(line);
        } else if (line.starts_with("save ")) {
            save_commit(line);
        } else if (line.starts_with("embedder ")) {
            set_embedder(line);
        } else {
            FAIL() << where() << ": unknown record '" << line << "'";
        }
        if (HasFatalFailure())
            return;
    }
    EXPECT_GT(queries_, 0) << file_ << " has no queries";
    RecordProperty("queries", queries_);
}

INSTANTIATE_TEST_SUITE_P(Files, QueryCases, ::testing::ValuesIn(case_files()),
                         [](const auto& info) { return info.param; });

} // namespace
} // namespace omnigraph::testing
