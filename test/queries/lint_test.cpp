// `lint --query`: the descriptor of each query (result columns, types read and written) and the
// lint warnings (spec query-language §2.5).
#include "query/lint.h"
#include "schema/compiler.h"
#include "schema/ir.h"

#include <gtest/gtest.h>

namespace omnigraph::query {
namespace {

schema::Catalog catalog() {
    auto s = schema::load_schema("node Person { name: String @key  age: I32?  nick: String? }\n"
                                 "node Company { name: String @key }\n"
                                 "edge Knows: Person -> Person { since: Date? }\n"
                                 "edge WorksAt: Person -> Company\n");
    EXPECT_TRUE(s);
    auto ir = schema::build_ir(*s, nullptr, "");
    return schema::project_catalog(ir->ir);
}

using Pairs = std::vector<std::pair<std::string, std::string>>;

TEST(QueryLint, DescribesResultsReadsAndWrites) {
    auto report = lint_queries(
        "query q($n: String) { match { $p: Person { name: $n }  not { $p worksAt $c } } "
        "return { $p.name, $p.age, count($p) as n } }\n"
        "query d($n: String) { delete Person where name = $n }\n"
        "query e($a: String, $b: String) { insert Knows { from: $a, to: $b } }\n"
        "query u() { update Person set { age: 3 } where name = \"x\" }\n"
        "query bad() { match { $p: Nope } return { $p } }\n",
        "f.gq", catalog());
    ASSERT_TRUE(report.parsed);
    ASSERT_EQ(report.results.size(), 5u);
    const auto& read = *report.results[0].operation;
    ASSERT_EQ(read.result.size(), 3u);
    EXPECT_EQ(read.result[0].kind, "string");
    EXPECT_FALSE(read.result[0].nullable);
    EXPECT_EQ(read.result[1].kind, "int");
    EXPECT_EQ(read.result[2].kind, "bigint");
    EXPECT_EQ(read.reads, (Pairs{{"node", "Person"}, {"edge", "WorksAt"}, {"node", "Company"}}));
    EXPECT_TRUE(read.writes.empty());
    const auto& del = *report.results[1].operation;
    EXPECT_EQ(del.writes, (Pairs{{"node", "Person"}, {"edge", "Knows"}, {"edge", "WorksAt"}}));
    const auto& ins = *report.results[2].operation;
    EXPECT_EQ(ins.reads, (Pairs{{"edge", "Knows"}, {"node", "Person"}}));
    EXPECT_EQ(ins.writes, (Pairs{{"edge", "Knows"}}));
    EXPECT_EQ(report.results[3].warnings.size(), 1u); // a mutation without params
    EXPECT_TRUE(report.results[4].error);
    EXPECT_FALSE(report.results[4].operation);
    EXPECT_EQ(report.errors(), 1u);
    // L201: Person.nick is nullable, not a key, and no update assigns it (age is assigned).
    bool l201 = false;
    for (const auto& f : report.findings)
        if (f.code == "L201") {
            l201 = true;
            EXPECT_EQ(f.property, "nick");
            EXPECT_EQ(f.query_names, (std::vector<std::string>{"u"}));
        }
    EXPECT_TRUE(l201);
    auto broken = lint_queries("query broken(", "b.gq", catalog());
    EXPECT_FALSE(broken.parsed);
    ASSERT_EQ(broken.findings.size(), 1u);
    EXPECT_EQ(broken.findings[0].code, "Q000");
}

} // namespace
} // namespace omnigraph::query
