// The graphs a server serves: opened once at boot from the serving snapshot, each with its
// engine handle (service::GraphHandle), its compiled policy bundle and its stored queries
// (parsed, and type-checked against the graph's schema at boot; each invocation checks again
// against the schema of the snapshot it targets). A graph that fails to open is quarantined.
// Thread-safety: built at boot, then read-only; the handles are shared by every worker.
#pragma once

#include "base/error.h"
#include "cluster/serving_snapshot.h"
#include "policy/engine.h"
#include "service/graph_handle.h"
#include "service/stored_query.h"

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

namespace omnigraph::server {

struct ServedGraph {
    std::string id;
    std::string uri;
    std::unique_ptr<service::GraphHandle> handle;
    std::optional<policy::PolicyEngine> policy;
    std::map<std::string, std::unique_ptr<service::StoredQuery>> queries;

    const policy::PolicyEngine* bundle() const { return policy ? &*policy : nullptr; }
};

class GraphRegistry {
  public:
    // Opens every graph of `snapshot` (in parallel; on S3 opening is round trips), binding
    // `policies` by graph id. Failures quarantine the graph; `failures` lists them, one per
    // line, in graph id order.
    static GraphRegistry open(const cluster::ServingSnapshot& snapshot,
                              const std::map<std::string, const cluster::ServedPolicy*>& policies,
                              std::string& failures);

    // The graph `id`, or nullptr.
    const ServedGraph* find(std::string_view id) const;
    const std::map<std::string, std::unique_ptr<ServedGraph>, std::less<>>& graphs() const {
        return graphs_;
    }
    const std::set<std::string>& quarantined() const { return quarantined_; }

  private:
    std::map<std::string, std::unique_ptr<ServedGraph>, std::less<>> graphs_;
    std::set<std::string> quarantined_;
};

} // namespace omnigraph::server
