// CountingStore: a borrowed view that counts requests and the bytes reads returned.
#include "store/counting_store.h"
#include "test_support.h"

#include <gtest/gtest.h>

namespace omnigraph::testing {
namespace {

TEST(CountingStore, CountsRequestsAndBytesRead) {
    TempDir dir;
    auto inner = store::open_store(*base::parse_storage_uri(dir.path() + "/r"));
    ASSERT_TRUE(inner);
    store::CountingStore counting(**inner);
    ASSERT_TRUE(counting.put("a", "hello"));
    ASSERT_TRUE(counting.get("a", store::ByteRange{1, 3}));
    ASSERT_TRUE(counting.read("a"));
    EXPECT_EQ(counting.bytes_read(), 3u + 5u);
    EXPECT_EQ(counting.requests(), 3u);
}

} // namespace
} // namespace omnigraph::testing
