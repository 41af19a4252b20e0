#include "cluster/desired_state.h"

#include "base/text.h"
#include "cluster/digests.h"
#include "cluster/external_blobs.h"
#include "policy/bundle.h"
#include "query/parser.h"
#include "query/typecheck.h"
#include "schema/catalog.h"
#include "schema/compiler.h"
#include "schema/ir.h"

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

namespace omnigraph::cluster {

namespace {

namespace fs = std::filesystem;

std::string display_path(const LoadedConfig& c, const std::string& written) {
    return (fs::path(c.config_dir) / written).lexically_normal().string();
}

std::string error_text(const Error& e) {
    return e.location ? e.location->to_string() + ": " + e.message : e.message;
}

// A query file read and parsed once, shared by every query it declares; or why it failed.
struct QueryFileData {
    std::string path, source, digest;
    query::QueryFile parsed;
    std::string failure_code, failure; // set when the file cannot be used
};

class Builder {
  public:
    Builder(DesiredState& d, Diagnostics& diags) : d_(d), diags_(diags) {}

    void run() {
        const ClusterConfig& c = d_.loaded.config;
        for (const auto& [name, profile] : c.providers)
            provider(name, profile);
        for (const auto& [id, decl] : c.graphs)
            graph(id, decl);
        for (const auto& [id, g] : d_.graphs)
            add_resource("graph." + id, "graph", desired_composite(d_, g), std::nullopt);
        for (const auto& [name, decl] : c.policies)
            policy(name, decl);
        finish();
    }

  private:
    void add_resource(std::string address, std::string kind, std::string digest,
                      std::optional<std::string> path) {
        d_.digests[address] = digest;
        d_.resources.push_back(
            {std::move(address), std::move(kind), std::move(digest), std::move(path)});
    }
    void edge(std::string from, std::string to) {
        d_.dependencies.emplace_back(std::move(from), std::move(to));
    }

    void provider(const std::string& name, const ProviderProfile& p) {
        std::string path = "providers.embedding." + name;
        if (!valid_resource_name(name))
            diags_.error("invalid_resource_id", path, "invalid provider name '" + name + "'");
        std::string kind = p.kind.value_or("openai-compatible");
        static const std::set<std::string> kinds = {"openai-compatible", "openai", "gemini",
                                                    "mock"};
        if (!kinds.contains(kind))
            diags_.error("invalid_embedding_provider", path + ".kind",
                         "unknown embedding provider kind '" + kind +
                             "' (expected openai-compatible, openai, gemini or mock)");
        if (p.api_key) {
            std::string key = *p.api_key;
            bool env_ref = key.size() > 3 && key.starts_with("${") && key.ends_with("}");
            std::string inner = env_ref ? key.substr(2, key.size() - 3) : "";
            inner.erase(0, inner.find_first_not_of(" \t"));
            inner.erase(inner.find_last_not_of(" \t") + 1);
            if (!env_ref || inner.empty())
                diags_.error("embedding_api_key_inline", path + ".api_key",
                             "api_key must be an environment reference like ${OPENAI_API_KEY}, "
                             "never an inline secret");
        } else if (kind != "mock") {
            diags_.error("embedding_api_key_required", path + ".api_key",
                         "embedding provider kind '" + kind + "' needs an api_key (${ENV_VAR})");
        }
        DesiredProvider dp{name, profile_json(p), ""};
        dp.digest = provider_digest(dp.profile);
        add_resource("provider.embedding." + name, "embedding_provider", dp.digest, std::nullopt);
        d_.providers[name] = std::move(dp);
    }

