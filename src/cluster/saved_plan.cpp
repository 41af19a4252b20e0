#include "cluster/saved_plan.h"

#include "cluster/digests.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace omnigraph::cluster {

namespace {

constexpr std::string_view kFormat = "omnigraph.cluster.plan";

base::Json bare_changes(const std::vector<PlanChange>& changes) {
    base::Json out = base::Json::array();
    for (const auto& c : changes) {
        PlanChange bare = c;
        bare.migration.reset();
        out.push_back(change_json(bare));
    }
    return out;
}

base::Json cas_of(const LedgerRead& read) {
    return read.raw ? base::Json(state_cas(read.raw->text)) : base::Json(nullptr);
}

} // namespace

bool SavedPlanCheck::matches(const Plan& plan, Diagnostics& diags) const {
    if (bare_changes(plan.changes) == changes)
        return true;
    diags.error(kPlanStale, "plan",
                "the saved plan no longer matches what apply would do; run `omnigraph cluster "
                "plan -out FILE` again and review it");
    return false;
}

Status save_plan(const std::string& path, const DesiredState& desired, const LedgerRead& read,
                 const Plan& plan) {
    base::Json j = base::Json::object();
    j["format"] = kFormat;
    j["version"] = 1;
    j["config_dir"] = desired.loaded.config_dir;
    j["config_digest"] = desired.config_digest;
    j["state_cas"] = cas_of(read);
    j["state_revision"] = read.ledger.state_revision;
    j["changes"] = bare_changes(plan.changes);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << base::to_pretty_json(j);
    out.close();
    if (!out)
        return Error("plan_write_error", "cannot write plan file " + path);
    return ok();
}

Result<SavedPlanCheck> load_saved_plan(const std::string& path, const DesiredState& desired,
                                       const LedgerRead& read) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return Error(kInvalidPlanFile, "cannot read plan file " + path);
    std::stringstream buffer;
    buffer << in.rdbuf();
    auto parsed = base::parse_json(buffer.str(), path);
    if (!parsed)
        return Error(kInvalidPlanFile, parsed.error().message);
    const base::Json& j = *parsed;
    if (!j.is_object() || j.value("format", "") != kFormat || j.value("version", 0) != 1 ||
        !j.contains("config_digest") || !j.contains("state_cas") || !j.contains("changes") ||
        !j["changes"].is_array())
        return Error(kInvalidPlanFile, path + " is not a saved cluster plan (format " +
                                           std::string(kFormat) + " version 1)");
    if (j["config_digest"] != desired.config_digest)
        return Error(kPlanStale, "the configuration changed since the plan in " + path +
                                     " was made; plan again and review it");
    if (j["state_cas"] != cas_of(read))
        return Error(kPlanStale, "the cluster state changed since the plan in " + path +
                                     " was made; plan again and review it");
    return SavedPlanCheck{j["changes"]};
}

} // namespace omnigraph::cluster
