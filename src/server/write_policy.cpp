#include "server/write_policy.h"

namespace omnigraph::server {
namespace {

policy::Action policy_action(engine::WriteAction action) {
    switch (action) {
    case engine::WriteAction::kChange:
        return policy::Action::kChange;
    case engine::WriteAction::kBranchCreate:
        return policy::Action::kBranchCreate;
    case engine::WriteAction::kSchemaApply:
        return policy::Action::kSchemaApply;
    case engine::WriteAction::kReadSource:
        return policy::Action::kRead;
    case engine::WriteAction::kBranchMerge:
        return policy::Action::kBranchMerge;
    }
    return policy::Action::kChange;
}

} // namespace

engine::WriteAuthorizer write_authorizer(const policy::PolicyEngine* bundle) {
    return [bundle](const engine::WriteRequest& w) -> Status {
        auto decision = policy::authorize_scope(bundle, policy_action(w.action), w.actor, w.branch,
                                                w.target_branch);
        if (!decision)
            return std::move(decision).error();
        if (!decision->allowed)
            return Error(engine::kForbidden, "engine write check: " + decision->message);
        return ok();
    };
}

} // namespace omnigraph::server