    void graph(const std::string& id, const GraphDecl& decl) {
        std::string path = "graphs." + id;
        if (!valid_graph_id(id))
            diags_.error("invalid_resource_id", path,
                         "invalid graph id '" + id +
                             "': use an ASCII letter followed by letters, digits or '-' (at most "
                             "64 characters; not graphs, healthz, openapi or policies) so that "
                             "the server can route /graphs/" +
                             id);
        DesiredGraph g;
        g.id = id;
        g.blob_policy = check_blob_policy(id, decl.blob_bases, diags_);
        if (decl.embedding_provider) {
            std::string ref = *decl.embedding_provider;
            std::string name = ref;
            if (ref.starts_with("provider.embedding."))
                name = ref.substr(std::string("provider.embedding.").size());
            if (name.find('.') != std::string::npos) {
                diags_.error("wrong_kind_reference", path + ".embedding_provider",
                             "'" + ref +
                                 "' is not an embedding provider reference (use <name> "
                                 "or provider.embedding.<name>)");
            } else if (!d_.loaded.config.providers.contains(name)) {
                diags_.error("dangling_embedding_provider_reference", path + ".embedding_provider",
                             "embedding provider '" + name +
                                 "' is not declared under "
                                 "providers.embedding");
            } else {
                g.provider = "provider.embedding." + name;
                edge("graph." + id, *g.provider);
            }
        }

        // The schema.
        g.schema_file = display_path(d_.loaded, decl.schema);
        std::optional<schema::Catalog> catalog;
        if (auto text = read_working_file(g.schema_file)) {
            g.schema_source = *text;
            g.schema_digest = content_digest(*text);
            auto parsed = schema::load_schema(*text, g.schema_file);
            if (!parsed) {
                bool syntax = parsed.error().code.starts_with("PG-SYN");
                diags_.error(syntax ? "schema_parse_error" : "schema_catalog_error",
                             path + ".schema", error_text(parsed.error()));
            } else if (auto ir = schema::build_ir(*parsed, nullptr, ""); !ir) {
                diags_.error("schema_catalog_error", path + ".schema", error_text(ir.error()));
            } else {
                catalog = schema::project_catalog(ir->ir);
            }
            add_resource("schema." + id, "schema", g.schema_digest, g.schema_file);
        } else {
            diags_.error("schema_file_missing", path + ".schema",
                         "cannot read schema file " + g.schema_file);
        }
        edge("schema." + id, "graph." + id);

        queries(id, decl.queries, g, catalog);
        d_.graphs[id] = std::move(g);
    }

    // The file, read and parsed once. A failure is reported for every declaration that names
    // the file in an explicit map, and once for discovered files.
    QueryFileData* load_query_file(const std::string& file, const std::string& diag_path,
                                   const std::string& parse_path, bool report_again) {
        auto [it, fresh] = files_.try_emplace(file);
        QueryFileData& data = it->second;
        if (fresh) {
            data.path = file;
            if (auto text = read_working_file(file); !text) {
                data.failure_code = "query_file_missing";
                data.failure = "cannot read query file " + file;
            } else if (auto parsed = query::parse_query_file(*text, file); !parsed) {
                data.failure_code = "query_parse_error";
                data.failure = error_text(parsed.error());
            } else {
                data.source = *text;
                data.digest = content_digest(*text);
                data.parsed = std::move(*parsed);
            }
        }
        if (data.failure_code.empty())
            return &data;
        if (fresh || report_again)
            diags_.error(data.failure_code,
                         data.failure_code == "query_file_missing" ? diag_path : parse_path,
                         data.failure);
        return nullptr;
    }

