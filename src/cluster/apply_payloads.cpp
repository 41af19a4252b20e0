// The payloads of `cluster apply`: the query and policy files written as content-addressed blobs
// (an existing blob is kept only when its content still matches its name).
#include "cluster/apply_run.h"
#include "cluster/digests.h"

namespace omnigraph::cluster::detail {

namespace {

bool valid_utf8(std::string_view s) {
    size_t i = 0;
    while (i < s.size()) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (n == 0 || i + n > s.size())
            return false;
        for (size_t k = 1; k < n; ++k)
            if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2)
                return false;
        i += n;
    }
    return true;
}

} // namespace

bool ApplyRun::write_payloads() {
    for (const auto& c : plan_.changes) {
        std::string kind = kind_of(c.resource);
        const std::optional<std::string>& after = c.after_digest; // none only for a delete
        if (c.disposition != "applied" || c.operation == "delete" || !after ||
            (kind != "query" && kind != "policy"))
            continue;
        std::string key, file, digest = *after;
        if (kind == "query") {
            std::string g = graph_of(c.resource);
            std::string name = c.resource.substr(6 + g.size() + 1);
            key = ClusterStore::query_blob_key(g, name, digest);
            file = d_.graphs.at(g).queries.at(name).file;
        } else {
            std::string name = c.resource.substr(7);
            key = ClusterStore::policy_blob_key(name, digest);
            file = d_.policies.at(name).file;
        }
        // An existing blob is kept only when its content matches its name (the original trusts
        // any file there, so a tampered blob could never heal).
        auto existing = store_.read_object(key);
        const std::optional<std::string>* blob = existing ? &*existing : nullptr;
        if (blob && *blob && content_digest(**blob) == digest)
            continue;
        bool replace = blob && *blob;
        auto source = read_working_file(file);
        if (!source) {
            diags_.error("resource_payload_write_error", c.resource, "cannot read " + file);
            return false;
        }
        if (content_digest(*source) != digest) {
            diags_.error("resource_content_changed", c.resource,
                         file + " changed while apply was running; run it again");
            return false;
        }
        if (!valid_utf8(*source)) {
            diags_.error("resource_payload_write_error", c.resource, file + " is not valid UTF-8");
            return false;
        }
        Status put = store_.write_blob(key, *source);
        if (put && replace)
            if (auto replaced = store_.objects().put(key, *source); !replaced)
                put = replaced.error();
        if (!put) {
            diags_.error("resource_payload_write_error", c.resource,
                         "cannot write " + store_.display(key) + ": " + put.error().message);
            return false;
        }
    }
    return true;
}

} // namespace omnigraph::cluster::detail
