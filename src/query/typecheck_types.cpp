// The type rules of spec query-language §2.2 that every part of the checker uses: when two types
// are compatible, the type of a literal, and how a type is named in messages.
#include "query/type_checker.h"

namespace omnigraph::query::detail {

bool compatible(const PropType& a, const PropType& b) {
    if (a.list != b.list)
        return false;
    if (a.scalar == b.scalar)
        return a.scalar != ScalarType::kVector || a.vector_dim == b.vector_dim || !a.vector_dim ||
               !b.vector_dim;
    PropType sa = a, sb = b;
    sa.list = sb.list = false;
    return sa.is_numeric() && sb.is_numeric();
}

std::string type_text(const PropType& t) {
    PropType shown = t;
    shown.nullable = false;
    shown.enum_values.reset();
    return shown.display();
}

PropType literal_type(const Literal& l) {
    switch (l.kind) {
    case LiteralKind::kInt:
        return scalar_of(ScalarType::kI64);
    case LiteralKind::kFloat:
        return scalar_of(ScalarType::kF64);
    case LiteralKind::kString:
        return scalar_of(ScalarType::kString);
    case LiteralKind::kBool:
        return scalar_of(ScalarType::kBool);
    case LiteralKind::kDate:
        return scalar_of(ScalarType::kDate);
    case LiteralKind::kDateTime:
        return scalar_of(ScalarType::kDateTime);
    case LiteralKind::kList: {
        PropType t = l.items.empty() ? scalar_of(ScalarType::kString) : literal_type(l.items[0]);
        for (const auto& item : l.items) {
            if (item.kind == LiteralKind::kList)
                fail(kQueryTypeError, "nested list literals are not supported", item.pos);
            if (!compatible(literal_type(item), t))
                fail(kQueryTypeError,
                     "list literal mixes " + type_text(t) + " and " +
                         type_text(literal_type(item)) + " items",
                     item.pos);
        }
        t.list = true;
        return t;
    }
    }
    return {};
}

} // namespace omnigraph::query::detail
