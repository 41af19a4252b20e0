// A graph of the spec's fixture "T" (test.pg + test.jsonl) on either backend, with helpers the
// engine suites share: load, person rows at a snapshot, reopen.
#pragma once

#include "../store/store_fixture.h"
#include "engine/graph.h"
#include "engine/load.h"
#include "engine/table_data.h"

#include <atomic>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

namespace omnigraph::testing {

inline std::string engine_fixture(const std::string& name) {
    std::ifstream in(source_dir() + "/test/schema/fixtures/" + name);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

inline std::string person(const std::string& name, int age) {
    return "{\"type\":\"Person\",\"data\":{\"name\":\"" + name +
           "\",\"age\":" + std::to_string(age) + "}}\n";
}

class EngineTest : public StoreTest {
  protected:
    void SetUp() override {
        StoreTest::SetUp();
        ASSERT_TRUE(engine::init_graph(*store_, engine_fixture("test.pg")));
        reopen();
        ASSERT_TRUE(load(engine_fixture("test.jsonl"), engine::LoadMode::kOverwrite));
    }

    // Another store handle on `uri` (same backend as the test).
    Result<std::unique_ptr<store::ObjectStore>> open_store_at(const std::string& uri) {
        auto parsed = OG_TRY(base::parse_storage_uri(uri));
        if (GetParam() == Backend::kS3) {
            auto s3 = OG_TRY(store::S3Store::open(parsed, S3TestServer::instance().config()));
            return std::unique_ptr<store::ObjectStore>(std::move(s3));
        }
        return store::open_store(parsed);
    }

    void reopen() {
        auto g = engine::Graph::open(*store_);
        ASSERT_TRUE(g) << g.error().to_string();
        graph_.emplace(std::move(*g));
    }

    Result<engine::LoadSummary> load(const std::string& jsonl, engine::LoadMode mode,
                                     const std::string& branch = "main",
                                     std::optional<std::string> from = std::nullopt) {
        engine::LoadOptions o;
        o.mode = mode;
        o.branch = branch;
        o.from = std::move(from);
        o.source_name = "data.jsonl";
        return engine::load_graph(*store_, *graph_, jsonl, o);
    }

    // Person name -> age ("null" when unset) at a snapshot.
    std::map<std::string, std::string> people(const engine::SnapshotSpec& at = {}) {
        std::map<std::string, std::string> out;
        auto snap = graph_->snapshot(at);
        EXPECT_TRUE(snap) << snap.error().to_string();
        if (!snap)
            return out;
        const auto* node = snap->schema->catalog.find_node("Person");
        auto t = engine::read_table(*store_, *snap->manifest.find("node:Person"), false,
                                    node->properties, node->property_ids);
        EXPECT_TRUE(t) << t.error().to_string();
        if (!t)
            return out;
        auto age_id = node->property_ids.find("age"); // absent once a schema dropped it
        for (size_t i = 0; i < t->size(); ++i) {
            if (age_id == node->property_ids.end()) {
                out[std::string(t->ids[i])] = "absent";
                continue;
            }
            const auto& age = t->columns.at(age_id->second);
            out[std::string(t->ids[i])] =
                age.is_null(i) ? "null" : std::to_string(age.fixed_at<int32_t>(i));
        }
        return out;
    }

    engine::SnapshotSpec on(const std::string& branch) {
        engine::SnapshotSpec s;
        s.branch = branch;
        return s;
    }
    engine::SnapshotSpec at(uint64_t version, const std::string& branch = "main") {
        engine::SnapshotSpec s;
        s.branch = branch;
        s.version = version;
        return s;
    }

    std::optional<engine::Graph> graph_;
};

} // namespace omnigraph::testing
