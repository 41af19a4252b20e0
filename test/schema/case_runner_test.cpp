// Runs the schema-language conformance cases in test/schema/cases (format and semantics:
// test/schema/README.md). One GoogleTest test per case; apply.test cases run on a real graph
// (apply_case.h). Cases that need a part of the system that does not exist yet are skipped
// with the reason, never passed.
#include "apply_case.h"
#include "case_file.h"
#include "engine/load_input.h"
#include "schema/catalog.h"
#include "schema/compiler.h"
#include "schema/ir.h"
#include "schema/lint_codes.h"
#include "schema/parser.h"
#include "schema/plan.h"
#include "schema/shape.h"
#include "test_support.h"

#include <algorithm>
#include <filesystem>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <set>

namespace omnigraph::testing {
namespace {

using namespace omnigraph::schema;
using Plain = nlohmann::json; // unordered: key order does not matter in comparisons
constexpr const char* kDomain = "01ARZ3NDEKTSV4RRFFQ69G5FAV";

Plain plain(const base::Json& j) {
    return Plain::parse(j.dump());
}

std::string trim(std::string s) {
    s.erase(0, s.find_first_not_of(" \t\r"));
    s.erase(s.find_last_not_of(" \t\r") + 1);
    return s;
}

// `text` contains the pieces of `pattern` split at '…', in order.
bool wildcard_contains(const std::string& text, const std::string& pattern) {
    const std::string ellipsis = "\xE2\x80\xA6";
    size_t pos = 0, start = 0;
    while (true) {
        size_t cut = pattern.find(ellipsis, start);
        std::string piece =
            pattern.substr(start, cut == std::string::npos ? std::string::npos : cut - start);
        if (!piece.empty()) {
            size_t found = text.find(piece, pos);
            if (found == std::string::npos)
                return false;
            pos = found + piece.size();
        }
        if (cut == std::string::npos)
            return true;
        start = cut + ellipsis.size();
    }
}

bool wildcard_equals(const std::string& text, const std::string& pattern) {
    const std::string ellipsis = "\xE2\x80\xA6";
    if (pattern.find(ellipsis) == std::string::npos)
        return text == pattern;
    std::string head = pattern.substr(0, pattern.find(ellipsis));
    std::string tail = pattern.substr(pattern.rfind(ellipsis) + ellipsis.size());
    return text.starts_with(head) && text.ends_with(tail) && wildcard_contains(text, pattern);
}

struct DiagnosticLine {
    std::string code, pos, fragment;
};

DiagnosticLine parse_diagnostic_line(const std::string& line) {
    DiagnosticLine d;
    std::istringstream in(line);
    in >> d.code >> d.pos;
    std::getline(in, d.fragment);
    d.fragment = trim(d.fragment);
    return d;
}

bool matches(const DiagnosticLine& want, const std::string& code,
             const std::optional<SourceLocation>& loc, const std::string& message) {
    if (want.code != "*" && want.code != code)
        return false;
    if (want.pos == "?" && !(loc && loc->line > 0))
        return false;
    if (want.pos != "-" && want.pos != "?" &&
        !(loc && std::to_string(loc->line) + ":" + std::to_string(loc->column) == want.pos))
        return false;
    return want.fragment.empty() || wildcard_contains(message, want.fragment);
}

// The state a case builds up.
struct CaseRun {
    std::optional<Error> error;
    std::vector<Diagnostic> warnings;
    std::optional<SchemaAst> ast;
    std::optional<Schema> schema;
    std::optional<SchemaIr> ir, from_ir, prev_ir;
    std::optional<Schema> from_schema, prev_schema;
    std::optional<MigrationPlan> plan;
    std::vector<std::string> variant_hashes;
    std::vector<std::string> unsupported; // why parts of the case could not run
};

base::Json ast_view(const SchemaAst& ast) {
    base::Json decls = base::Json::array();
    auto rename = [](const std::vector<Annotation>& anns) -> base::Json {
        for (const auto& a : anns)
            if (a.name == "rename_from" && a.value)
                return a.value->text;
        return nullptr;
    };
    auto props = [&](const std::vector<Property>& ps) {
        base::Json out = base::Json::array();
        for (const auto& p : ps) {
            base::Json j;
            j["name"] = p.name;
            auto type = resolve_type(p.type);
            j["prop_type"] = type ? prop_type_json(*type) : base::Json(nullptr);
            j["rename_from"] = rename(p.annotations);
            out.push_back(j);
        }
        return out;
    };
    for (const auto& d : ast.declarations) {
        base::Json j;
        if (auto* i = std::get_if<InterfaceDecl>(&d)) {
            j["kind"] = "interface";
            j["name"] = i->name;
            j["rename_from"] = nullptr;
            j["properties"] = props(i->properties);
        } else if (auto* n = std::get_if<NodeDecl>(&d)) {
            j["kind"] = "node";
            j["name"] = n->name;
            j["rename_from"] = rename(n->annotations);
            j["properties"] = props(n->properties);
        } else {
            const auto& e = std::get<EdgeDecl>(d);
            j["kind"] = "edge";
            j["name"] = e.name;
            j["rename_from"] = rename(e.annotations);
            j["from_type"] = e.from_type;
            j["to_type"] = e.to_type;
            j["properties"] = props(e.properties);
        }
        decls.push_back(j);
    }
    base::Json out;
    out["declarations"] = decls;
    return out;
}

// Evaluates "a[Name].b[*].c|len" over `root`.
std::optional<Plain> eval_path(const Plain& root, const std::string& path) {
    std::string p = path;
    bool want_len = false;
    if (p.ends_with("|len")) {
        want_len = true;
        p.resize(p.size() - 4);
    }
    std::function<std::optional<Plain>(const Plain&, size_t)> walk =
        [&](const Plain& v, size_t i) -> std::optional<Plain> {
        if (i >= p.size())
            return v;
        if (p[i] == '.')
            return walk(v, i + 1);
        if (p[i] == '[') {
            size_t close = p.find(']', i);
            std::string sel = p.substr(i + 1, close - i - 1);
            if (!v.is_array())
                return std::nullopt;
            if (sel == "*") {
                Plain out = Plain::array();
                for (const auto& item : v) {
                    auto r = walk(item, close + 1);
                    if (!r)
                        return std::nullopt;
                    out.push_back(*r);
                }
                return out;
            }
            if (!sel.empty() && std::all_of(sel.begin(), sel.end(), ::isdigit)) {
                size_t idx = std::stoul(sel);
                if (idx >= v.size())
                    return std::nullopt;
                return walk(v[idx], close + 1);
            }
            std::string key = "name", value = sel;
            if (auto eq = sel.find('='); eq != std::string::npos) {
                key = sel.substr(0, eq);
                value = sel.substr(eq + 1);
            }
            for (const auto& item : v) {
                if (!item.is_object() || !item.contains(key))
                    continue;
                const Plain& f = item[key];
                std::string s = f.is_string() ? f.get<std::string>() : f.dump();
                if (s == value)
                    return walk(item, close + 1);
            }
            return std::nullopt;
        }
        size_t end = p.find_first_of(".[", i);
        std::string field = p.substr(i, end == std::string::npos ? std::string::npos : end - i);
        if (!v.is_object() || !v.contains(field))
            return std::nullopt;
        return walk(v[field], end == std::string::npos ? p.size() : end);
    };
    auto r = walk(root, 0);
    if (r && want_len) {
        if (!r->is_array() && !r->is_object() && !r->is_string())
            return std::nullopt;
        return Plain(r->is_string() ? r->get<std::string>().size() : r->size());
    }
    return r;
}

class SchemaCaseTest : public ::testing::TestWithParam<SchemaCase> {
  protected:
    const SchemaCase& c() const { return GetParam(); }

