// `load`: one strict JSONL graph batch (or a batch of typed rows) into one branch as one commit
// (spec engine-cli §3, query-language §4). All-or-nothing, in bounded memory whatever the input
// size: the input is read and parsed a run of lines at a time (enums and value types checked
// while parsing), its rows written as bounded segments under a pending-operation record
// (engine/load_stage.h), then the post-load image of every touched table is validated segment
// by segment (engine/load_image.h: @key/@unique, @range, @check, edge endpoints against the
// post-load node tables, @card per source node), and only then is the next manifest version
// created. A lost race for that version (another writer committed first) re-reads the new head
// and redoes the validation against it (the staged segments stay), up to kLoadAttempts times;
// a failed load leaves no new version and removes what it wrote.
#pragma once

#include "base/error.h"
#include "embed/embedder.h"
#include "engine/graph.h"
#include "engine/load_input.h"
#include "engine/load_source.h"
#include "store/object_store.h"

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>

namespace omnigraph::engine {

class ExternalBlobPolicy;

// The detail of the precondition_failed a write answers when the branch's schema changed
// between the write's start and its commit (a live schema apply): the new schema's hash. A
// mutation is checked again against the new schema and retried (service/mutate.h).
inline constexpr std::string_view kSchemaChangedDetail = "schema_changed";

inline constexpr std::string_view kKeyConflict = "key_conflict";
inline constexpr std::string_view kConstraintViolation = "constraint_violation";
inline constexpr int kLoadAttempts = 32;
// The memory a load may use when neither LoadOptions::memory_budget_bytes nor the environment
// (OMNIGRAPH_LOAD_MEMORY_MB) says otherwise; and the smallest budget accepted.
inline constexpr uint64_t kDefaultLoadMemoryBytes = uint64_t(1) << 30;
inline constexpr uint64_t kMinLoadMemoryMb = 8;

enum class LoadMode { kOverwrite, kAppend, kMerge };
const char* load_mode_name(LoadMode mode);
std::optional<LoadMode> parse_load_mode(std::string_view text);

// What a running load reports (LoadOptions::progress): the phase ("parsing", "checking",
// "writing"), rows parsed so far, and input bytes consumed of the total.
struct LoadProgress {
    std::string_view phase;
    uint64_t rows = 0;
    uint64_t bytes = 0;
    uint64_t total_bytes = 0;
};

struct LoadOptions {
    // Without a mode the load is accepted only while the branch holds no rows (the operator
    // guide's first load); it then behaves as overwrite.
    std::optional<LoadMode> mode;
    std::string branch = "main";
    // When `branch` does not exist: create it from this branch first (else not_found).
    std::optional<std::string> from;
    std::optional<std::string> actor;
    // Merge only: ids removed from these tables ("node:Person" -> ids) in the same commit,
    // unless the batch itself writes them. How mutations delete (and cascade) rows.
    std::map<std::string, std::set<std::string>> deletes;
    // Commit only on top of this head commit; when the branch moved (before or during the
    // load, including a lost race), fail with `code` and write nothing. Compare-and-swap for
    // `mutate --if-commit`, and the read-set check of updates and deletes.
    struct ExpectedHead {
        std::string commit_id;
        std::string code;
    };
    std::optional<ExpectedHead> expected_head;
    std::string source_name = "<input>"; // for error locations
    // The memory budget of this load; unset: OMNIGRAPH_LOAD_MEMORY_MB, else 1 GiB.
    std::optional<uint64_t> memory_budget_bytes;
    std::function<void(const LoadProgress&)> progress; // optional
    // Computes absent @embed targets (engine/embed_fill.h); null: no provider configured.
    embed::Embedder* embedder = nullptr;
    // Admits external Blob references (engine/external_blob.h); null: refused, as on the CLI.
    const ExternalBlobPolicy* external_blobs = nullptr;
};

struct LoadSummary {
    std::string branch;
    LoadMode mode = LoadMode::kOverwrite;
    std::map<std::string, uint64_t> nodes; // type -> entities loaded
    std::map<std::string, uint64_t> edges;
    uint64_t total_entities = 0;
    format::CommitRecord commit;
    std::optional<std::string> created_from; // set when the load created the branch
};

// Takes the input by value and releases its pages as it is parsed (pass it with std::move).
Result<LoadSummary> load_graph(store::ObjectStore& store, const Graph& graph, std::string jsonl,
                               const LoadOptions& options);
// The same reading its input from `source` as it goes (a file: the input is never held whole).
Result<LoadSummary> load_graph(store::ObjectStore& store, const Graph& graph, LoadSource& source,
                               const LoadOptions& options);

// The budget of a load with `options`: memory_budget_bytes, else OMNIGRAPH_LOAD_MEMORY_MB
// (whole MiB, at least kMinLoadMemoryMb; invalid_argument otherwise), else 1 GiB.
Result<uint64_t> load_memory_budget(const LoadOptions& options);

// The same load from rows already typed, for a caller that holds values rather than JSONL text
// (a mutation): no text is written or parsed. `batch` has the shape parse_load_input gives for
// `schema` — one column per declared property of its column type, canonical @key ids (see
// engine::key_spelling) — with rows located by LoadBatch::positions (else by line in
// options.source_name); a batch of another shape is refused (invalid_argument). The values are
// taken as valid for their declared types (the caller converted them: types, enums, ranges);
// everything after parsing is as for load_graph: @key/@unique, @range, @check, endpoints, @card
// on the post-load image, LoadOptions::deletes, expected_head, the retry loop, one commit. A
// head whose schema is no longer `schema` fails with precondition_failed.
Result<LoadSummary> load_rows(store::ObjectStore& store, const Graph& graph,
                              const SchemaRef& schema, LoadBatch batch, const LoadOptions& options);

} // namespace omnigraph::engine
