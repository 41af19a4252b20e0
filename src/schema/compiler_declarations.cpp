// Phase 2 of schema compilation (spec schema-language §2): each declaration of the syntax tree
// becomes a WorkType with its strings unescaped, types resolved, annotations and constraints
// decoded; the errors found while decoding (escapes, bounds, cardinality) are reported here.
#include "schema/compiler_phases.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace omnigraph::schema::detail {

namespace {

constexpr std::string_view kReservedNames[] = {
    "_rowid", "_rowaddr", "_rowoffset", "_row_created_at_version", "_row_last_updated_at_version"};

} // namespace

Result<std::string> Compiler::decode_string(const std::string& raw, Span span) const {
    std::string out;
    for (size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] != '\\') {
            out += raw[i];
            continue;
        }
        char c = i + 1 < raw.size() ? raw[i + 1] : '\0';
        switch (c) {
        case '"':
            out += '"';
            break;
        case '\\':
            out += '\\';
            break;
        case 'n':
            out += '\n';
            break;
        case 'r':
            out += '\r';
            break;
        case 't':
            out += '\t';
            break;
        default:
            return err("PG-STR-001",
                       "unsupported escape sequence '\\" + std::string(1, c) +
                           "' (supported: \\\" \\\\ \\n \\r \\t)",
                       span);
        }
        ++i;
    }
    return out;
}

Result<std::string> Compiler::literal_text(const Literal& lit) const {
    if (lit.kind == Literal::Kind::kString)
        return decode_string(lit.text, lit.span);
    return lit.text;
}

Result<DecodedAnnotation> Compiler::decode(const Annotation& a) const {
    DecodedAnnotation d;
    d.span = a.span;
    d.has_parens = a.has_parens;
    d.value.name = a.name;
    if (a.value)
        d.value.value = OG_TRY(literal_text(*a.value));
    std::map<std::string, std::string> kwargs;
    for (const auto& [k, v] : a.kwargs)
        kwargs[k] = OG_TRY(literal_text(v));
    d.value.kwargs.assign(kwargs.begin(), kwargs.end());
    return d;
}

Result<PropType> Compiler::decode_type(const TypeRef& t) const {
    PropType type;
    type.scalar = t.scalar;
    type.list = t.list;
    type.nullable = t.nullable;
    if (t.scalar == ScalarType::kVector) {
        uint64_t dim = 0;
        auto [p, ec] =
            std::from_chars(t.vector_dim.data(), t.vector_dim.data() + t.vector_dim.size(), dim);
        if (ec != std::errc() || dim > UINT32_MAX)
            return err("PG-TYP-003",
                       "invalid Vector dimension " + t.vector_dim + " (it must fit in 32 bits)",
                       t.span);
        if (dim == 0)
            return err("PG-TYP-001", "Vector dimension must be greater than zero", t.span);
        if (dim > 2147483647)
            return err("PG-TYP-002",
                       "Vector dimension " + t.vector_dim + " exceeds maximum supported 2147483647",
                       t.span);
        type.vector_dim = static_cast<uint32_t>(dim);
    }
    if (t.list && t.scalar == ScalarType::kBlob)
        return err("PG-TYP-004", "list of Blob is not supported", t.span);
    if (t.enum_values) {
        std::vector<std::string> values = *t.enum_values;
        std::sort(values.begin(), values.end());
        auto dup = std::adjacent_find(values.begin(), values.end());
        if (dup != values.end())
            return err("PG-TYP-005", "enum has duplicate values: '" + *dup + "'", t.span);
        type.enum_values = std::move(values);
    }
    return type;
}

Result<WorkProp> Compiler::construct_property(const Property& p, const std::string& owner) const {
    for (auto reserved : kReservedNames)
        if (p.name == reserved)
            return err("PG-NAM-001",
                       "property '" + owner + "." + p.name +
                           "' uses a name reserved for a virtual storage system "
                           "column",
                       p.span);
    WorkProp w;
    w.name = p.name;
    w.span = p.span;
    w.type = OG_TRY(decode_type(p.type));
    for (const auto& a : p.annotations)
        w.annotations.push_back(OG_TRY(decode(a)));
    return w;
}

Result<uint32_t> Compiler::parse_card(const std::string& digits, const char* which,
                                      Span span) const {
    uint64_t v = 0;
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    if (ec != std::errc() || v > UINT32_MAX)
        return err("PG-CRD-001",
                   std::string("invalid cardinality ") + which + " " + digits +
                       " (it must fit in 32 bits)",
                   span);
    return static_cast<uint32_t>(v);
}

Result<std::optional<Bound>> Compiler::parse_bound(const std::optional<std::string>& text,
                                                   Span span) const {
    if (!text)
        return std::optional<Bound>();
    Bound b;
    if (text->find('.') != std::string::npos) {
        b.is_float = true;
        auto [end, parsed] = std::from_chars(text->data(), text->data() + text->size(), b.real);
        if (parsed != std::errc() || !std::isfinite(b.real))
            return err("PG-CON-003",
                       "expected range bounds: " + *text + " is not a finite 64-bit float", span);
        return std::optional<Bound>(b);
    }
    auto [p, ec] = std::from_chars(text->data(), text->data() + text->size(), b.integer);
    if (ec != std::errc())
        return err("PG-CON-003",
                   "expected range bounds: integer bound " + *text + " is out of the 64-bit range",
                   span);
    return std::optional<Bound>(b);
}