    // Compiles a source through shape + IR; errors and warnings go to `run` when `primary`.
    std::optional<std::pair<Schema, SchemaIr>> compile(const std::string& source,
                                                       const SchemaIr* accepted, bool primary) {
        auto loaded = load_schema(source, "case.pg");
        if (!loaded) {
            if (primary)
                run_.error = loaded.error();
            else
                ADD_FAILURE() << "a setup schema does not compile: " << loaded.error().to_string();
            return std::nullopt;
        }
        auto built = build_ir(*loaded, accepted, kDomain);
        if (!built) {
            if (primary)
                run_.error = built.error();
            else
                ADD_FAILURE() << "a setup schema does not resolve: " << built.error().to_string();
            return std::nullopt;
        }
        if (primary) {
            run_.warnings = loaded->warnings;
            for (auto& w : built->warnings)
                run_.warnings.push_back(w);
        }
        return std::pair(std::move(*loaded), std::move(built->ir));
    }

    void execute() {
        const SchemaCase& k = c();
        if (k.section("init") || k.section("apply") || k.section("tamper")) {
            apply_ = std::make_unique<ApplyCase>(k);
            run_.error = apply_->error;
            if (apply_->result) {
                run_.plan = apply_->result->plan;
                run_.warnings = apply_->result->warnings;
            }
            return;
        }
        if (k.section("lint-code") || k.section("lint-registry"))
            return check_registry();
        if (auto variants = k.all("variant"); !variants.empty()) {
            for (const auto* v : variants) {
                auto r = compile(v->text, nullptr, true);
                if (!r)
                    return;
                run_.variant_hashes.push_back(shape_hash(r->first));
                run_.schema = r->first;
                run_.ir = r->second;
            }
            return;
        }
        if (const auto* s = k.section("schema")) {
            if (k.headers.count("stage") && k.headers.at("stage") == "parse") {
                auto ast = parse_schema(s->text, "case.pg");
                if (!ast) {
                    run_.error = ast.error();
                    return;
                }
                run_.ast = *ast;
                auto schema = compile_schema(*ast, "case.pg", CompileOptions{true});
                if (!schema)
                    run_.error = schema.error();
                else
                    run_.warnings = schema->warnings;
                return;
            }
            if (auto ast = parse_schema(s->text, "case.pg"))
                run_.ast = *ast;
            if (run_.ast && k.headers.count("mode") &&
                k.headers.at("mode") == "persisted-contract") {
                auto schema = compile_schema(*run_.ast, "case.pg", CompileOptions{false, true});
                if (!schema)
                    run_.error = schema.error();
                else
                    run_.schema = *schema;
                return;
            }
            auto r = compile(s->text, nullptr, true);
            if (r) {
                run_.schema = r->first;
                run_.ir = r->second;
            }
            return;
        }
        if (const auto* irs = k.section("ir"); irs && !k.section("to")) {
            auto json = base::parse_json(irs->text);
            if (!json) {
                run_.error = json.error();
                return;
            }
            auto ir = parse_ir(*json);
            if (!ir)
                run_.error = ir.error();
            else
                run_.ir = *ir;
            return;
        }
        std::optional<SchemaIr> accepted;
        if (const auto* f = k.section("from")) {
            auto r = compile(f->text, nullptr, false);
            if (!r)
                return;
            run_.from_schema = r->first;
            accepted = r->second;
        } else if (const auto* f = k.section("from-ir")) {
            auto json = base::parse_json(f->text);
            ASSERT_TRUE(json) << json.error().to_string();
            auto ir = parse_ir(*json);
            if (!ir) {
                run_.error = ir.error();
                return;
            }
            accepted = *ir;
        } else if (k.section("to")) {
            auto r = compile("", nullptr, false); // no accepted schema: an empty graph
            accepted = r->second;
            run_.from_schema = r->first;
        }
        if (accepted)
            run_.from_ir = accepted;
        for (const auto* v : k.all("via")) {
            auto r = compile(v->text, &*accepted, false);
            if (!r)
                return;
            accepted = r->second;
        }
        run_.prev_ir = accepted;
        SchemaIr desired;
        if (const auto* t = k.section("to")) {
            auto r = compile(t->text, &*accepted, true);
            if (!r)
                return;
            run_.schema = r->first;
            desired = r->second;
        } else if (const auto* t = k.section("to-ir")) {
            auto json = base::parse_json(t->text);
            ASSERT_TRUE(json) << json.error().to_string();
            auto ir = parse_ir(*json);
            if (!ir) {
                run_.error = ir.error();
                return;
            }
            desired = *ir;
        } else {
            GTEST_SKIP() << "case shape not understood by the runner";
        }
        run_.ir = desired;
        bool hard = false;
        if (const auto* o = k.section("options"))
            for (const auto& l : o->lines)
                hard |= trim(l) == "allow_data_loss: true";
        auto plan = plan_migration(*accepted, desired, hard);
        if (!plan)
            run_.error = plan.error();
        else
            run_.plan = *plan;
    }

