// End to end: `omnigraph query` and `omnigraph mutate` on a local and an S3 root — every output
// format, parameters from a file, time travel by --snapshot, --if-commit (exit 4), positioned
// parse and type errors.
#include "test_support.h"

#include <algorithm>
#include <fstream>
#include <gtest/gtest.h>

namespace omnigraph::testing {
namespace {

std::string omnigraph() {
    return binary_dir() + "/src/cli/omnigraph";
}
std::string fixtures() {
    return source_dir() + "/test/queries/fixtures/";
}

void query_and_mutate(const std::string& uri, const std::string& dir, const Env& env) {
    ASSERT_EQ(
        run_process({omnigraph(), "init", "--schema", fixtures() + "test.pg", uri}, env).exit_code,
        0);
    ASSERT_EQ(
        run_process({omnigraph(), "load", "--quiet", "--data", fixtures() + "test.jsonl", uri}, env)
            .exit_code,
        0);
    auto q = [&](std::vector<std::string> extra) {
        std::vector<std::string> argv = {omnigraph(), "query"};
        argv.insert(argv.end(), extra.begin(), extra.end());
        argv.insert(argv.end(), {"--store", uri});
        return run_process(argv, env);
    };
    auto table =
        q({"friends_of", "--query", fixtures() + "test.gq", "--params", R"({"name":"Alice"})"});
    ASSERT_EQ(table.exit_code, 0) << table.err;
    EXPECT_EQ(table.out, "2 rows from branch main via friends_of\n"
                         "f.name  | f.age\n"
                         "--------+------\n"
                         "Bob     | 25\n"
                         "Charlie | 35\n");
    std::string params = dir + "/params.json";
    std::ofstream(params) << R"({"name":"Alice"})";
    auto json =
        q({"get_person", "--query", fixtures() + "test.gq", "--params-file", params, "--json"});
    ASSERT_EQ(json.exit_code, 0) << json.err;
    EXPECT_EQ(json.out.substr(0, json.out.find("  \"graph_commit_id\"")),
              "{\n  \"query_name\": \"get_person\",\n  \"target\": {\n    \"branch\": \"main\",\n"
              "    \"snapshot\": null\n  },\n  \"row_count\": 1,\n  \"columns\": [\n"
              "    \"p.name\",\n    \"p.age\"\n  ],\n  \"rows\": [\n    {\n"
              "      \"p.name\": \"Alice\",\n      \"p.age\": 30\n    }\n  ],\n");
    EXPECT_NE(json.out.find("\"graph_commit_id\": \""), std::string::npos) << json.out;
    auto csv =
        q({"-e",
           "query q() { match { $p: Person } return { $p.name, $p.age } order { $p.age } limit 2 }",
           "--format", "csv"});
    EXPECT_EQ(csv.out, "p.name,p.age\nBob,25\nDiana,28\n") << csv.err;
    auto jsonl = q({"-e", "query q() { match { $p: Person { name: \"Bob\" } } return { $p.name } }",
                    "--format", "jsonl"});
    EXPECT_EQ(jsonl.out,
              "{\"kind\":\"metadata\",\"query_name\":\"q\",\"target\":{\"branch\":\"main\","
              "\"snapshot\":null},\"row_count\":1}\n{\"p.name\":\"Bob\"}\n")
        << jsonl.err;
    auto kv = q({"-e", "query q() { match { $p: Person { name: \"Bob\" } } return { $p.name } }",
                 "--format", "kv"});
    EXPECT_EQ(kv.out, "row 1\n  p.name: Bob\n") << kv.err;

    // Several queries in a file need a name.
    auto unnamed = q({"--query", fixtures() + "test.gq"});
    EXPECT_EQ(unnamed.exit_code, 1);
    EXPECT_NE(unnamed.err.find("multiple queries"), std::string::npos) << unnamed.err;

    // Errors point at the file, line and column.
    auto typo = q({"-e", "query q() {\n  match { $p: Persn }\n  return { $p.name }\n}"});
    EXPECT_EQ(typo.exit_code, 1);
    EXPECT_NE(typo.err.find("<inline>:2:11: error[T1]"), std::string::npos) << typo.err;
    auto broken = q({"-e", "query broken("});
    EXPECT_EQ(broken.exit_code, 1);
    EXPECT_NE(broken.err.find("<inline>:1:14: error[query_parse_error]"), std::string::npos)
        << broken.err;
    auto missing = q({"get_person", "--query", fixtures() + "test.gq"});
    EXPECT_EQ(missing.exit_code, 1);
    EXPECT_NE(missing.err.find("param 'name': missing required parameter"), std::string::npos);

    // Mutate, then read the old version by commit id.
    auto before = run_process({omnigraph(), "commit", "list", uri}, env);
    std::string base = before.out.substr(0, 26);
    auto add = run_process({omnigraph(), "mutate", "-e",
                            "query add($n: String) { insert Person { name: $n, age: 40 } }",
                            "--params", R"({"n":"Eve"})", "--as", "ops", "--store", uri},
                           env);
    ASSERT_EQ(add.exit_code, 0) << add.err;
    EXPECT_EQ(add.out, "changed main via add: 1 nodes, 0 edges\nactor_id: ops\n");
    auto count_at = [&](std::vector<std::string> at) {
        std::vector<std::string> args = {
            "-e", "query q() { match { $p: Person } return { count($p) as n } }", "--format",
            "csv"};
        args.insert(args.end(), at.begin(), at.end());
        return q(args).out;
    };
    EXPECT_EQ(count_at({}), "n\n5\n");
    EXPECT_EQ(count_at({"--snapshot", base}), "n\n4\n");

    // A lost compare-and-swap exits 4 and changes nothing.
    auto lost = run_process({omnigraph(), "mutate", "-e",
                             "query d() { delete Person where name = \"Eve\" }", "--if-commit",
                             base, "--json", "--store", uri},
                            env);
    EXPECT_EQ(lost.exit_code, 4) << lost.err;
    EXPECT_NE(lost.out.find("\"code\": \"precondition_failure\""), std::string::npos) << lost.out;
    EXPECT_EQ(count_at({}), "n\n5\n");
    auto nothing = run_process({omnigraph(), "mutate", "-e",
                                "query d() { delete Person where name = \"Nobody\" }", "--json",
                                "--store", uri},
                               env);
    EXPECT_EQ(nothing.exit_code, 0) << nothing.err;
    EXPECT_NE(nothing.out.find("\"commit\": null"), std::string::npos) << nothing.out;
    auto wrong_verb = run_process(
        {omnigraph(), "mutate", "--query", fixtures() + "test.gq", "adults", "--store", uri}, env);
    EXPECT_EQ(wrong_verb.exit_code, 1);
    EXPECT_NE(wrong_verb.err.find("is a read query"), std::string::npos) << wrong_verb.err;
}

TEST(CliQuery, QueryAndMutateOnLocalDisk) {
    TempDir dir;
    query_and_mutate(dir.path() + "/g.omni", dir.path(), {});
}

// The read budget flags reach the query: a cartesian product estimated over --max-rows is
// refused before it runs; within the limits it answers (the limits themselves are tested in
// test/queries/budget_test.cpp).
TEST(CliQuery, BudgetFlagsBoundTheQuery) {
    TempDir dir;
    std::string uri = dir.path() + "/g.omni";
    ASSERT_EQ(run_process({omnigraph(), "init", "--schema", fixtures() + "test.pg", uri}).exit_code,
              0);
    ASSERT_EQ(
        run_process({omnigraph(), "load", "--quiet", "--data", fixtures() + "test.jsonl", uri})
            .exit_code,
        0);
    std::string product =
        "query q() { match { $a: Person $b: Person } return { $a.name, $b.name } }";
    auto refused = run_process(
        {omnigraph(), "query", "-e", product, "--max-rows", "10", "--json", "--store", uri});
    EXPECT_EQ(refused.exit_code, 1);
    EXPECT_NE(refused.out.find(R"("code": "resource_limit")"), std::string::npos) << refused.out;
    EXPECT_NE(refused.out.find("refused before running"), std::string::npos) << refused.out;
    EXPECT_NE(refused.out.find("actual 20, limit 10"), std::string::npos) << refused.out;
    auto answered = run_process({omnigraph(), "query", "-e", product, "--max-rows", "20",
                                 "--format", "csv", "--store", uri});
    EXPECT_EQ(answered.exit_code, 0) << answered.err;
    EXPECT_EQ(std::count(answered.out.begin(), answered.out.end(), '\n'), 17); // header + 16
    auto timed =
        run_process({omnigraph(), "query", "-e", product, "--timeout-ms", "60000", "--store", uri});
    EXPECT_EQ(timed.exit_code, 0) << timed.err;
}

// Time travel across a schema change: each read is checked against the schema of the snapshot
// it reads, so the old snapshot answers a positioned type error for a property it does not
// have, and a branch keeps the schema it was forked with.
TEST(CliQuery, ReadsAndMutationsAreCheckedAtTheirSnapshotsSchema) {
    TempDir dir;
    std::string uri = dir.path() + "/g.omni";
    std::string v1 = dir.path() + "/v1.pg", v2 = dir.path() + "/v2.pg";
    std::ofstream(v1) << "node Person {\n    name: String @key\n    age: I32?\n}\n";
    std::ofstream(v2)
        << "node Person {\n    name: String @key\n    age: I32?\n    bio: String?\n}\n";
    std::string data = dir.path() + "/people.jsonl";
    std::ofstream(data) << R"({"type":"Person","data":{"name":"Ada","age":36}})"
                        << "\n";
    ASSERT_EQ(run_process({omnigraph(), "init", "--schema", v1, uri}).exit_code, 0);
    ASSERT_EQ(run_process({omnigraph(), "load", "--quiet", "--data", data, uri}).exit_code, 0);
    std::string before = run_process({omnigraph(), "commit", "list", uri}).out.substr(0, 26);
    ASSERT_EQ(run_process({omnigraph(), "branch", "create", "--uri", uri, "old"}).exit_code, 0);
    auto applied = run_process({omnigraph(), "schema", "apply", uri, "--schema", v2});
    ASSERT_EQ(applied.exit_code, 0) << applied.err;

    const std::string with_bio =
        "query q() {\n  match { $p: Person }\n  return { $p.name, $p.bio }\n}";
    auto now =
        run_process({omnigraph(), "query", "-e", with_bio, "--format", "csv", "--store", uri});
    EXPECT_EQ(now.exit_code, 0) << now.err;
    EXPECT_EQ(now.out, "p.name,p.bio\nAda,null\n");
    auto old =
        run_process({omnigraph(), "query", "-e", with_bio, "--snapshot", before, "--store", uri});
    EXPECT_EQ(old.exit_code, 1);
    EXPECT_NE(old.err.find("<inline>:3:21: error[T6]"), std::string::npos) << old.err;
    EXPECT_NE(old.err.find("has no property `bio`"), std::string::npos) << old.err;
    auto branch = run_process(
        {omnigraph(), "query", "-e", with_bio, "--branch", "old", "--json", "--store", uri});
    EXPECT_EQ(branch.exit_code, 1);
    EXPECT_NE(branch.out.find("\"code\": \"T6\""), std::string::npos) << branch.out;

    // A mutation is checked at the head of the branch it changes.
    const std::string set_bio =
        "query s() { update Person set { bio: \"x\" } where name = \"Ada\" }";
    auto on_old =
        run_process({omnigraph(), "mutate", "-e", set_bio, "--branch", "old", "--store", uri});
    EXPECT_EQ(on_old.exit_code, 1);
    EXPECT_NE(on_old.err.find("error[T11]"), std::string::npos) << on_old.err;
    auto on_main = run_process({omnigraph(), "mutate", "-e", set_bio, "--store", uri});
    EXPECT_EQ(on_main.exit_code, 0) << on_main.err;

    // --explain prints the plan the query would run, at the snapshot asked for.
    auto plan =
        run_process({omnigraph(), "query", "-e",
                     "query q() { match { $p: Person { name: \"Ada\" } } return { $p.age } }",
                     "--explain", "--snapshot", before, "--store", uri});
    EXPECT_EQ(plan.exit_code, 0) << plan.err;
    EXPECT_EQ(plan.out, "query q\nmatch\n  scan $p: Person — 1 of 1 rows pass $p.name = \"Ada\" "
                        "[key lookup]\nreturn: p.age\n");
}

TEST(CliQuery, QueryAndMutateOnS3) {
    auto& server = S3TestServer::instance();
    ASSERT_TRUE(server.ok()) << server.error();
    TempDir dir;
    query_and_mutate(unique_s3_uri("cli-query"), dir.path(), server.environment());
}

// Full-text search through the CLI (spec Appendix B): the fixture's text queries, and an
// appended row found through its own segment's index.
void full_text_search(const std::string& uri, const Env& env) {
    ASSERT_EQ(run_process({omnigraph(), "init", "--schema", fixtures() + "search.pg", uri}, env)
                  .exit_code,
              0);
    ASSERT_EQ(run_process(
                  {omnigraph(), "load", "--quiet", "--data", fixtures() + "search.jsonl", uri}, env)
                  .exit_code,
              0);
    auto q = [&](std::vector<std::string> extra) {
        std::vector<std::string> argv = {omnigraph(), "query"};
        argv.insert(argv.end(), extra.begin(), extra.end());
        argv.insert(argv.end(), {"--store", uri, "--format", "csv"});
        return run_process(argv, env);
    };
    auto bm25 =
        q({"bm25_search", "--query", fixtures() + "search.gq", "--params", R"({"q":"Learning"})"});
    EXPECT_EQ(bm25.out, "d.slug,d.title\ndl-basics,Deep Learning Basics\n"
                        "ml-intro,Introduction to Machine Learning\n"
                        "rl-intro,Reinforcement Learning Introduction\n")
        << bm25.err;
    auto fuzzy = q({"-e", R"(query q() { match { $d: Doc  fuzzy($d.title, "Introductio", 2) }
                              return { $d.slug } order { $d.slug } })"});
    EXPECT_EQ(fuzzy.out, "d.slug\nml-intro\nrl-intro\n") << fuzzy.err;
    TempDir dir;
    std::string more = dir.path() + "/more.jsonl";
    std::ofstream(more) << R"({"type":"Doc","data":{"slug":"gnn","title":"Graph Neural )"
                           R"(Networks","body":"Message passing","embedding":[0,0,0,1]}})"
                        << "\n";
    ASSERT_EQ(
        run_process({omnigraph(), "load", "--quiet", "--mode", "append", "--data", more, uri}, env)
            .exit_code,
        0);
    auto neural = q({"-e", R"(query q() { match { $d: Doc  match_text($d.title, "neural deep") }
                               return { $d.slug } order { $d.slug } })"});
    EXPECT_EQ(neural.out, "d.slug\ndl-basics\ngnn\n") << neural.err;
}