Result<WorkConstraint> Compiler::construct_constraint(const BodyConstraint& bc,
                                                      const std::string& owner) const {
    WorkConstraint w;
    w.span = bc.span;
    Constraint& c = w.constraint;
    auto ident = [&](const ConstraintArg& a) -> const Literal* {
        auto* lit = std::get_if<Literal>(&a.value);
        return lit && lit->kind == Literal::Kind::kIdent ? lit : nullptr;
    };
    if (bc.name == "key" || bc.name == "unique" || bc.name == "index") {
        c.kind = bc.name == "key"      ? Constraint::Kind::kKey
                 : bc.name == "unique" ? Constraint::Kind::kUnique
                                       : Constraint::Kind::kIndex;
        for (const auto& a : bc.args) {
            const Literal* id = ident(a);
            if (!id)
                return err("PG-CON-001",
                           "expected property name in constraint @" + bc.name + " on '" + owner +
                               "'",
                           a.span);
            c.columns.push_back(id->text);
        }
        return w;
    }
    if (bc.name == "range") {
        c.kind = Constraint::Kind::kRange;
        if (bc.args.size() < 2)
            return err("PG-CON-002",
                       "@range requires property name and bounds (e.g. "
                       "@range(age, 0..150))",
                       bc.span);
        if (bc.args.size() > 2)
            return err("PG-CON-006", "@range takes exactly a property name and bounds",
                       bc.args[2].span);
        const Literal* id = ident(bc.args[0]);
        if (!id)
            return err("PG-CON-001",
                       "expected property name in constraint @range on '" + owner + "'",
                       bc.args[0].span);
        c.property = id->text;
        auto* range = std::get_if<RangeBound>(&bc.args[1].value);
        if (!range)
            return err("PG-CON-003", "expected range bounds (lo..hi, lo.. or ..hi) in @range",
                       bc.args[1].span);
        c.min = OG_TRY(parse_bound(range->low, bc.args[1].span));
        c.max = OG_TRY(parse_bound(range->high, bc.args[1].span));
        if (c.min && c.max) {
            double lo = c.min->is_float ? c.min->real : double(c.min->integer);
            double hi = c.max->is_float ? c.max->real : double(c.max->integer);
            if (lo > hi)
                return err("PG-RNG-004",
                           "@range on '" + owner + "." + c.property +
                               "' has a minimum greater than its maximum",
                           bc.args[1].span);
        }
        return w;
    }
    // check
    c.kind = Constraint::Kind::kCheck;
    if (bc.args.size() < 2)
        return err("PG-CON-004", "@check requires property name and pattern", bc.span);
    if (bc.args.size() > 2)
        return err("PG-CON-006", "@check takes exactly a property name and a pattern",
                   bc.args[2].span);
    const Literal* id = ident(bc.args[0]);
    if (!id)
        return err("PG-CON-001", "expected property name in constraint @check on '" + owner + "'",
                   bc.args[0].span);
    c.property = id->text;
    auto* pattern = std::get_if<Literal>(&bc.args[1].value);
    if (!pattern || pattern->kind != Literal::Kind::kString)
        return err("PG-CON-005", "expected string argument in constraint @check", bc.args[1].span);
    c.pattern = OG_TRY(decode_string(pattern->text, pattern->span));
    return w;
}

Result<WorkType> Compiler::construct(const Declaration& decl) const {
    WorkType t;
    t.decl = &decl;
    if (auto* i = std::get_if<InterfaceDecl>(&decl)) {
        t.kind = WorkType::Kind::kInterface;
        t.name = i->name;
        t.span = i->span;
        for (const auto& p : i->properties)
            t.properties.push_back(OG_TRY(construct_property(p, t.name)));
    } else if (auto* n = std::get_if<NodeDecl>(&decl)) {
        t.kind = WorkType::Kind::kNode;
        t.name = n->name;
        t.span = n->span;
        t.implements = n->implements;
        for (const auto& a : n->annotations)
            t.annotations.push_back(OG_TRY(decode(a)));
        for (const auto& p : n->properties)
            t.properties.push_back(OG_TRY(construct_property(p, t.name)));
        for (const auto& c : n->constraints)
            t.constraints.push_back(OG_TRY(construct_constraint(c, t.name)));
    } else {
        const auto& e = std::get<EdgeDecl>(decl);
        t.kind = WorkType::Kind::kEdge;
        t.name = e.name;
        t.span = e.span;
        t.from_type = e.from_type;
        t.to_type = e.to_type;
        t.from_span = e.from_span;
        t.to_span = e.to_span;
        if (e.cardinality) {
            t.card_min = OG_TRY(parse_card(e.cardinality->min, "min", e.cardinality->span));
            if (e.cardinality->max) {
                t.card_max = OG_TRY(parse_card(*e.cardinality->max, "max", e.cardinality->span));
                if (t.card_min > *t.card_max)
                    return err("PG-CRD-002",
                               "cardinality min " + std::to_string(t.card_min) + " exceeds max " +
                                   std::to_string(*t.card_max),
                               e.cardinality->span);
            }
        }
        for (const auto& a : e.annotations)
            t.annotations.push_back(OG_TRY(decode(a)));
        for (const auto& p : e.properties)
            t.properties.push_back(OG_TRY(construct_property(p, t.name)));
        for (const auto& c : e.constraints)
            t.constraints.push_back(OG_TRY(construct_constraint(c, t.name)));
    }
    return t;
}

} // namespace omnigraph::schema::detail