    void check_registry() {
        const SchemaCase& k = c();
        if (const auto* s = k.section("lint-code")) {
            std::map<std::string, std::string> want;
            for (const auto& l : s->lines)
                want[trim(l.substr(0, l.find(':')))] = trim(l.substr(l.find(':') + 1));
            const LintCode* code = find_lint_code(want["code"]);
            ASSERT_NE(code, nullptr) << want["code"];
            EXPECT_EQ(code->family, want["family"]);
            EXPECT_EQ(code->tier, want["tier"]);
            EXPECT_EQ(code->severity, want["severity"]);
            EXPECT_EQ(code->emitted, want["emitted"] == "yes");
            if (want.count("summary"))
                EXPECT_NE(code->summary.find(want["summary"]), std::string::npos) << code->summary;
        }
        if (const auto* s = k.section("lint-registry")) {
            for (const auto& l : s->lines) {
                std::string line = trim(l);
                auto colon = line.find(':');
                if (colon == std::string::npos) {
                    std::set<std::string_view> seen;
                    for (const auto& code : lint_codes()) {
                        if (line == "codes-unique")
                            EXPECT_TRUE(seen.insert(code.code).second);
                        if (line == "prefix-matches-family")
                            EXPECT_EQ(code.code.substr(3, 2), code.family);
                        if (line == "suffix-three-digits")
                            EXPECT_TRUE(code.code.size() == 9 && std::isdigit(code.code[6]) &&
                                        std::isdigit(code.code[7]) && std::isdigit(code.code[8]));
                        if (line == "destructive-defaults-to-error" && code.tier == "destructive") {
                            EXPECT_EQ(code.severity, "error");
                        }
                    }
                    continue;
                }
                std::string key = line.substr(0, colon);
                std::istringstream in(line.substr(colon + 1));
                std::set<std::string> want, have;
                for (std::string w; in >> w;)
                    want.insert(w);
                if (key == "codes")
                    for (const auto& code : lint_codes())
                        have.insert(std::string(code.code));
                if (key == "families")
                    for (auto f : lint_families())
                        have.insert(std::string(f));
                if (key == "tiers")
                    have = {"safe", "validated", "destructive"};
                if (key == "severities")
                    have = {"error", "warn", "info"};
                EXPECT_EQ(have, want) << key;
            }
        }
    }

