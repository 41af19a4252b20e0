// check_query (typecheck.h): the checks every query gets (its parameters), then the read or the
// mutation checks; and the default names of output columns.
#include "query/typecheck.h"

#include "query/type_checker.h"

#include <algorithm>

namespace omnigraph::query {

namespace detail {

CheckedQuery Checker::run() {
    for (const auto& p : q_.params) {
        if (p.name == "__nanograph_now")
            fail(kQueryTypeError, "parameter name `$__nanograph_now` is reserved", p.pos);
        for (const auto& other : q_.params)
            if (&other != &p && other.name == p.name && &other < &p)
                fail(kQueryTypeError, "parameter `$" + p.name + "` is declared twice", p.pos);
    }
    if (q_.is_mutation())
        check_mutations();
    else
        check_read();
    return std::move(out_);
}

} // namespace detail

std::string default_column_name(const Expr& e) {
    switch (e.kind) {
    case ExprKind::kProp:
        return e.var + "." + e.name;
    case ExprKind::kVar:
        return e.var;
    case ExprKind::kLiteral:
        return "literal";
    case ExprKind::kNow:
        return "now";
    case ExprKind::kAlias:
        return e.name;
    case ExprKind::kAgg: {
        std::string arg = default_column_name(e.args.at(0));
        std::replace(arg.begin(), arg.end(), '.', '_');
        return e.name + "_" + arg;
    }
    case ExprKind::kCall:
        return e.name;
    }
    return "?";
}

Result<CheckedQuery> check_query(const Query& query, const schema::Catalog& catalog,
                                 std::string_view file) {
    try {
        CheckedQuery checked = detail::Checker(query, catalog).run();
        checked.schema_ir_hash = catalog.ir_hash;
        return checked;
    } catch (const detail::TypeFailure& f) {
        std::string prefix = f.code == kQueryTypeError ? "" : f.code + ": ";
        return Error(f.code, "type error: " + prefix + f.what(),
                     SourceLocation{std::string(file), f.pos.line, f.pos.column});
    } catch (const std::exception& e) { // a bug: never past this boundary
        return Error(codes::kInternal, "type-checking '" + query.name + "' failed: " + e.what());
    }
}

} // namespace omnigraph::query
