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