    std::optional<Plain> root_value(const std::string& ref) {
        std::string r = ref;
        const std::optional<SchemaIr>* ir = &run_.ir;
        std::optional<Schema> schema = run_.schema;
        if (r.starts_with("from.") || r.starts_with("prev.")) {
            bool from = r.starts_with("from.");
            ir = from ? &run_.from_ir : &run_.prev_ir;
            r = r.substr(5);
            schema = *ir ? std::optional<Schema>(project_schema(**ir)) : std::nullopt;
        }
        std::string root = r.substr(0, r.find(':'));
        std::string path = r.find(':') == std::string::npos ? "" : r.substr(r.find(':') + 1);
        if (root == "shape" && schema)
            return eval_path(plain(shape_json(*schema)), path);
        if (root == "shape_json" && schema)
            return Plain(base::to_canonical_json(shape_json(*schema)));
        if (root == "shape_hash" && schema)
            return Plain(shape_hash(*schema));
        if (root == "ir" && *ir)
            return eval_path(plain(ir_json(**ir)), path);
        if (root == "ir_hash" && *ir)
            return Plain(ir_hash(**ir));
        if (root == "ir_shape_hash" && *ir)
            return Plain(shape_hash(project_schema(**ir)));
        if (root == "catalog" && *ir)
            return eval_path(plain(catalog_json(project_catalog(**ir))), path);
        if (apply_) {
            if (root == "result" && apply_->result)
                return eval_path(plain(apply_->last_was_apply
                                           ? engine::apply_result_json(*apply_->result)
                                           : plan_json(apply_->result->plan, "<uri>")),
                                 path);
            if (root == "preview_catalog" && apply_->result)
                return eval_path(plain(catalog_json(apply_->result->desired->catalog)), path);
            if (auto v = apply_->value(root, path))
                return *v;
        }
        if (root == "result" && run_.plan && !c().section("apply"))
            return eval_path(plain(plan_json(*run_.plan, "<uri>")), path);
        if (root == "node_id" && *ir) {
            // The id the loader derives for a row with these values (`Type{...}`).
            auto brace = path.find('{');
            std::string type = path.substr(0, brace);
            std::string line = "{\"type\":\"" + type + "\",\"data\":" + path.substr(brace) + "}\n";
            auto batch = engine::parse_load_input(line, project_catalog(**ir));
            if (!batch) {
                ADD_FAILURE() << batch.error().to_string();
                return std::nullopt;
            }
            return Plain(std::string(batch->tables.at("node:" + type).ids.at(0)));
        }
        if (root == "ast" && run_.ast)
            return eval_path(plain(ast_view(*run_.ast)), path);
        if ((root == "edge_lookup" || root == "node_lookup" || root == "lookup") && schema) {
            const EdgeDef* e = root != "node_lookup" ? schema->find_edge(path) : nullptr;
            const NodeDef* n = root != "edge_lookup" ? schema->find_node(path) : nullptr;
            if (root == "edge_lookup")
                return e ? Plain(e->name) : Plain(nullptr);
            if (root == "node_lookup")
                return n ? Plain(n->name) : Plain(nullptr);
            // Generic lookup: exact name across kinds; ambiguous or absent is null.
            const EdgeDef* exact_edge = nullptr;
            for (const auto& ed : schema->edges)
                if (ed.name == path)
                    exact_edge = &ed;
            if ((n != nullptr) == (exact_edge != nullptr))
                return Plain(nullptr);
            return Plain(n ? n->name : exact_edge->name);
        }
        run_.unsupported.push_back("check root '" + root + "'");
        return std::nullopt;
    }

