#include "base/json.h"
#include "base/record_seal.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace omnigraph::base {
namespace {

TEST(RecordSeal, SealedRecordVerifiesAndStaysJson) {
    std::string sealed = seal_record(R"({"a":1,"b":"x"})");
    EXPECT_TRUE(sealed.starts_with(R"({"a":1,"b":"x","checksum":"xxh3-64:)"));
    EXPECT_TRUE(sealed.ends_with("\"}"));
    auto verified = verify_record_seal(sealed, "some_corrupt", "rec.json");
    ASSERT_TRUE(verified) << verified.error().to_string();
    EXPECT_TRUE(*verified);
    auto json = parse_json(sealed);
    ASSERT_TRUE(json);
    EXPECT_EQ((*json)["a"], 1);
    EXPECT_TRUE((*json)["checksum"].get<std::string>().starts_with("xxh3-64:"));
}

TEST(RecordSeal, EveryFlippedByteBeforeTheSealIsCaught) {
    std::string sealed = seal_record(R"({"a":12345,"b":"hello"})");
    size_t body = sealed.rfind(R"(,"checksum")");
    for (size_t i = 0; i < body; ++i) {
        std::string bad = sealed;
        bad[i] = static_cast<char>(bad[i] ^ 0x01);
        auto verified = verify_record_seal(bad, "some_corrupt", "rec.json");
        ASSERT_FALSE(verified) << "byte " << i;
        EXPECT_EQ(verified.error().code, "some_corrupt");
        EXPECT_NE(verified.error().message.find("rec.json: bytes [0, " + std::to_string(body) +
                                                ") fail their checksum"),
                  std::string::npos)
            << verified.error().message;
    }
}

TEST(RecordSeal, UnsealedRecordIsReportedAsSuch) {
    auto verified = verify_record_seal(R"({"a":1})", "some_corrupt", "rec.json");
    ASSERT_TRUE(verified);
    EXPECT_FALSE(*verified);
    auto json = parse_json(R"({"a":1})");
    auto record = StrictRecord::of(*json, "some_corrupt", "rec.json");
    ASSERT_TRUE(record);
    EXPECT_TRUE(check_unsealed(*record, R"({"a":1})", Seal::kOptional));
}

TEST(RecordSeal, UnsealedRecordIsRefusedWhereSealsAreRequired) {
    auto json = parse_json(R"({"a":1})");
    auto record = StrictRecord::of(*json, "some_corrupt", "rec.json");
    ASSERT_TRUE(record);
    auto status = check_unsealed(*record, R"({"a":1})", Seal::kRequired);
    ASSERT_FALSE(status);
    EXPECT_EQ(status.error().code, "some_corrupt");
    EXPECT_EQ(status.error().message,
              "rec.json: has no checksum; storage format 2 records are sealed");
}

TEST(RecordSeal, DamagedSealIsRefusedOnceParsed) {
    std::string sealed = seal_record(R"({"a":1})");
    std::string bad = sealed;
    bad[bad.size() - 3] = 'Z'; // not a hex digit: the seal no longer parses
    auto verified = verify_record_seal(bad, "some_corrupt", "rec.json");
    ASSERT_TRUE(verified);
    EXPECT_FALSE(*verified);
    auto json = parse_json(bad);
    ASSERT_TRUE(json);
    auto record = StrictRecord::of(*json, "some_corrupt", "rec.json");
    ASSERT_TRUE(record);
    auto status = check_unsealed(*record, bad, Seal::kOptional);
    ASSERT_FALSE(status);
    EXPECT_EQ(status.error().code, "some_corrupt");
    EXPECT_NE(status.error().message.find("damaged checksum member"), std::string::npos);
}

TEST(RecordSeal, EveryFlippedByteOfTheSealIsCaught) {
    std::string sealed = seal_record(R"({"a":12345,"b":"hello"})");
    size_t body = sealed.rfind(R"(,"checksum")");
    for (size_t i = body; i < sealed.size(); ++i) {
        std::string bad = sealed;
        bad[i] = static_cast<char>(bad[i] ^ 0x01);
        auto verified = verify_record_seal(bad, "some_corrupt", "rec.json");
        if (!verified)
            continue; // a changed digit: a mismatch
        EXPECT_FALSE(*verified) << "byte " << i;
        auto json = parse_json(bad);
        if (!json)
            continue; // no longer JSON: the record's parser refuses it
        auto record = StrictRecord::of(*json, "some_corrupt", "rec.json");
        ASSERT_TRUE(record);
        EXPECT_FALSE(check_unsealed(*record, bad, Seal::kOptional)) << "byte " << i << ": " << bad;
    }
}

} // namespace
} // namespace omnigraph::base
