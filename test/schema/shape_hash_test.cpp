// Golden shape hashes of the spec's fixture schemas (schema-language §7): byte compatibility
// with the original's canonical JSON.
#include "schema/compiler.h"
#include "schema/shape.h"
#include "test_support.h"

#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sstream>

namespace omnigraph::schema {
namespace {

std::string read_fixture(const std::string& name) {
    std::ifstream in(testing::source_dir() + "/test/schema/fixtures/" + name);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

struct Golden {
    const char* file;
    const char* shape_hash;
};

class FixtureShapeHash : public ::testing::TestWithParam<Golden> {};

TEST_P(FixtureShapeHash, MatchesTheOriginal) {
    auto schema = load_schema(read_fixture(GetParam().file), GetParam().file);
    ASSERT_TRUE(schema) << schema.error().to_string();
    EXPECT_EQ(shape_hash(*schema), GetParam().shape_hash)
        << base::to_canonical_json(shape_json(*schema)).substr(0, 600);
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, FixtureShapeHash,
    ::testing::Values(
        Golden{"test.pg",
               "sha256:cb13f01bfc204519ef5bc4453f934ad570c95eff4614b217610e25e3f5981dd0"},
        Golden{"search.pg",
               "sha256:8f5b55d8021179f429f2867a116e8985835df2251caa4dcff44c550d175ea2f5"},
        Golden{"signals.pg",
               "sha256:483a0faae73fe6ee0ef30f6a0f4fb88394217ebeca62658961e66b2d020460f2"},
        Golden{"context.pg",
               "sha256:9ac8bd436fdb6cc6c181647e17615cf07d51eee4ce27ceeb50d3f5641cfe4502"}),
    [](const auto& info) {
        std::string name = info.param.file;
        return name.substr(0, name.find('.'));
    });

TEST(ShapePrefix, TestPgBeginsAsTheSpecShows) {
    auto schema = load_schema(read_fixture("test.pg"));
    ASSERT_TRUE(schema);
    const std::string expected_prefix =
        R"({"interfaces":[],"nodes":[{"name":"Company","annotations":[],"implements":[],"properties":[{"name":"name","prop_type":{"scalar":"String","nullable":false,"list":false,"enum_values":null},"annotations":[],"property_constraints":["key"],"embed_source":null,"declared_directly":true,"satisfies_interface_properties":[]}],"constraints":[{"Key":["name"]}]},)";
    EXPECT_TRUE(base::to_canonical_json(shape_json(*schema)).starts_with(expected_prefix));
}

} // namespace
} // namespace omnigraph::schema

#include "schema/ir.h"

namespace omnigraph::schema {
namespace {

constexpr const char* kTestDomain = "01ARZ3NDEKTSV4RRFFQ69G5FAV";

struct GoldenIr {
    const char* file;
    const char* ir_hash;
    uint64_t next_id;
};

class FixtureIrHash : public ::testing::TestWithParam<GoldenIr> {};

TEST_P(FixtureIrHash, MatchesTheOriginal) {
    auto schema = load_schema(read_fixture(GetParam().file), GetParam().file);
    ASSERT_TRUE(schema) << schema.error().to_string();
    auto built = build_ir(*schema, nullptr, kTestDomain);
    ASSERT_TRUE(built) << built.error().to_string();
    EXPECT_EQ(built->ir.next_identity_id, GetParam().next_id);
    EXPECT_EQ(ir_hash(built->ir), GetParam().ir_hash)
        << base::to_canonical_json(ir_json(built->ir)).substr(0, 1500);
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, FixtureIrHash,
    ::testing::Values(
        GoldenIr{"test.pg",
                 "sha256:f02b5878b75361a14f128975188090b68cf683329ffd801dda7fc046e0ba437f", 13},
        GoldenIr{"search.pg",
                 "sha256:9d8f1feae2fa5cb270055356d069d91d5669b5a776c15be7b397592e79f7eb50", 7},
        GoldenIr{"signals.pg",
                 "sha256:5418b1ac6815cbfa7b6f9a2220b71213bce4612811de927d81cb535224924138", 37},
        GoldenIr{"context.pg",
                 "sha256:df435ac2f4690b796f415d81ae987640285b15e8e318f369f513397d646d3c85", 58}),
    [](const auto& info) {
        std::string name = info.param.file;
        return name.substr(0, name.find('.'));
    });

} // namespace
} // namespace omnigraph::schema

#include <filesystem>

namespace omnigraph::schema {
namespace {

// Every schema.pg of ../shared/corpus (graphs written by other people) and of examples/
// compiles clean, without warnings, and hashes the same on every run.
TEST(RealSchemas, CompileCleanWithStableHashes) {
    std::vector<std::string> files = {testing::source_dir() + "/examples/company-brain/people.pg"};
    std::string corpus = testing::shared_corpus_dir();
    if (corpus.empty())
        GTEST_SKIP() << testing::kNoSharedCorpus;
    for (const auto& dir : std::filesystem::directory_iterator(corpus))
        if (std::filesystem::exists(dir.path() / "schema.pg"))
            files.push_back((dir.path() / "schema.pg").string());
    EXPECT_GE(files.size(), 6u);
    for (const auto& file : files) {
        std::ifstream in(file);
        std::stringstream s;
        s << in.rdbuf();
        auto first = load_schema(s.str(), file);
        ASSERT_TRUE(first) << first.error().to_string();
        EXPECT_TRUE(first->warnings.empty()) << file;
        auto ir = build_ir(*first, nullptr, kTestDomain);
        ASSERT_TRUE(ir) << ir.error().to_string();
        auto second = load_schema(s.str(), file);
        ASSERT_TRUE(second);
        EXPECT_EQ(shape_hash(*first), shape_hash(*second)) << file;
        EXPECT_EQ(shape_hash(project_schema(ir->ir)), shape_hash(*first)) << file;
        auto again = build_ir(*second, nullptr, kTestDomain);
        ASSERT_TRUE(again);
        EXPECT_EQ(ir_hash(ir->ir), ir_hash(again->ir)) << file;
    }
}

} // namespace
} // namespace omnigraph::schema
