#include "cluster/cluster_store.h"

#include "cluster/digests.h"
#include "engine/graph_lifecycle.h"

namespace omnigraph::cluster {

Result<ClusterStore> ClusterStore::open(const base::StorageUri& root) {
    auto store = store::open_store(root);
    if (!store)
        return Error("storage_root_invalid",
                     "cannot open storage root " + root.to_string() + ": " + store.error().message);
    return ClusterStore(root, std::move(*store));
}

std::string ClusterStore::display(std::string_view key) const {
    return root_.to_string() + "/" + std::string(key);
}

std::string ClusterStore::uri_of(std::string_view key) const {
    if (root_.is_s3())
        return display(key);
    return "file://" + display(key);
}

Result<std::optional<StateRead>> ClusterStore::read_state() {
    auto got = store_->get(kStateKey);
    if (!got) {
        if (got.error().is(codes::kNotFound))
            return std::optional<StateRead>();
        return Error("state_read_error",
                     "cannot read " + display(kStateKey) + ": " + got.error().message);
    }
    return std::optional<StateRead>(StateRead{std::move(got->data), got->meta.version});
}

Status ClusterStore::write_state(const std::string& text,
                                 const std::optional<StateRead>& expected) {
    auto current = store_->head(kStateKey);
    if (!current)
        return Error("state_write_error",
                     "cannot check " + display(kStateKey) + ": " + current.error().message);
    const auto& head = *current;
    bool moved = expected ? (!head || head->version != expected->version) : head.has_value();
    if (moved)
        return Error("state_cas_mismatch",
                     "the ledger " + display(kStateKey) +
                         " changed since this command read it; run the command again");
    auto written = expected ? store_->put_if_match(kStateKey, text, expected->version)
                            : store_->put_if_absent(kStateKey, text);
    if (!written) {
        if (written.error().is(codes::kPreconditionFailed))
            return Error("state_cas_mismatch",
                         "the ledger " + display(kStateKey) +
                             " changed since this command read it; run the command again");
        return Error("state_write_error",
                     "cannot write " + display(kStateKey) + ": " + written.error().message);
    }
    return ok();
}

std::string ClusterStore::query_blob_key(const std::string& graph, const std::string& name,
                                         const std::string& digest) {
    return "__cluster/resources/query/" + graph + "/" + name + "/" + digest + ".gq";
}

std::string ClusterStore::policy_blob_key(const std::string& name, const std::string& digest) {
    return "__cluster/resources/policy/" + name + "/" + digest + ".yaml";
}

Result<std::optional<std::string>> ClusterStore::read_object(std::string_view key) {
    return store_->read_if_exists(key);
}

Status ClusterStore::write_blob(std::string_view key, std::string_view text) {
    auto put = store_->put_if_absent(key, text);
    if (!put && !put.error().is(codes::kPreconditionFailed))
        return put.error();
    return ok();
}

Result<std::vector<std::string>> ClusterStore::list_json(std::string_view prefix) {
    auto objects = OG_TRY(store_->list_all(prefix));
    std::vector<std::string> out;
    for (const auto& o : objects) {
        std::string_view rest = std::string_view(o.key).substr(prefix.size());
        if (rest.find('/') == std::string_view::npos && rest.ends_with(".json"))
            out.push_back(o.key);
    }
    return out;
}

base::StorageUri ClusterStore::graph_root(const std::string& graph_id) const {
    return root_.join("graphs/" + graph_id + ".omni");
}

Result<std::unique_ptr<store::ObjectStore>>
ClusterStore::open_graph_store(const std::string& graph_id) const {
    return store::open_store(graph_root(graph_id));
}

Result<bool> ClusterStore::graph_exists(const std::string& graph_id) {
    store::ListOptions options;
    options.prefix = "graphs/" + graph_id + ".omni/";
    options.limit = 1;
    auto page = OG_TRY(store_->list(options));
    return !page.objects.empty();
}

Status refuse_cluster_graph_root(const base::StorageUri& graph_root) {
    base::StorageUri root = graph_root;
    std::string& path = root.is_s3() ? root.prefix : root.path;
    std::string_view p = path;
    size_t slash = p.rfind('/');
    std::string_view name = slash == std::string_view::npos ? p : p.substr(slash + 1);
    std::string_view parent = slash == std::string_view::npos ? "" : p.substr(0, slash);
    if (!name.ends_with(".omni") || !(parent == "graphs" || parent.ends_with("/graphs")))
        return ok();
    path = std::string(parent.substr(0, parent.size() - std::string_view("graphs").size()));
    while (path.size() > 1 && path.back() == '/')
        path.pop_back();
    if (!root.is_s3() && path.empty())
        path = "/";
    auto cluster_store = store::open_store(root);
    if (!cluster_store) {
        ignore_error(cluster_store, "checking whether an init target is a cluster's graph root");
        return ok();
    }
    auto ledger = (*cluster_store)->exists(kStateKey);
    ignore_error(ledger, "checking whether an init target is a cluster's graph root");
    if (ledger && *ledger)
        return Error(engine::kGraphManaged,
                     graph_root.to_string() + " is a graph root of the cluster stored at " +
                         root.to_string() +
                         "; graphs there are created by `omnigraph cluster apply`");
    return ok();
}

} // namespace omnigraph::cluster
