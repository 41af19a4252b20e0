// End to end: `omnigraph lint --schema` and `omnigraph schema plan`, as an operator runs them.
#include "test_support.h"

#include <fstream>
#include <gtest/gtest.h>

namespace omnigraph::testing {
namespace {

std::string omnigraph() {
    return binary_dir() + "/src/cli/omnigraph";
}

std::string write_file(const TempDir& dir, const std::string& name, const std::string& text) {
    std::string path = dir.path() + "/" + name;
    std::ofstream(path) << text;
    return path;
}

TEST(CliLint, ExampleSchemaIsClean) {
    auto r = run_process(
        {omnigraph(), "lint", "--schema", source_dir() + "/examples/company-brain/people.pg"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("schema ok:"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("2 node types, 2 edge types"), std::string::npos) << r.out;
    EXPECT_EQ(r.err, "");
}

TEST(CliLint, ErrorsArePositionedWithACaretAndExitOne) {
    TempDir dir;
    std::string path = write_file(dir, "bad.pg", "node N {\n  a: Strin\n}\n");
    auto r = run_process({omnigraph(), "lint", "--schema", path});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find(path + ":2:6: error[PG-SYN-001]"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("  2 |   a: Strin\n    |      ^"), std::string::npos) << r.err;
    auto json = run_process({omnigraph(), "lint", "--schema", path, "--json"});
    EXPECT_EQ(json.exit_code, 1);
    EXPECT_NE(json.out.find("\"code\": \"PG-SYN-001\""), std::string::npos) << json.out;
    EXPECT_NE(json.out.find("\"line\": 2"), std::string::npos) << json.out;
}

TEST(CliLint, MissingFileIsAClearError) {
    auto r = run_process({omnigraph(), "lint", "--schema", "/nonexistent/x.pg"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("/nonexistent/x.pg"), std::string::npos) << r.err;
    EXPECT_EQ(run_process({omnigraph(), "lint"}).exit_code, 2);
}

TEST(CliSchemaPlan, RendersStepsAndJson) {
    TempDir dir;
    std::string from = write_file(dir, "old.pg", "node Person { name: String @key age: I32? }\n");
    std::string to = write_file(dir, "new.pg",
                                "node Human @rename_from(\"Person\") { name: String @key age: I32? "
                                "nickname: String? }\n");
    auto r = run_process({omnigraph(), "schema", "plan", "--schema", to, "--from", from});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "schema plan for " + to +
                         "\nsupported: yes\n- rename node type 'Person' -> 'Human'\n- add property "
                         "'Human.nickname' (String?) on node 'Human'\n");
    auto json =
        run_process({omnigraph(), "schema", "plan", "--schema", to, "--from", from, "--json"});
    EXPECT_EQ(json.exit_code, 0);
    EXPECT_NE(json.out.find("\"step_count\": 2"), std::string::npos) << json.out;
    EXPECT_NE(json.out.find("\"kind\": \"rename_type\""), std::string::npos) << json.out;

    std::string breaking =
        write_file(dir, "breaking.pg", "node Person { name: String @key age: I64? }\n");
    auto unsupported =
        run_process({omnigraph(), "schema", "plan", "--schema", breaking, "--from", from});
    EXPECT_EQ(unsupported.exit_code, 0);
    EXPECT_NE(unsupported.out.find("supported: no"), std::string::npos);
    EXPECT_NE(unsupported.out.find("[OG-MF-106, destructive]"), std::string::npos)
        << unsupported.out;
}

} // namespace
} // namespace omnigraph::testing