    void check_line(const std::string& raw) {
        std::string line = trim(raw);
        auto sp = line.find(' ');
        std::string lhs = line.substr(0, sp);
        std::string rest = trim(line.substr(sp + 1));
        auto sp2 = rest.find(' ');
        std::string op = rest.substr(0, sp2);
        std::string rhs = sp2 == std::string::npos ? "" : trim(rest.substr(sp2 + 1));
        size_t before = run_.unsupported.size();
        auto value = root_value(lhs);
        if (run_.unsupported.size() != before)
            return;
        ASSERT_TRUE(value.has_value()) << "no value at " << lhs;
        if (op == "includes" || op == "excludes" || op == "startswith") {
            ASSERT_TRUE(value->is_string()) << lhs;
            std::string s = value->get<std::string>();
            if (op == "includes")
                EXPECT_NE(s.find(rhs), std::string::npos) << lhs << " lacks " << rhs;
            else if (op == "excludes")
                EXPECT_EQ(s.find(rhs), std::string::npos) << lhs << " has " << rhs;
            else
                EXPECT_TRUE(s.starts_with(rhs)) << lhs << " does not start with " << rhs;
            return;
        }
        Plain want;
        if (rhs.starts_with("@")) {
            auto other = root_value(rhs.substr(1));
            if (!other)
                return;
            want = *other;
        } else {
            want = Plain::parse(rhs, nullptr, false);
            ASSERT_FALSE(want.is_discarded()) << "bad JSON in check: " << rhs;
        }
        if (op == "=")
            EXPECT_EQ(*value, want) << lhs;
        else if (op == "!=")
            EXPECT_NE(*value, want) << lhs;
        else if (op == "contains" || op == "lacks") {
            ASSERT_TRUE(value->is_array()) << lhs;
            bool has = std::find(value->begin(), value->end(), want) != value->end();
            EXPECT_EQ(has, op == "contains")
                << lhs << " " << op << " " << rhs << "; value " << value->dump();
        } else {
            ADD_FAILURE() << "unknown check operator " << op;
        }
    }

