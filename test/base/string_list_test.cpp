#include "base/string_list.h"

#include <algorithm>
#include <gtest/gtest.h>
#include <vector>

namespace omnigraph::base {
namespace {

TEST(StringList, HoldsStringsPackedAndReadsThemBack) {
    StringList list{"a", "", "ccc"};
    list.push_back("dd");
    ASSERT_EQ(list.size(), 4u);
    EXPECT_EQ(list[0], "a");
    EXPECT_EQ(list[1], "");
    EXPECT_EQ(list.at(2), "ccc");
    EXPECT_EQ(list[3], "dd");
    EXPECT_EQ(list.byte_size(), 6u);
    EXPECT_THROW((void)list.at(4), std::out_of_range);

    StringList more{"x", "yy"};
    list.append(more);
    std::vector<std::string_view> all(list.begin(), list.end());
    EXPECT_EQ(all, (std::vector<std::string_view>{"a", "", "ccc", "dd", "x", "yy"}));
    EXPECT_EQ(std::count(list.begin(), list.end(), "x"), 1);
    EXPECT_EQ(list.end() - list.begin(), 6);

    StringList copy = list;
    EXPECT_EQ(copy, list);
    copy.clear();
    EXPECT_TRUE(copy.empty());
    EXPECT_FALSE(copy == list);
}

} // namespace
} // namespace omnigraph::base
