// What the graph verbs share: opening a root, the target echo, error and commit rendering.
#pragma once

#include "base/error.h"
#include "base/json.h"
#include "service/graph_handle.h"
#include "store/object_store.h"

#include <memory>
#include <string>
#include <string_view>

namespace omnigraph::cli {

// Prints the error (JSON `{"error","code","location"?}` on stdout with --json, else `error: …`
// on stderr) and returns exit code 1.
int fail(const Error& e, bool json);

// As fail(), but an error located in `source` (a schema or query file) is rendered against
// it with a caret, as `lint` shows it (unless --json).
int fail_with_source(const Error& e, std::string_view source, bool json);

Result<std::unique_ptr<store::ObjectStore>> open_root(const std::string& uri);

// The graph at `uri` for a verb that writes or searches: with the embedding provider the
// OMNIGRAPH_EMBED_* environment configures, if any (docs/cli.md "Embeddings").
Result<std::unique_ptr<service::GraphHandle>> open_graph_with_embedder(const std::string& uri);

// `omnigraph <label> → <uri> (direct, local|remote)` on stderr unless quiet.
void echo_target(std::string_view label, const store::ObjectStore& store, bool quiet);
// `omnigraph <label> → <url>/graphs/<id> (served)` on stderr unless quiet.
void echo_served(std::string_view label, std::string_view uri, bool quiet);

// A destructive write (`label`) against a non-local target needs --yes (`yes`), or "yes"/"y"
// typed on a terminal after `question`; refused when stdin is not a terminal or under --json
// (spec engine-cli §4.1). A local target needs nothing.
bool confirm_destructive(std::string_view label, std::string_view uri, bool non_local, bool yes,
                         bool json, std::string_view question);

} // namespace omnigraph::cli
