#include "base/checksum.h"

#include <gtest/gtest.h>
#include <string>

using namespace omnigraph;

TEST(Checksum, KnownValues) {
    // The published check values: CRC-32C of "123456789" (RFC 3720 B.4 family), XXH3-64 of "".
    EXPECT_EQ(base::crc32c("123456789"), 0xE3069283u);
    EXPECT_EQ(base::crc32c_portable("123456789"), 0xE3069283u);
    EXPECT_EQ(base::crc32c(""), 0u);
    EXPECT_EQ(base::xxh3_64(""), 0x2D06800538D394C2ull);
}

TEST(Checksum, HardwareAndTablesAgreeAtEveryLengthAndAlignment) {
    std::string data;
    for (int i = 0; i < 300; ++i)
        data.push_back(static_cast<char>(i * 37 + 11));
    for (size_t start = 0; start < 9; ++start)
        for (size_t n = 0; start + n <= data.size(); n += 7) {
            std::string_view part = std::string_view(data).substr(start, n);
            ASSERT_EQ(base::crc32c(part), base::crc32c_portable(part)) << start << "+" << n;
        }
    // Continuing a checksum equals checksumming the concatenation.
    EXPECT_EQ(base::crc32c(std::string_view(data).substr(100), base::crc32c(data.substr(0, 100))),
              base::crc32c(data));
}

TEST(Checksum, Hex64RoundTripsAndRefusesAnythingElse) {
    EXPECT_EQ(base::hex64(0x2D06800538D394C2ull), "2d06800538d394c2");
    EXPECT_EQ(base::hex64(1), "0000000000000001");
    EXPECT_EQ(base::parse_hex64("2d06800538d394c2"), 0x2D06800538D394C2ull);
    EXPECT_FALSE(base::parse_hex64("2D06800538D394C2")); // upper case is not the spelling
    EXPECT_FALSE(base::parse_hex64("2d06800538d394c"));
    EXPECT_FALSE(base::parse_hex64("2d06800538d394c2 "));
    EXPECT_FALSE(base::parse_hex64("2d06800538d394g2"));
}