    void queries(const std::string& id, const QueriesDecl& decl, DesiredGraph& g,
                 const std::optional<schema::Catalog>& catalog) {
        std::string path = "graphs." + id + ".queries";
        // (query, file) pairs to register, in discovery order.
        std::vector<std::pair<const query::Query*, QueryFileData*>> found;
        if (decl.form == QueriesDecl::Form::kMap) {
            for (const auto& [name, file] : decl.map) {
                std::string qpath = base::concat(path, ".", name);
                if (!valid_resource_name(name)) {
                    diags_.error("invalid_resource_id", qpath, "invalid query name '" + name + "'");
                    continue;
                }
                auto* data =
                    load_query_file(display_path(d_.loaded, file), qpath + ".file", qpath, true);
                if (!data)
                    continue;
                const query::Query* q = nullptr;
                for (const auto& candidate : data->parsed.queries)
                    if (candidate.name == name)
                        q = &candidate;
                if (!q) {
                    diags_.error("query_key_mismatch", qpath,
                                 "query file " + data->path + " declares no `query " + name + "`");
                    continue;
                }
                found.emplace_back(q, data);
            }
        } else {
            std::vector<std::string> files;
            for (const auto& written : decl.paths) {
                std::string p = display_path(d_.loaded, written);
                std::error_code ec;
                if (fs::is_directory(p, ec)) {
                    std::vector<std::string> listed;
                    fs::directory_iterator it(p, ec), end;
                    if (ec) {
                        diags_.error("query_dir_unreadable", path,
                                     "cannot list query directory " + p + ": " + ec.message());
                        continue;
                    }
                    for (; it != end; it.increment(ec)) {
                        if (ec)
                            break;
                        if (it->path().extension() == ".gq" && !it->is_directory(ec))
                            listed.push_back(it->path().lexically_normal().string());
                    }
                    std::sort(listed.begin(), listed.end());
                    if (listed.empty())
                        diags_.warn("query_dir_empty", path,
                                    "query directory " + p + " has no .gq files");
                    files.insert(files.end(), listed.begin(), listed.end());
                } else {
                    files.push_back(p);
                }
            }
            for (const auto& file : files) {
                auto* data = load_query_file(file, path, path, false);
                if (!data)
                    continue;
                for (const auto& q : data->parsed.queries)
                    found.emplace_back(&q, data);
            }
        }
        for (const auto& [q, data] : found) {
            std::string qpath = path + "." + q->name;
            if (!valid_resource_name(q->name))
                diags_.error("invalid_resource_id", qpath, "invalid query name '" + q->name + "'");
            if (auto it = g.queries.find(q->name); it != g.queries.end()) {
                if (it->second.file != data->path)
                    diags_.error("duplicate_query_name", qpath,
                                 "query '" + q->name + "' is declared in " + it->second.file +
                                     " and in " + data->path);
                continue;
            }
            if (!catalog) {
                diags_.warn("query_typecheck_skipped", qpath,
                            "schema of graph '" + id + "' is invalid; query '" + q->name +
                                "' was not type-checked");
            } else if (auto checked = query::check_query(*q, *catalog, data->path); !checked) {
                diags_.error("query_typecheck_error", qpath, error_text(checked.error()));
            }
            g.queries[q->name] = {q->name, data->path, data->source, data->digest};
            std::string address = "query." + id + "." + q->name;
            add_resource(address, "query", data->digest, data->path);
            edge(address, "graph." + id);
            edge(address, "schema." + id);
        }
    }

    void policy(const std::string& name, const PolicyDecl& decl) {
        std::string path = "policies." + name;
        if (!valid_resource_name(name))
            diags_.error("invalid_resource_id", path, "invalid policy name '" + name + "'");
        DesiredPolicy p;
        p.name = name;
        p.file = display_path(d_.loaded, decl.file);
        bool cluster = false, graphs = false, bindings_ok = true;
        std::set<std::string> bindings;
        if (decl.applies_to.empty()) {
            diags_.error("policy_missing_applies_to", path + ".applies_to",
                         "policy '" + name + "' must bind at least one scope (cluster or a graph)");
            bindings_ok = false;
        }
        for (const auto& raw : decl.applies_to) {
            std::string id;
            if (raw == "cluster") {
                cluster = true;
                bindings.insert("cluster");
                continue;
            }
            if (raw.starts_with("graph."))
                id = raw.substr(6);
            else if (raw.find('.') == std::string::npos)
                id = raw;
            if (id.empty() || id.find('.') != std::string::npos) {
                diags_.error("wrong_kind_reference", path + ".applies_to",
                             "'" + raw +
                                 "' is not a policy scope (use cluster, <graph> or "
                                 "graph.<graph>)");
                bindings_ok = false;
                continue;
            }
            if (!d_.loaded.config.graphs.contains(id)) {
                diags_.error("dangling_graph_reference", path + ".applies_to",
                             base::concat("policy '", name, "' binds graph '", id,
                                          "', which is not declared under graphs"));
                bindings_ok = false;
                continue;
            }
            graphs = true;
            bindings.insert("graph." + id);
        }
        if (cluster && graphs) {
            diags_.error("policy_mixed_binding_kinds", path + ".applies_to",
                         "policy '" + name +
                             "' binds both the cluster and graphs; split it into "
                             "a cluster-bound and a graph-bound bundle");
            bindings_ok = false;
        }
        p.applies_to.assign(bindings.begin(), bindings.end());
        if (bindings_ok)
            for (const auto& scope : p.applies_to) {
                auto [it, fresh] = bound_.emplace(scope, name);
                if (!fresh)
                    diags_.error("duplicate_policy_binding", path + ".applies_to",
                                 base::concat("scope ", scope, " is bound by policy '", it->second,
                                              "' and by policy '", name,
                                              "'; each scope takes one bundle"));
            }
        auto text = read_working_file(p.file);
        if (!text) {
            diags_.error("policy_file_missing", path + ".file",
                         "cannot read policy file " + p.file);
        } else {
            p.source = *text;
            p.digest = content_digest(*text);
            policy::BindingKind kind = policy::BindingKind::kEither;
            if (bindings_ok && cluster)
                kind = policy::BindingKind::kCluster;
            else if (bindings_ok && graphs)
                kind = policy::BindingKind::kGraph;
            // With broken bindings the bundle is still checked on its own (either kind).
            auto parsed = policy::parse_bundle(*text, p.file, kind);
            if (!parsed)
                diags_.error("policy_invalid", path + ".file", error_text(parsed.error()));
            add_resource("policy." + name, "policy", p.digest, p.file);
        }
        for (const auto& scope : p.applies_to)
            if (scope != "cluster")
                edge("policy." + name, scope);
        d_.policies[name] = std::move(p);
    }

