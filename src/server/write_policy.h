// The server's policy, installed in the engine (engine/write_authorizer.h): every write a graph
// handle makes asks the same Cedar question the HTTP route asked, so a route that forgot (or
// got wrong) its check is refused by the engine with 403 `forbidden`. The decision is not logged
// a second time.
#pragma once

#include "engine/write_authorizer.h"
#include "policy/engine.h"

namespace omnigraph::server {

// `bundle` is the graph's compiled bundle, or nullptr (default-deny with an actor, open
// without); it must outlive the authorizer.
engine::WriteAuthorizer write_authorizer(const policy::PolicyEngine* bundle);

} // namespace omnigraph::server
