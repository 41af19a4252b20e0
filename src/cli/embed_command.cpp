// `omnigraph embed`: the offline JSONL embedding helper (upstream's pipeline, docs/cli.md
// "omnigraph embed"). Reads a graph batch, computes the @embed targets of its node rows with
// the OMNIGRAPH_EMBED_* provider (or clears them with --clean), writes the batch back in the
// same order. Needs no graph: the schema file says which properties are @embed targets.
#include "cli/commands.h"
#include "cli/graph_access.h"
#include "cli/source_file.h"
#include "embed/embedder.h"
#include "embed/errors.h"
#include "schema/compiler.h"
#include "schema/ir.h"

#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace omnigraph::cli {

namespace {

namespace fs = std::filesystem;
using base::Json;

struct EmbedArgs {
    std::string seed, input, output, spec;
    std::vector<std::string> select; // TYPE or TYPE.PROPERTY
    bool reembed_all = false, clean = false, json = false;
};

struct Counts {
    uint64_t rows = 0, embedded = 0, cleared = 0;
};

// One line of the batch: its JSON when it is a node record of a type with @embed targets.
struct Line {
    std::string text;           // as read, written back when untouched
    std::optional<Json> record; // parsed node record to rewrite
    const schema::NodeCatalog* node = nullptr;
};

bool selected(const std::vector<std::string>& select, const std::string& type,
              const std::string& prop) {
    if (select.empty())
        return true;
    std::string qualified = type;
    qualified += '.';
    qualified += prop;
    for (const auto& s : select)
        if (s == type || s == qualified)
            return true;
    return false;
}

Result<Counts> run(const EmbedArgs& a, std::vector<Line>& lines, const schema::Catalog& catalog,
                   const std::string& input_name) {
    Counts counts;
    // Pending texts per (type, target): the lines and the texts.
    struct Pending {
        std::vector<size_t> lines;
        std::vector<std::string> texts;
        uint32_t dim = 0;
        std::optional<std::string> model;
    };
    std::map<std::pair<std::string, std::string>, Pending> pending;
    for (size_t i = 0; i < lines.size(); ++i) {
        Line& l = lines[i];
        if (l.text.find_first_not_of(" \t\r") == std::string::npos)
            continue;
        ++counts.rows;
        auto parsed = base::parse_json(l.text);
        if (!parsed || !parsed->is_object())
            return Error("invalid_load_input",
                         "line " + std::to_string(i + 1) + ": not a JSON object",
                         SourceLocation{input_name, int(i + 1), 1});
        auto type = parsed->find("type");
        auto data = parsed->find("data");
        if (type == parsed->end() || !type->is_string() || data == parsed->end() ||
            !data->is_object())
            continue; // edges and records without data pass through
        const schema::NodeCatalog* node = catalog.find_node(type->get<std::string>());
        if (!node || node->embed_sources.empty())
            continue;
        bool touched = false;
        for (const auto& [target, source] : node->embed_sources) {
            if (!selected(a.select, node->name, target))
                continue;
            if (a.clean) {
                if (data->erase(target) > 0) {
                    ++counts.cleared;
                    touched = true;
                }
                continue;
            }
            auto have = data->find(target);
            bool present = have != data->end() && !have->is_null();
            auto text = data->find(source.property);
            if ((present && !a.reembed_all) || text == data->end() || !text->is_string())
                continue;
            Pending& p = pending[{node->name, target}];
            p.lines.push_back(i);
            p.texts.push_back(text->get<std::string>());
            p.dim = node->properties.at(target).vector_dim;
            p.model = source.model;
            touched = true;
        }
        if (touched) {
            l.record = std::move(*parsed);
            l.node = node;
        }
    }
    if (pending.empty())
        return counts;
    auto config = OG_TRY(embed::config_from_env());
    if (!config)
        return Error(embed::kProviderMissing,
                     "`omnigraph embed` needs an embedding provider: set OMNIGRAPH_EMBED_PROVIDER "
                     "(and _MODEL, _BASE_URL, _API_KEY), or pass --clean");
    auto embedder = OG_TRY(embed::make_embedder(std::move(*config)));
    for (auto& [at, p] : pending) {
        std::string what = at.first + "." + at.second;
        OG_CHECK(embed::check_model(*embedder, p.model, what));
        auto vectors = embedder->embed(p.texts, p.dim, embed::Purpose::kDocument);
        if (!vectors)
            return std::move(vectors).error().prepend("embedding " + what);
        for (size_t k = 0; k < p.lines.size(); ++k) {
            Json v = Json::array();
            for (float x : (*vectors)[k])
                v.push_back(x);
            std::optional<Json>& record = lines[p.lines[k]].record;
            if (!record) // only lines with a parsed record are pending
                return Error(codes::kInternal, "embed: line " + std::to_string(p.lines[k] + 1) +
                                                   " has no record to rewrite");
            (*record)["data"][at.second] = std::move(v);
            ++counts.embedded;
        }
    }
    return counts;
}

int run_embed(const EmbedArgs& a) {
    if (a.seed.empty() == (a.input.empty() && a.output.empty()) ||
        (a.seed.empty() && (a.input.empty() || a.output.empty()))) {
        std::cerr << "error: embed needs --seed FILE, or --input IN and --output OUT\n";
        return 2;
    }
    if (a.clean && a.reembed_all) {
        std::cerr << "error: --clean and --reembed-all exclude each other\n";
        return 2;
    }
    const std::string& in = a.seed.empty() ? a.input : a.seed;
    const std::string& out = a.seed.empty() ? a.output : a.seed;
    auto spec = read_source_file(a.spec);
    if (!spec)
        return fail(spec.error(), a.json);
    auto parsed = schema::load_schema(*spec, a.spec);
    if (!parsed)
        return fail_with_source(parsed.error(), *spec, a.json);
    auto ir = schema::build_ir(*parsed, nullptr, "");
    if (!ir)
        return fail_with_source(ir.error(), *spec, a.json);
    schema::Catalog catalog = schema::project_catalog(ir->ir);
    for (const auto& s : a.select) {
        std::string type = s.substr(0, s.find('.'));
        const schema::NodeCatalog* node = catalog.find_node(type);
        bool ok = node && (s.find('.') == std::string::npos
                               ? !node->embed_sources.empty()
                               : node->embed_sources.count(s.substr(s.find('.') + 1)) > 0);
        if (!ok)
            return fail(Error(codes::kInvalidArgument,
                              "--select " + s + ": no such @embed property in " + a.spec),
                        a.json);
    }
    auto text = read_source_file(in);
    if (!text)
        return fail(text.error(), a.json);
    std::vector<Line> lines;
    std::istringstream stream(*text);
    for (std::string l; std::getline(stream, l);)
        lines.push_back({l, std::nullopt, nullptr});
    auto counts = run(a, lines, catalog, in);
    if (!counts)
        return fail(counts.error(), a.json);
    // Written beside the output and renamed over it: a failure never leaves half a file.
    std::string tmp = out + ".omnigraph-embed.tmp";
    {
        std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
        for (const auto& l : lines)
            f << (l.record ? base::to_compact_json(*l.record) : l.text) << "\n";
        f.close();
        if (!f) {
            std::error_code ignored;
            fs::remove(tmp, ignored);
            return fail(Error("io_error", "cannot write '" + out + "'"), a.json);
        }
    }
    std::error_code ec;
    fs::rename(tmp, out, ec);
    if (ec)
        return fail(Error("io_error", "cannot write '" + out + "': " + ec.message()), a.json);
    if (a.json) {
        Json j;
        j["input"] = in;
        j["output"] = out;
        j["rows"] = counts->rows;
        j["embedded"] = counts->embedded;
        j["cleared"] = counts->cleared;
        std::cout << base::to_pretty_json(j);
    } else {
        std::cout << "embed: " << counts->embedded << " vector(s) computed, " << counts->cleared
                  << " cleared, " << counts->rows << " row(s) written to " << out << "\n";
    }
    return 0;
}

} // namespace

void register_embed(CLI::App& app, Outcome& outcome) {
    auto args = std::make_shared<EmbedArgs>();
    auto* cmd = app.add_subcommand(
        "embed", "Compute (or --clean) the @embed vectors of a JSONL graph batch, offline");
    cmd->add_option("--seed", args->seed, "Rewrite this JSONL batch in place");
    cmd->add_option("--input", args->input, "The JSONL batch to read");
    cmd->add_option("--output", args->output, "Where to write the result");
    cmd->add_option("--spec", args->spec, "The schema (.pg) naming the @embed properties")
        ->required();
    cmd->add_flag("--reembed-all", args->reembed_all,
                  "Recompute every vector, also those the batch already has");
    cmd->add_flag("--clean", args->clean, "Remove the @embed vectors instead of computing them");
    cmd->add_option("--select", args->select,
                    "Only these node types or TYPE.PROPERTY targets (repeatable)");
    cmd->add_flag("--json", args->json, "Print the summary as JSON");
    cmd->callback([args, &outcome] { outcome.exit_code = run_embed(*args); });
}

} // namespace omnigraph::cli
