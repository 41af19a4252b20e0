// Driving the load-input parser: the input is cut at line boundaries, large inputs into parts
// parsed on several threads, each part line by line through a RecordParser; the parts are then
// concatenated in input order. Errors become invalid_load_input at <file>:<line>:<column>
// (column 1 unless the error knows better).
#include "engine/load_input.h"

#include "engine/load_input_error.h"
#include "engine/load_record.h"

#include <algorithm>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace omnigraph::engine {

namespace {

constexpr size_t kMaxLineBytes = 32u << 20;

// Parses the lines of `jsonl` (a run of whole lines starting at input line `first_line`).
Result<LoadBatch> parse_lines(std::string_view jsonl, uint64_t first_line,
                              const schema::Catalog& catalog, std::string_view file,
                              const ParseProgress& progress, const ExternalBlobPolicy* blobs) {
    LoadBatch batch;
    RecordParser records(catalog, batch, blobs);
    uint64_t number = first_line - 1;
    size_t pos = 0;
    try {
        while (pos <= jsonl.size()) {
            size_t end = jsonl.find('\n', pos);
            if (end == std::string_view::npos)
                end = jsonl.size();
            std::string_view line = jsonl.substr(pos, end - pos);
            pos = end + 1;
            ++number;
            if (progress && number % kProgressLines == 0)
                progress(batch.rows, std::min(pos, jsonl.size()));
            if (line.find_first_not_of(" \t\r") == std::string_view::npos) {
                if (end == jsonl.size())
                    break;
                continue;
            }
            try {
                if (line.size() > kMaxLineBytes)
                    throw LoadError("line " + std::to_string(number) +
                                    ": resource limit exceeded for "
                                    "graph_batch_line_bytes: actual " +
                                    std::to_string(line.size()) + ", limit " +
                                    std::to_string(kMaxLineBytes));
                records.parse(line, number);
            } catch (const LoadError& e) {
                Error out = e.cause.value_or(Error(kInvalidLoadInput, e.what()));
                out.location = SourceLocation{std::string(file), int(number), e.column};
                return out;
            }
            if (end == jsonl.size())
                break;
        }
    } catch (const std::exception& e) {
        return Error(kInvalidLoadInput, std::string("invalid load input: ") + e.what(),
                     SourceLocation{std::string(file), int(number), 1});
    }
    return batch;
}

// Appends `more` (parsed from later lines) to `into`.
void append_batch(LoadBatch& into, LoadBatch&& more) {
    into.rows += more.rows;
    for (auto& e : more.embeds) { // rows of `more` follow those `into` already holds
        auto t = into.tables.find(e.table_key);
        e.row += t == into.tables.end() ? 0 : t->second.size();
        into.embeds.push_back(std::move(e));
    }
    for (auto& [key, part] : more.tables) {
        auto [it, inserted] = into.tables.try_emplace(key, std::move(part));
        if (inserted)
            continue;
        TableBatch& t = it->second;
        t.ids.append(part.ids);
        t.src.append(part.src);
        t.dst.append(part.dst);
        t.origins.insert(t.origins.end(), part.origins.begin(), part.origins.end());
        t.explicit_ids.insert(t.explicit_ids.end(), part.explicit_ids.begin(),
                              part.explicit_ids.end());
        for (auto& [id, column] : t.columns)
            column.append_column(part.columns.at(id));
    }
}

Result<LoadBatch> parse_input(std::string_view jsonl, uint64_t first_line,
                              const schema::Catalog& catalog, std::string_view file,
                              const ParseProgress& progress, const ExternalBlobPolicy* blobs) {
    // Large inputs are cut at line boundaries and parsed on several threads; the parts are then
    // concatenated in input order, and the error reported is the one on the earliest line.
    constexpr size_t kMinBytesPerPart = size_t(4) << 20;
    size_t parts = std::min<size_t>(std::max(1u, std::thread::hardware_concurrency()), 8);
    parts = std::max<size_t>(1, std::min(parts, jsonl.size() / kMinBytesPerPart));
    if (parts == 1)
        return parse_lines(jsonl, first_line, catalog, file, progress, blobs);
    std::vector<std::pair<size_t, uint64_t>> starts{{0, first_line}}; // byte offset, first line
    for (size_t i = 1; i < parts; ++i) {
        size_t at = jsonl.find('\n', jsonl.size() * i / parts);
        if (at == std::string_view::npos || at + 1 <= starts.back().first)
            break;
        auto [prev, prev_line] = starts.back();
        uint64_t lines = std::count(jsonl.begin() + prev, jsonl.begin() + at + 1, '\n');
        starts.emplace_back(at + 1, prev_line + lines);
    }
    // Every slot is replaced by its part's parse; the placeholder would only show if one were not.
    std::vector<Result<LoadBatch>> results;
    results.reserve(starts.size());
    for (size_t i = 0; i < starts.size(); ++i)
        results.emplace_back(Error(codes::kInternal, "the part was not parsed"));
    ParseProgress scaled;
    if (progress) // the first part speaks for all: the parts are of similar size
        scaled = [&](uint64_t rows, uint64_t bytes) {
            progress(rows * starts.size(), std::min<uint64_t>(bytes * starts.size(), jsonl.size()));
        };
    std::vector<std::thread> workers;
    for (size_t i = 0; i < starts.size(); ++i) {
        size_t end = i + 1 < starts.size() ? starts[i + 1].first : jsonl.size();
        std::string_view part = jsonl.substr(starts[i].first, end - starts[i].first);
        auto work = [&, i, part] {
            results[i] = parse_lines(part, starts[i].second, catalog, file,
                                     i == 0 ? scaled : ParseProgress(), blobs);
        };
        if (i + 1 == starts.size())
            work(); // this thread takes the last part
        else
            workers.emplace_back(work);
    }
    for (auto& w : workers)
        w.join();
    for (auto& r : results)
        if (!r)
            return r.error();
    LoadBatch batch = std::move(*results[0]);
    for (size_t i = 1; i < results.size(); ++i)
        append_batch(batch, std::move(*results[i]));
    return batch;
}

} // namespace

std::optional<SourceLocation> LoadBatch::locate(uint64_t origin, std::string_view file) const {
    if (origin == 0)
        return std::nullopt;
    if (!positions.empty()) {
        if (origin > positions.size())
            return std::nullopt;
        return positions[origin - 1];
    }
    return SourceLocation{std::string(file), static_cast<int>(origin), 1};
}

std::string LoadBatch::origin_text(uint64_t origin) const {
    if (positions.empty())
        return "line " + std::to_string(origin);
    if (origin == 0 || origin > positions.size())
        return "<unknown position>";
    return positions[origin - 1].to_string();
}

Result<LoadBatch> parse_load_input(std::string_view jsonl, const schema::Catalog& catalog,
                                   std::string_view file, const ParseProgress& progress) {
    return parse_input(jsonl, 1, catalog, file, progress, nullptr);
}

Result<LoadBatch> parse_load_lines(std::string_view lines, uint64_t first_line,
                                   const schema::Catalog& catalog, std::string_view file,
                                   const ExternalBlobPolicy* external_blobs) {
    return parse_input(lines, first_line, catalog, file, nullptr, external_blobs);
}

} // namespace omnigraph::engine