    static bool step_matches(const Plain& pattern, const Plain& step) {
        for (auto& [key, want] : pattern.items()) {
            if (key.ends_with("~")) {
                std::string k = key.substr(0, key.size() - 1);
                if (!step.contains(k) || !step[k].is_string())
                    return false;
                std::string s = step[k].get<std::string>();
                for (const auto& piece : want.is_array() ? want : Plain::array({want}))
                    if (!wildcard_contains(s, piece.get<std::string>()))
                        return false;
            } else if (key.ends_with("!")) {
                if (step.contains(key.substr(0, key.size() - 1)))
                    return false;
            } else if (!step.contains(key) || step[key] != want) {
                return false;
            }
        }
        return true;
    }

    void check_steps() {
        std::vector<Plain> actual;
        if (run_.plan)
            for (const auto& s : run_.plan->steps)
                actual.push_back(plain(step_json(s)));
        auto patterns = [](const CaseSection* s) {
            std::vector<Plain> out;
            for (const auto& l : s->lines)
                out.push_back(Plain::parse(l));
            return out;
        };
        std::string dump;
        for (const auto& a : actual)
            dump += "\n  " + a.dump();
        if (const auto* s = c().section("steps")) {
            auto want = patterns(s);
            ASSERT_EQ(actual.size(), want.size()) << "steps:" << dump;
            for (size_t i = 0; i < want.size(); ++i)
                EXPECT_TRUE(step_matches(want[i], actual[i]))
                    << "step " << i << " wants " << want[i].dump() << dump;
        }
        for (const char* name : {"steps-unordered", "steps-include"}) {
            const auto* s = c().section(name);
            if (!s)
                continue;
            auto want = patterns(s);
            if (std::string(name) == "steps-unordered")
                ASSERT_EQ(actual.size(), want.size()) << "steps:" << dump;
            std::vector<bool> used(actual.size());
            for (const auto& w : want) {
                bool found = false;
                for (size_t i = 0; i < actual.size() && !found; ++i)
                    if (!used[i] && step_matches(w, actual[i]))
                        used[i] = found = true;
                EXPECT_TRUE(found) << "no step matches " << w.dump() << dump;
            }
        }
    }