TEST(CliQuery, FullTextSearchOnLocalDisk) {
    TempDir dir;
    full_text_search(dir.path() + "/s.omni", {});
}

TEST(CliQuery, FullTextSearchOnS3) {
    auto& server = S3TestServer::instance();
    ASSERT_TRUE(server.ok()) << server.error();
    full_text_search(unique_s3_uri("cli-search"), server.environment());
}

} // namespace
} // namespace omnigraph::testing

namespace omnigraph::testing {
namespace {

// The operator guide's per-operator omnigraph.yaml: --target NAME addresses graphs.NAME.uri
// (relative to the file), cli.actor is the default for --as, cli.graph the default target.
TEST(CliQuery, OperatorConfigTargetsAndDefaultActor) {
    TempDir dir;
    std::string root = dir.path() + "/graphs/knowledge.omni";
    ASSERT_EQ(
        run_process({omnigraph(), "init", "--schema", fixtures() + "test.pg", root}).exit_code, 0);
    std::ofstream(dir.path() + "/omnigraph.yaml")
        << "project: { name: demo }\ngraphs:\n  knowledge:\n    uri: graphs/knowledge.omni\n"
           "cli:\n  actor: andrew\n";
    std::string config = dir.path() + "/omnigraph.yaml";
    auto load = run_process({omnigraph(), "load", "--quiet", "--target", "knowledge", "--config",
                             config, "--data", fixtures() + "test.jsonl"});
    ASSERT_EQ(load.exit_code, 0) << load.err;
    auto add = run_process({omnigraph(), "mutate", "--target", "knowledge", "--config", config,
                            "-e", "query a() { insert Person { name: \"Eve\" } }", "--json"});
    ASSERT_EQ(add.exit_code, 0) << add.err;
    EXPECT_NE(add.out.find("\"actor_id\": \"andrew\""), std::string::npos) << add.out;
    auto read = run_process({omnigraph(), "read", "--target", "knowledge", "--config", config, "-e",
                             "query q() { match { $p: Person } return { count($p) as n } }",
                             "--format", "csv"});
    EXPECT_EQ(read.out, "n\n5\n") << read.err;
    EXPECT_NE(read.err.find("deprecated; use `omnigraph query`"), std::string::npos) << read.err;
    auto unknown = run_process({omnigraph(), "query", "--target", "nope", "--config", config, "-e",
                                "query q() { match { $p: Person } return { $p.name } }"});
    EXPECT_EQ(unknown.exit_code, 1);
    EXPECT_NE(unknown.err.find("graph 'nope' not found in omnigraph.yaml"), std::string::npos);
    auto nothing = run_process(
        {omnigraph(), "query", "-e", "query q() { match { $p: Person } return { $p.name } }"});
    EXPECT_EQ(nothing.exit_code, 1);
    EXPECT_NE(nothing.err.find("URI must be provided via <URI>, --target, or config"),
              std::string::npos)
        << nothing.err;
}

} // namespace
} // namespace omnigraph::testing