    void finish() {
        std::sort(
            d_.resources.begin(), d_.resources.end(),
            [](const ResourceInfo& a, const ResourceInfo& b) { return a.address < b.address; });
        std::sort(d_.dependencies.begin(), d_.dependencies.end());
        d_.dependencies.erase(std::unique(d_.dependencies.begin(), d_.dependencies.end()),
                              d_.dependencies.end());
        std::vector<std::pair<std::string, std::string>> pairs(d_.digests.begin(),
                                                               d_.digests.end());
        d_.config_digest = config_digest(raw_config_json(d_.loaded.config), pairs);
    }

    DesiredState& d_;
    Diagnostics& diags_;
    std::map<std::string, QueryFileData> files_;
    std::map<std::string, std::string> bound_; // scope -> first bundle binding it
};

} // namespace

bool valid_route_graph_id(std::string_view id) {
    if (id.empty() || id.size() > 64)
        return false;
    for (char c : id)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-')
            return false;
    return id != "graphs" && id != "healthz" && id != "openapi" && id != "policies";
}

bool valid_graph_id(std::string_view id) {
    return valid_route_graph_id(id) && std::isalpha(static_cast<unsigned char>(id[0]));
}

bool valid_resource_name(std::string_view name) {
    if (name.empty() || !(std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_'))
        return false;
    for (char c : name)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-')
            return false;
    return true;
}

std::string desired_composite(const DesiredState& d, const DesiredGraph& g) {
    CompositeInput in;
    in.graph_id = g.id;
    in.schema_digest = g.schema_digest;
    for (const auto& [name, q] : g.queries)
        in.queries.emplace_back(name, q.digest);
    if (g.provider) {
        std::string name = g.provider->substr(std::string("provider.embedding.").size());
        auto it = d.providers.find(name);
        in.provider = {*g.provider, it == d.providers.end() ? "" : it->second.digest};
    }
    in.blob_policy = g.blob_policy;
    return graph_composite_digest(in);
}

std::vector<std::string> dependents_of(const DesiredState& d, const std::string& address) {
    std::vector<std::string> out;
    for (const auto& [from, to] : d.dependencies)
        if (to == address)
            out.push_back(from);
    std::sort(out.begin(), out.end());
    return out;
}

DesiredState load_desired_state(const std::string& config_dir, Diagnostics& diags) {
    DesiredState d;
    d.loaded = load_cluster_config(config_dir, diags);
    if (!d.loaded.parsed || !d.loaded.storage_root)
        return d;
    Builder(d, diags).run();
    d.complete = true;
    return d;
}

} // namespace omnigraph::cluster