    void check_expectation() {
        const CaseSection* e = c().section("expect");
        if (!e)
            return;
        const std::string& outcome = e->arg;
        std::string err_text = run_.error ? run_.error->to_string() : "";
        auto first_error_matches = [&](const std::vector<std::string>& lines) {
            for (const auto& l : lines)
                if (run_.error && matches(parse_diagnostic_line(l), run_.error->code,
                                          run_.error->location, run_.error->message))
                    return true;
            return false;
        };
        auto warnings_match = [&](const std::vector<std::string>& lines) {
            std::vector<bool> used(run_.warnings.size());
            for (const auto& l : lines) {
                auto want = parse_diagnostic_line(l);
                bool found = false;
                for (size_t i = 0; i < run_.warnings.size() && !found; ++i)
                    if (!used[i] && matches(want, run_.warnings[i].code, run_.warnings[i].location,
                                            run_.warnings[i].message))
                        used[i] = found = true;
                if (!found)
                    return false;
            }
            return lines.size() == run_.warnings.size();
        };
        std::string warning_text;
        for (const auto& w : run_.warnings)
            warning_text += "\n  " + w.code + ": " + w.message;
        if (outcome == "ok") {
            EXPECT_FALSE(run_.error) << err_text;
            EXPECT_TRUE(run_.warnings.empty()) << warning_text;
        } else if (outcome == "warnings") {
            EXPECT_FALSE(run_.error) << err_text;
            EXPECT_TRUE(warnings_match(e->lines)) << "warnings:" << warning_text;
        } else if (outcome == "error" || outcome == "error-any-of") {
            ASSERT_TRUE(run_.error) << "expected an error, got success";
            EXPECT_TRUE(first_error_matches(e->lines)) << "got " << err_text;
        } else if (outcome == "implementation-defined") {
            if (run_.error) {
                EXPECT_TRUE(first_error_matches(e->lines)) << "got " << err_text;
            }
        } else if (outcome == "same-shape-hash" || outcome == "different-shape-hash") {
            ASSERT_FALSE(run_.error) << err_text;
            std::set<std::string> distinct(run_.variant_hashes.begin(), run_.variant_hashes.end());
            if (outcome == "same-shape-hash")
                EXPECT_EQ(distinct.size(), 1u);
            else
                EXPECT_EQ(distinct.size(), run_.variant_hashes.size());
            if (const auto* h = c().section("shape_hash"))
                for (const auto& v : run_.variant_hashes)
                    EXPECT_EQ(v, trim(h->lines.at(0)));
        } else if (outcome == "applied" || outcome == "no-op") {
            ASSERT_FALSE(run_.error) << err_text;
            ASSERT_TRUE(apply_ && apply_->result);
            EXPECT_TRUE(apply_->result->plan.supported);
            EXPECT_EQ(apply_->result->applied, outcome == "applied");
        } else if (outcome == "supported" || outcome == "unsupported") {
            ASSERT_FALSE(run_.error) << err_text;
            ASSERT_TRUE(run_.plan);
            std::string dump;
            for (const auto& s : run_.plan->steps)
                dump += "\n  " + render_step(s);
            EXPECT_EQ(run_.plan->supported, outcome == "supported") << dump;
        } else {
            run_.unsupported.push_back("expect: " + outcome);
        }
        if (const auto* w = c().section("warnings"))
            EXPECT_TRUE(warnings_match(w->lines)) << "warnings:" << warning_text;
    }

    void check_hash_sections() {
        if (c().all("variant").empty()) {
            if (const auto* h = c().section("shape_hash"); h && run_.schema)
                EXPECT_EQ(shape_hash(*run_.schema), trim(h->lines.at(0)));
        }
        if (const auto* h = c().section("ir_hash"); h && run_.ir)
            EXPECT_EQ(ir_hash(*run_.ir), trim(h->lines.at(0)));
        if (const auto* s = c().section("same-ir-as"); s && run_.ir) {
            auto other = compile(s->text, nullptr, false);
            if (other)
                EXPECT_EQ(ir_hash(other->second), ir_hash(*run_.ir));
        }
    }

