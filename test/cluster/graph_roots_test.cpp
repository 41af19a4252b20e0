// cluster::refuse_cluster_graph_root: the check `omnigraph init` runs on its target (spec cluster
// §13.3), on a local root and an S3 one.
#include "base/uri.h"
#include "cluster/cluster_store.h"
#include "engine/graph_lifecycle.h"
#include "store/s3_store.h"
#include "test_support.h"

#include <cstdlib>
#include <gtest/gtest.h>
#include <optional>

namespace omnigraph::cluster {
namespace {

using testing::S3TestServer;
using testing::TempDir;

base::StorageUri uri(const std::string& text) {
    auto parsed = base::parse_storage_uri(text);
    EXPECT_TRUE(parsed) << text;
    return *parsed;
}

TEST(ClusterGraphRoots, AGraphRootUnderALedgerIsRefused) {
    TempDir dir;
    std::string cluster = dir.path() + "/cluster";
    // No ledger yet: every root is free.
    EXPECT_TRUE(refuse_cluster_graph_root(uri(cluster + "/graphs/g.omni")));
    auto store = store::open_store(uri(cluster));
    ASSERT_TRUE(store);
    ASSERT_TRUE((*store)->put(kStateKey, "{}"));
    auto refused = refuse_cluster_graph_root(uri(cluster + "/graphs/g.omni"));
    ASSERT_FALSE(refused);
    EXPECT_TRUE(refused.error().is(engine::kGraphManaged));
    EXPECT_EQ(refused.error().message,
              cluster + "/graphs/g.omni is a graph root of the cluster stored at " + cluster +
                  "; graphs there are created by `omnigraph cluster apply`");
    // Other shapes under the same root are not the cluster's.
    for (const char* other : {"/graphs/g.omni2", "/graphs/x/g.omni", "/g.omni", "/mygraphs/g.omni"})
        EXPECT_TRUE(refuse_cluster_graph_root(uri(cluster + other))) << other;
}

TEST(ClusterGraphRoots, S3GraphRootUnderALedgerIsRefused) {
    auto& server = S3TestServer::instance();
    ASSERT_TRUE(server.ok()) << server.error();
    std::string cluster = testing::unique_s3_uri("graph-roots");
    // open_store reads the S3 configuration from the environment; restored at the end.
    std::vector<std::pair<std::string, std::optional<std::string>>> saved;
    for (const auto& [name, value] : server.environment()) {
        const char* old = std::getenv(name.c_str());
        saved.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
        ::setenv(name.c_str(), value.c_str(), 1);
    }
    EXPECT_TRUE(refuse_cluster_graph_root(uri(cluster + "/graphs/g.omni")));
    auto store = store::S3Store::open(uri(cluster), server.config());
    ASSERT_TRUE(store);
    ASSERT_TRUE((*store)->put(kStateKey, "{}"));
    auto refused = refuse_cluster_graph_root(uri(cluster + "/graphs/g.omni"));
    EXPECT_FALSE(refused);
    EXPECT_TRUE(!refused && refused.error().is(engine::kGraphManaged));
    for (const auto& [name, old] : saved)
        if (old)
            ::setenv(name.c_str(), old->c_str(), 1);
        else
            ::unsetenv(name.c_str());
}

} // namespace
} // namespace omnigraph::cluster
