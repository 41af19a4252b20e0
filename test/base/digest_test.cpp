#include "base/digest.h"

#include <gtest/gtest.h>
#include <vector>

namespace omnigraph::base {
namespace {

TEST(Digest, Sha256KnownVectors) {
    EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(sha256_hex("abc"),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Digest, IncrementalMatchesOneShot) {
    std::string data(100000, '\0');
    for (size_t i = 0; i < data.size(); ++i)
        data[i] = static_cast<char>(i * 31);
    Sha256 sha;
    for (size_t i = 0; i < data.size(); i += 777)
        sha.update(std::string_view(data).substr(i, 777));
    EXPECT_EQ(sha.finish_hex(), sha256_hex(data));
}

TEST(Digest, HmacRfc4231Case2) {
    EXPECT_EQ(to_hex(hmac_sha256("Jefe", "what do ya want for nothing?")),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Digest, Md5AndBase64) {
    EXPECT_EQ(md5_hex(""), "d41d8cd98f00b204e9800998ecf8427e");
    EXPECT_EQ(md5_base64(""), "1B2M2Y8AsgTpgAmY7PhCfg==");
    EXPECT_EQ(base64_encode("f"), "Zg==");
    EXPECT_EQ(base64_encode("fo"), "Zm8=");
    EXPECT_EQ(base64_encode("foo"), "Zm9v");
    EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
}

TEST(Digest, ConstantTimeEqual) {
    EXPECT_TRUE(constant_time_equal("abc", "abc"));
    EXPECT_FALSE(constant_time_equal("abc", "abd"));
    EXPECT_FALSE(constant_time_equal("abc", "abcd"));
    EXPECT_TRUE(constant_time_equal("", ""));
}

} // namespace
} // namespace omnigraph::base

namespace omnigraph::base {
namespace {

TEST(Digest, Base64RoundTripAndRejects) {
    for (std::string s : std::vector<std::string>{"", "f", "fo", "foo", "foob", "fooba", "foobar",
                                                  std::string("\0\xff\x10", 3)}) {
        std::string back;
        ASSERT_TRUE(base64_decode(base64_encode(s), back)) << s;
        EXPECT_EQ(back, s);
    }
    std::string out;
    for (const char* bad : {"A", "AB", "A===", "!!!!", "AA=A", "Zm9v=", "Zg==Zg=="})
        EXPECT_FALSE(base64_decode(bad, out)) << bad;
}

} // namespace
} // namespace omnigraph::base