    void check_lint_and_render() {
        if (const auto* l = c().section("lint")) {
            ASSERT_TRUE(run_.plan);
            std::multiset<std::string> want, have;
            for (const auto& line : l->lines) {
                std::istringstream in(line);
                std::string a, b, t, d;
                in >> a >> b >> t >> d;
                want.insert(a + " " + b + " " + t + " " + d);
            }
            for (const auto& s : run_.plan->steps) {
                if (s.code.empty())
                    continue;
                const LintCode* code = find_lint_code(s.code);
                ASSERT_NE(code, nullptr) << s.code;
                have.insert(s.code + " " + std::string(code->severity) + " " +
                            std::string(code->tier) + " " + s.entity);
            }
            EXPECT_EQ(have, want);
        }
        std::optional<engine::SchemaApplyResult> applied; // rendered with the URI as "<uri>"
        if (apply_ && apply_->last_was_apply && apply_->result) {
            applied = *apply_->result;
            applied->uri = "<uri>";
        }
        std::string rendered = applied     ? engine::render_apply_result(*applied)
                               : run_.plan ? render_plan(*run_.plan, "<uri>")
                                           : "";
        if (const auto* r = c().section("render")) {
            ASSERT_TRUE(run_.plan);
            std::vector<std::string> lines;
            std::istringstream in(rendered);
            for (std::string l; std::getline(in, l);)
                lines.push_back(l);
            ASSERT_EQ(lines.size(), r->lines.size()) << rendered;
            for (size_t i = 0; i < lines.size(); ++i)
                EXPECT_TRUE(wildcard_equals(lines[i], trim(r->lines[i])))
                    << lines[i] << "\n vs " << r->lines[i];
        }
        if (const auto* r = c().section("render-contains")) {
            ASSERT_TRUE(run_.plan);
            for (const auto& l : r->lines)
                EXPECT_TRUE(wildcard_contains(rendered, trim(l))) << rendered;
        }
        if (const auto* k = c().section("json-keys")) {
            ASSERT_TRUE(run_.plan);
            std::string keys;
            base::Json json = applied ? engine::apply_result_json(*applied)
                                      : plan_json(*run_.plan, "<uri>"); // named: items() keeps
                                                                        // no temporary alive
            for (auto& [key, v] : json.items())
                keys += (keys.empty() ? "" : " ") + key;
            EXPECT_EQ(keys, trim(k->lines.at(0)));
        }
    }

    CaseRun run_;
    std::unique_ptr<ApplyCase> apply_;

  public:
    void run_case() {
        execute();
        if (::testing::Test::IsSkipped() || ::testing::Test::HasFatalFailure())
            return;
        check_expectation();
        check_hash_sections();
        if (const auto* s = c().section("check"))
            for (const auto& l : s->lines)
                check_line(l);
        check_steps();
        check_lint_and_render();
        if (!run_.unsupported.empty()) {
            std::string why;
            for (const auto& u : run_.unsupported)
                why += " " + u;
            if (!HasFailure())
                GTEST_SKIP() << "not yet runnable:" << why;
        }
    }
};

TEST_P(SchemaCaseTest, Holds) {
    run_case();
}

std::vector<SchemaCase> all_cases() {
    std::vector<SchemaCase> out;
    std::vector<std::string> files;
    for (const auto& e : std::filesystem::directory_iterator(source_dir() + "/test/schema/cases"))
        if (e.path().extension() == ".test")
            files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    for (const auto& f : files)
        for (auto& k : load_case_file(f))
            out.push_back(std::move(k));
    return out;
}

std::string case_name(const ::testing::TestParamInfo<SchemaCase>& info) {
    std::string name = info.param.file.substr(0, info.param.file.find('.')) + "_" + info.param.name;
    for (char& ch : name)
        if (!std::isalnum(static_cast<unsigned char>(ch)))
            ch = '_';
    return name + "_" + std::to_string(info.index);
}

INSTANTIATE_TEST_SUITE_P(Spec, SchemaCaseTest, ::testing::ValuesIn(all_cases()), case_name);

} // namespace
} // namespace omnigraph::testing
