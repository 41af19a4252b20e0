#include "schema/compiler.h"

#include "schema/parser.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <map>
#include <set>

namespace omnigraph::schema {
namespace {

constexpr std::string_view kReservedNames[] = {
    "_rowid", "_rowaddr", "_rowoffset", "_row_created_at_version", "_row_last_updated_at_version"};

// Annotations with a meaning of their own; everything else is opaque (custom or metadata).
bool is_structural(std::string_view name) {
    return name == "rename_from" || name == "embed" || name == "key" || name == "unique" ||
           name == "index";
}

struct DecodedAnnotation {
    AnnotationValue value;
    Span span;
    bool has_parens = false;
};

// A property as it stands during validation: decoded, with its annotations in source order.
struct WorkProp {
    std::string name;
    PropType type;
    std::vector<DecodedAnnotation> annotations;
    Span span;
    bool declared_directly = true;
    std::vector<InterfacePropertyRef> satisfies;
    const WorkProp* source = nullptr; // the interface property an injected property copies
    std::string source_interface;

    std::vector<PropertyConstraint> property_constraints() const {
        std::set<PropertyConstraint> set;
        for (const auto& a : annotations) {
            if (a.value.name == "key")
                set.insert(PropertyConstraint::kKey);
            else if (a.value.name == "unique")
                set.insert(PropertyConstraint::kUnique);
            else if (a.value.name == "index")
                set.insert(PropertyConstraint::kIndex);
        }
        return {set.begin(), set.end()};
    }
    const DecodedAnnotation* find(std::string_view name) const {
        for (const auto& a : annotations)
            if (a.value.name == name)
                return &a;
        return nullptr;
    }
};

struct WorkConstraint {
    Constraint constraint;
    Span span;
    bool from_property = false; // desugared from a property-level @key/@unique/@index
};

struct WorkType {
    enum class Kind { kInterface, kNode, kEdge } kind;
    const Declaration* decl = nullptr;
    std::string name;
    Span span;
    std::vector<DecodedAnnotation> annotations;
    std::vector<WorkProp> properties;
    std::vector<WorkConstraint> constraints; // body constraints, decoded
    std::vector<std::pair<std::string, Span>> implements;
    // edges
    std::string from_type, to_type;
    Span from_span, to_span;
    uint32_t card_min = 0;
    std::optional<uint32_t> card_max;

    const char* kind_name() const {
        return kind == Kind::kInterface ? "interface" : kind == Kind::kNode ? "node" : "edge";
    }
    WorkProp* find_property(std::string_view n) {
        for (auto& p : properties)
            if (p.name == n)
                return &p;
        return nullptr;
    }
};

class Compiler {
  public:
    Compiler(const SchemaAst& ast, std::string_view file, CompileOptions options)
        : ast_(ast), file_(file), options_(options) {}

    Result<Schema> run() {
        for (const auto& decl : ast_.declarations)
            types_.push_back(OG_TRY(construct(decl))); // phase 2
        for (auto& t : types_)
            if (t.kind == WorkType::Kind::kNode)
                OG_CHECK(resolve_interfaces(t)); // phase 3
        for (auto& t : types_)
            OG_CHECK(validate_annotations(t)); // phase 4
        for (auto& t : types_)
            if (t.kind != WorkType::Kind::kInterface)
                OG_CHECK(validate_constraints(t)); // phase 5
        if (options_.validation_only)
            return build();
        OG_CHECK(check_shape());           // phase 6
        OG_CHECK(check_node_properties()); // phase 7
        OG_CHECK(check_catalog());         // phase 8
        return build();
    }

  private:
    Error err(std::string_view code, std::string message, Span span) const {
        return Error(code, std::move(message), SourceLocation{file_, span.line, span.column});
    }
    void warn(std::string code, std::string message, Span span) {
        warnings_.push_back(Diagnostic{std::move(code), Severity::kWarning, std::move(message),
                                       SourceLocation{file_, span.line, span.column}});
    }

    // ---- phase 2: declaration construction --------------------------------------------

    Result<std::string> decode_string(const std::string& raw, Span span) const {
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

    Result<std::string> literal_text(const Literal& lit) const {
        if (lit.kind == Literal::Kind::kString)
            return decode_string(lit.text, lit.span);
        return lit.text;
    }

    Result<DecodedAnnotation> decode(const Annotation& a) const {
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

  public:
    Result<PropType> decode_type(const TypeRef& t) const {
        PropType type;
        type.scalar = t.scalar;
        type.list = t.list;
        type.nullable = t.nullable;
        if (t.scalar == ScalarType::kVector) {
            uint64_t dim = 0;
            auto [p, ec] = std::from_chars(t.vector_dim.data(),
                                           t.vector_dim.data() + t.vector_dim.size(), dim);
            if (ec != std::errc() || dim > UINT32_MAX)
                return err("PG-TYP-003",
                           "invalid Vector dimension " + t.vector_dim + " (it must fit in 32 bits)",
                           t.span);
            if (dim == 0)
                return err("PG-TYP-001", "Vector dimension must be greater than zero", t.span);
            if (dim > 2147483647)
                return err("PG-TYP-002",
                           "Vector dimension " + t.vector_dim +
                               " exceeds maximum supported 2147483647",
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

  private:
    Result<WorkProp> construct_property(const Property& p, const std::string& owner) const {
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

    Result<uint32_t> parse_card(const std::string& digits, const char* which, Span span) const {
        uint64_t v = 0;
        auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
        if (ec != std::errc() || v > UINT32_MAX)
            return err("PG-CRD-001",
                       std::string("invalid cardinality ") + which + " " + digits +
                           " (it must fit in 32 bits)",
                       span);
        return static_cast<uint32_t>(v);
    }

    Result<std::optional<Bound>> parse_bound(const std::optional<std::string>& text,
                                             Span span) const {
        if (!text)
            return std::optional<Bound>();
        Bound b;
        if (text->find('.') != std::string::npos) {
            b.is_float = true;
            auto [end, parsed] = std::from_chars(text->data(), text->data() + text->size(), b.real);
            if (parsed != std::errc() || !std::isfinite(b.real))
                return err("PG-CON-003",
                           "expected range bounds: " + *text + " is not a finite 64-bit float",
                           span);
            return std::optional<Bound>(b);
        }
        auto [p, ec] = std::from_chars(text->data(), text->data() + text->size(), b.integer);
        if (ec != std::errc())
            return err("PG-CON-003",
                       "expected range bounds: integer bound " + *text +
                           " is out of the 64-bit range",
                       span);
        return std::optional<Bound>(b);
    }

    Result<WorkConstraint> construct_constraint(const BodyConstraint& bc,
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
                               "expected property name in constraint @" + bc.name + " on '" +
                                   owner + "'",
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
            return err("PG-CON-001",
                       "expected property name in constraint @check on '" + owner + "'",
                       bc.args[0].span);
        c.property = id->text;
        auto* pattern = std::get_if<Literal>(&bc.args[1].value);
        if (!pattern || pattern->kind != Literal::Kind::kString)
            return err("PG-CON-005", "expected string argument in constraint @check",
                       bc.args[1].span);
        c.pattern = OG_TRY(decode_string(pattern->text, pattern->span));
        return w;
    }

    Result<WorkType> construct(const Declaration& decl) const {
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
                    t.card_max =
                        OG_TRY(parse_card(*e.cardinality->max, "max", e.cardinality->span));
                    if (t.card_min > *t.card_max)
                        return err("PG-CRD-002",
                                   "cardinality min " + std::to_string(t.card_min) +
                                       " exceeds max " + std::to_string(*t.card_max),
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

    // ---- phase 3: interfaces --------------------------------------------------------

    // First declaration of that kind and name (duplicates are reported in phase 6).
    WorkType* find_type(WorkType::Kind kind, std::string_view name) {
        if (type_index_.empty())
            for (auto& t : types_)
                type_index_.emplace(std::pair(static_cast<int>(t.kind), t.name), &t);
        auto it = type_index_.find(std::pair(static_cast<int>(kind), std::string(name)));
        return it == type_index_.end() ? nullptr : it->second;
    }

    Status resolve_interfaces(WorkType& node) {
        // Direct properties are declared before anything is injected.
        size_t direct = node.properties.size();
        std::set<std::string> seen;
        for (const auto& [iface_name, span] : node.implements) {
            if (!seen.insert(iface_name).second)
                continue; // "implements I, I" is "implements I"
            WorkType* iface = find_type(WorkType::Kind::kInterface, iface_name);
            if (!iface)
                return err("PG-IFC-001",
                           "node '" + node.name + "' implements unknown interface '" + iface_name +
                               "'",
                           span);
            for (const auto& ip : iface->properties) {
                WorkProp* existing = node.find_property(ip.name);
                if (existing && existing->type != ip.type)
                    return err("PG-IFC-002",
                               "property '" + node.name + "." + ip.name + "' has type " +
                                   existing->type.display() + " but interface '" + iface->name +
                                   "' declares it as " + ip.type.display(),
                               existing - &node.properties[0] < static_cast<ptrdiff_t>(direct)
                                   ? existing->span
                                   : span);
                InterfacePropertyRef link{iface->name, ip.name};
                if (existing) {
                    existing->satisfies.push_back(link);
                    continue;
                }
                WorkProp injected = ip;
                injected.declared_directly = false;
                injected.satisfies = {link};
                injected.source = &ip;
                injected.source_interface = iface->name;
                injected.span = span;
                node.properties.push_back(std::move(injected));
            }
        }
        // Q9: a direct re-declaration does not inherit the interface's constraint annotations.
        for (size_t i = 0; i < direct; ++i) {
            auto& p = node.properties[i];
            for (const auto& link : p.satisfies) {
                WorkType* iface = find_type(WorkType::Kind::kInterface, link.owner);
                WorkProp* ip = iface ? iface->find_property(link.property) : nullptr;
                if (!ip)
                    continue;
                auto inherited = ip->property_constraints();
                auto own = p.property_constraints();
                // Warn only when something the interface declares is actually lost.
                if (!std::includes(own.begin(), own.end(), inherited.begin(), inherited.end()))
                    warn("PG-W-003",
                         "property '" + node.name + "." + p.name +
                             "' is declared directly, so it "
                             "does not inherit the @key/@unique/@index of interface property '" +
                             link.owner + "." + link.property + "'",
                         p.span);
            }
        }
        return ok();
    }

    // ---- phase 4: annotations -------------------------------------------------------

    Status check_rename(const std::vector<DecodedAnnotation>& anns,
                        const std::string& target) const {
        int count = 0;
        for (const auto& a : anns) {
            if (a.value.name != "rename_from")
                continue;
            if (++count > 1)
                return err("PG-REN-003", target + " declares @rename_from multiple times", a.span);
            if (!a.value.value || a.value.value->find_first_not_of(" \t\r\n") == std::string::npos)
                return err("PG-REN-001",
                           "@rename_from on " + target +
                               " requires exactly one non-empty positional value",
                           a.span);
            if (!a.value.kwargs.empty())
                return err("PG-REN-002",
                           "@rename_from on " + target + " does not accept keyword arguments",
                           a.span);
        }
        return ok();
    }

    Status check_metadata(const std::vector<DecodedAnnotation>& anns, std::string_view name,
                          const std::string& target) const {
        int count = 0;
        for (const auto& a : anns) {
            if (a.value.name != name)
                continue;
            if (++count > 1)
                return err("PG-ANN-003",
                           target + " declares @" + std::string(name) + " multiple times", a.span);
            if (!a.value.value || a.value.value->find_first_not_of(" \t\r\n") == std::string::npos)
                return err("PG-ANN-003",
                           "@" + std::string(name) + " on " + target +
                               " requires a non-empty value",
                           a.span);
        }
        return ok();
    }

    Status validate_property(WorkType& owner, WorkProp& p) const {
        std::string target = "property '" + owner.name + "." + p.name + "'";
        OG_CHECK(check_rename(p.annotations, target));
        OG_CHECK(check_metadata(p.annotations, "description", target));
        std::map<std::string, int> counts;
        for (const auto& a : p.annotations) {
            const std::string& n = a.value.name;
            if (n == "instruction")
                return err("PG-ANN-007",
                           "@instruction is only supported on node and edge types, "
                           "not on " +
                               target,
                           a.span);
            bool structural = n == "key" || n == "unique" || n == "index" || n == "embed";
            if (!structural)
                continue;
            if (++counts[n] > 1)
                return err("PG-ANN-009", target + " declares @" + n + " multiple times", a.span);
            if (p.type.list)
                return err("PG-ANN-004",
                           "@" + n + " is not supported on list property " + owner.name + "." +
                               p.name,
                           a.span);
            if (p.type.scalar == ScalarType::kVector && (n == "key" || n == "unique"))
                return err("PG-ANN-005",
                           "@" + n + " is not supported on vector property " + owner.name + "." +
                               p.name,
                           a.span);
            if (p.type.scalar == ScalarType::kBlob)
                return err("PG-ANN-006",
                           "@" + n + " is not supported on blob property " + owner.name + "." +
                               p.name,
                           a.span);
            if (owner.kind == WorkType::Kind::kEdge && (n == "key" || n == "embed"))
                return err("PG-ANN-008",
                           "@" + n + " is not supported on edge properties (" + owner.name + "." +
                               p.name + ")",
                           a.span);
            if (n == "embed")
                OG_CHECK(check_embed(owner, p, a));
        }
        return ok();
    }

    Status check_embed(WorkType& owner, const WorkProp& p, const DecodedAnnotation& a) const {
        std::string target = owner.name + "." + p.name;
        if (p.type.scalar != ScalarType::kVector)
            return err("PG-EMB-001", "@embed is only supported on vector properties, not " + target,
                       a.span);
        if (!a.value.value)
            return err("PG-EMB-002", "@embed on " + target + " requires a source property name",
                       a.span);
        if (a.value.value->find_first_not_of(" \t\r\n") == std::string::npos)
            return err("PG-EMB-003",
                       "@embed on " + target + " requires a non-empty source property name",
                       a.span);
        for (const auto& [k, v] : a.value.kwargs)
            if (k != "model")
                return err("PG-EMB-006",
                           "@embed on " + target + " has keyword argument '" + k +
                               "'; only 'model' is supported",
                           a.span);
        // On an interface the source must be one of the interface's own properties: the IR
        // records it by id under the interface (nodes check it again after injection).
        const WorkProp* source = owner.find_property(*a.value.value);
        if (!source)
            return err("PG-EMB-004",
                       "@embed on " + target + " references unknown source property '" +
                           *a.value.value + "'",
                       a.span);
        if (source->type.scalar != ScalarType::kString || source->type.list)
            return err("PG-EMB-005",
                       "@embed source '" + owner.name + "." + source->name +
                           "' must be String, not " + source->type.display(),
                       a.span);
        return ok();
    }

    Status validate_annotations(WorkType& t) {
        std::string target = std::string(t.kind_name()) + " '" + t.name + "'";
        if (t.kind != WorkType::Kind::kInterface) {
            OG_CHECK(check_rename(t.annotations, target));
            for (const auto& a : t.annotations) {
                const std::string& n = a.value.name;
                if (n == "key" || n == "unique" || n == "index" || n == "embed") {
                    if (t.kind == WorkType::Kind::kNode)
                        return err("PG-ANN-001",
                                   "@" + n + " on " + target +
                                       " is only supported on node properties or as "
                                       "body constraint",
                                   a.span);
                    return err("PG-ANN-002",
                               "@" + n + " is not supported on edges (" + target + ")", a.span);
                }
            }
            OG_CHECK(check_metadata(t.annotations, "description", target));
            OG_CHECK(check_metadata(t.annotations, "instruction", target));
        }
        for (auto& p : t.properties) {
            if (t.kind == WorkType::Kind::kInterface && p.name == "id")
                return err("PG-NAM-002",
                           "property '" + t.name +
                               ".id' collides with the system "
                               "column 'id' of every node table that implements it; rename it",
                           p.span);
            if (!p.declared_directly) {
                // Injected: the interface's annotations were validated with the interface;
                // only the embed source depends on the node.
                if (const auto* e = p.find("embed"))
                    OG_CHECK(check_embed(t, p, *e));
                continue;
            }
            OG_CHECK(validate_property(t, p));
        }
        return ok();
    }

    // ---- phase 5: constraints -------------------------------------------------------

    std::vector<WorkConstraint> all_constraints(const WorkType& t) const {
        std::vector<WorkConstraint> out = t.constraints;
        for (const auto& p : t.properties) {
            for (auto pc : p.property_constraints()) {
                WorkConstraint w;
                w.from_property = true;
                w.span = p.span;
                w.constraint.kind = pc == PropertyConstraint::kKey      ? Constraint::Kind::kKey
                                    : pc == PropertyConstraint::kUnique ? Constraint::Kind::kUnique
                                                                        : Constraint::Kind::kIndex;
                w.constraint.columns = {p.name};
                out.push_back(std::move(w));
            }
        }
        return out;
    }

    Status validate_constraints(WorkType& t) {
        bool edge = t.kind == WorkType::Kind::kEdge;
        auto lookup = [&](const std::string& name) -> WorkProp* { return t.find_property(name); };
        auto system = [&](const std::string& name) {
            return edge && (name == "src" || name == "dst");
        };
        for (const auto& p : t.properties) {
            if (p.name == "id" || (edge && (p.name == "src" || p.name == "dst")))
                return err("PG-NAM-002",
                           "property '" + t.name + "." + p.name + "' collides with the " +
                               "system column '" + p.name + "' of every " + t.kind_name() +
                               " table; rename it",
                           p.span);
        }
        int keys = 0;
        for (const auto& w : all_constraints(t)) {
            const Constraint& c = w.constraint;
            std::string where = t.name;
            switch (c.kind) {
            case Constraint::Kind::kKey:
                if (edge)
                    return err("PG-KEY-001",
                               "@key constraint is not supported on edges ('" + t.name + "')",
                               w.span);
                if (++keys > 1)
                    return err("PG-KEY-002", "node '" + t.name + "' has multiple @key constraints",
                               w.span);
                for (const auto& col : c.columns) {
                    if (col == "id")
                        return err("PG-CAT-002",
                                   "@key must reference declared properties: 'id' on "
                                   "node '" +
                                       t.name + "' is the system id field",
                                   w.span);
                    WorkProp* p = lookup(col);
                    if (!p)
                        return err("PG-KEY-003",
                                   "@key on '" + t.name + "' references unknown property '" + col +
                                       "'",
                                   w.span);
                    if (p->type.nullable)
                        return err("PG-KEY-004",
                                   "@key property '" + t.name + "." + col + "' cannot be nullable",
                                   w.span);
                    if (p->type.list || p->type.scalar == ScalarType::kVector ||
                        p->type.scalar == ScalarType::kBlob)
                        return err("PG-KEY-005",
                                   "@key is not supported on list/vector/blob property '" + t.name +
                                       "." + col + "'",
                                   w.span);
                }
                break;
            case Constraint::Kind::kUnique:
            case Constraint::Kind::kIndex: {
                bool unique = c.kind == Constraint::Kind::kUnique;
                std::string ann = unique ? "@unique" : "@index";
                for (const auto& col : c.columns) {
                    if (system(col))
                        continue;
                    WorkProp* p = lookup(col);
                    if (!p)
                        return err(unique ? "PG-UNQ-001" : "PG-IDX-001",
                                   ann + " on '" + t.name + "' references unknown property '" +
                                       col + "'",
                                   w.span);
                    // Graphs accepted before 0.10 may hold a body @unique over a Blob; reopening
                    // them must keep working (spec PG-UNQ-002, "persisted contract" mode).
                    bool tolerated = unique && options_.persisted_contract && !w.from_property;
                    if (p->type.scalar == ScalarType::kBlob && !tolerated)
                        return err(unique ? "PG-UNQ-002" : "PG-IDX-002",
                                   ann + " is not supported on blob property " + t.name + "." + col,
                                   w.span);
                    if (p->type.list)
                        return err(unique ? "PG-UNQ-003" : "PG-IDX-003",
                                   ann + " is not supported on list property " + t.name + "." + col,
                                   w.span);
                    if (unique && p->type.scalar == ScalarType::kVector)
                        return err("PG-UNQ-003",
                                   "@unique is not supported on vector property " + t.name + "." +
                                       col,
                                   w.span);
                }
                break;
            }
            case Constraint::Kind::kRange: {
                if (edge)
                    return err("PG-RNG-001",
                               "@range constraint is not supported on edges ('" + t.name + "')",
                               w.span);
                WorkProp* p = lookup(c.property);
                if (!p)
                    return err("PG-RNG-002",
                               "@range on '" + t.name + "' references unknown property '" +
                                   c.property + "'",
                               w.span);
                if (p->type.list)
                    return err("PG-RNG-005",
                               "@range is not supported on list property " + t.name + "." +
                                   c.property,
                               w.span);
                if (!p->type.is_numeric())
                    return err("PG-RNG-003",
                               "@range on '" + t.name + "." + c.property +
                                   "' requires a numeric type, not " + p->type.display(),
                               w.span);
                break;
            }
            case Constraint::Kind::kCheck: {
                if (edge)
                    return err("PG-CHK-001",
                               "@check constraint is not supported on edges ('" + t.name + "')",
                               w.span);
                WorkProp* p = lookup(c.property);
                if (!p)
                    return err("PG-CHK-002",
                               "@check on '" + t.name + "' references unknown property '" +
                                   c.property + "'",
                               w.span);
                if (p->type.list)
                    return err("PG-CHK-004",
                               "@check is not supported on list property " + t.name + "." +
                                   c.property,
                               w.span);
                if (p->type.scalar != ScalarType::kString)
                    return err("PG-CHK-003",
                               "@check on '" + t.name + "." + c.property +
                                   "' requires String type, not " + p->type.display(),
                               w.span);
                break;
            }
            }
        }
        return ok();
    }

    // ---- phases 6-8 -----------------------------------------------------------------

    Status check_shape() {
        std::set<std::pair<int, std::string>> names;
        for (const auto& t : types_) {
            if (names.insert({static_cast<int>(t.kind), t.name}).second)
                continue;
            const char* code = t.kind == WorkType::Kind::kInterface ? "PG-SHP-002"
                               : t.kind == WorkType::Kind::kNode    ? "PG-SHP-003"
                                                                    : "PG-SHP-004";
            return err(code, std::string("duplicate ") + t.kind_name() + " name '" + t.name + "'",
                       t.span);
        }
        for (const auto& t : types_) {
            if (t.kind != WorkType::Kind::kEdge)
                continue;
            for (auto [name, span] :
                 {std::pair{t.from_type, t.from_span}, std::pair{t.to_type, t.to_span}})
                if (!find_type(WorkType::Kind::kNode, name))
                    return err("PG-SHP-005",
                               "edge '" + t.name + "' has unresolved endpoint '" + name +
                                   "' (endpoints must be node types)",
                               span);
        }
        for (const auto& t : types_) {
            if (t.kind == WorkType::Kind::kNode)
                continue;
            std::set<std::string> seen;
            for (const auto& p : t.properties)
                if (!seen.insert(p.name).second)
                    return err("PG-SHP-001",
                               "duplicate property in schema shape: '" + t.name + "." + p.name +
                                   "'",
                               p.span);
        }
        for (auto& t : types_) {
            if (t.kind != WorkType::Kind::kNode)
                continue;
            for (const auto& p : t.properties) {
                if (p.declared_directly || p.satisfies.size() < 2)
                    continue;
                // Every contributing interface property must mean the same thing.
                const WorkProp* first = nullptr;
                for (const auto& link : p.satisfies) {
                    WorkProp* ip = find_type(WorkType::Kind::kInterface, link.owner)
                                       ->find_property(link.property);
                    if (!first) {
                        first = ip;
                        continue;
                    }
                    if (ip->type != first->type || opaque(*ip) != opaque(*first) ||
                        ip->property_constraints() != first->property_constraints() ||
                        embed_of(*ip) != embed_of(*first))
                        return err("PG-SHP-006",
                                   "interfaces contribute property '" + t.name + "." + p.name +
                                       "' with incompatible property semantics",
                                   p.span);
                }
            }
        }
        return ok();
    }

    Status check_node_properties() {
        for (const auto& t : types_) {
            if (t.kind != WorkType::Kind::kNode)
                continue;
            std::set<std::string> seen;
            for (const auto& p : t.properties)
                if (!seen.insert(p.name).second)
                    return err("PG-IRV-001", "duplicate property '" + t.name + "." + p.name + "'",
                               p.span);
        }
        return ok();
    }

    Status check_catalog() {
        std::map<std::string, std::string> folded;
        for (const auto& t : types_) {
            if (t.kind != WorkType::Kind::kEdge)
                continue;
            auto [it, inserted] = folded.emplace(fold_case(t.name), t.name);
            if (!inserted)
                return err("PG-CAT-001",
                           "edge names '" + it->second + "' and '" + t.name +
                               "' have a collision after case folding",
                           t.span);
        }
        return ok();
    }

    // ---- canonical model --------------------------------------------------------------

    static std::vector<AnnotationValue> opaque(const std::vector<DecodedAnnotation>& anns) {
        std::map<std::string, AnnotationValue> sorted;
        for (const auto& a : anns)
            if (!is_structural(a.value.name))
                sorted.emplace(a.value.canonical_json(), a.value);
        std::vector<AnnotationValue> out;
        for (auto& [k, v] : sorted)
            out.push_back(v);
        return out;
    }
    static std::vector<AnnotationValue> opaque(const WorkProp& p) { return opaque(p.annotations); }

    static std::optional<EmbedSource> embed_of(const WorkProp& p) {
        const DecodedAnnotation* e = p.find("embed");
        if (!e || !e->value.value)
            return std::nullopt;
        EmbedSource src{*e->value.value, std::nullopt};
        for (const auto& [k, v] : e->value.kwargs)
            if (k == "model")
                src.model = v;
        return src;
    }

    static std::optional<std::string> rename_of(const std::vector<DecodedAnnotation>& anns) {
        for (const auto& a : anns)
            if (a.value.name == "rename_from" && a.value.value)
                return a.value.value;
        return std::nullopt;
    }

    static PropertyDef to_def(const WorkProp& p) {
        // An injected property means what its interface property means.
        const WorkProp& semantic = p.source ? *p.source : p;
        PropertyDef d;
        d.name = p.name;
        d.type = p.type;
        d.annotations = opaque(semantic);
        d.property_constraints = semantic.property_constraints();
        d.embed = embed_of(semantic);
        d.declared_directly = p.declared_directly;
        d.satisfies = p.satisfies;
        std::sort(d.satisfies.begin(), d.satisfies.end());
        d.rename_from = rename_of(p.annotations);
        d.span = p.span;
        return d;
    }

    static std::vector<PropertyDef> to_defs(const std::vector<WorkProp>& props) {
        std::vector<PropertyDef> out;
        for (const auto& p : props)
            out.push_back(to_def(p));
        std::sort(out.begin(), out.end(),
                  [](const PropertyDef& a, const PropertyDef& b) { return a.name < b.name; });
        return out;
    }

    std::vector<Constraint> canonical_constraints(const WorkType& t) const {
        std::map<std::string, Constraint> sorted;
        for (auto w : all_constraints(t)) {
            auto& cols = w.constraint.columns;
            std::sort(cols.begin(), cols.end());
            cols.erase(std::unique(cols.begin(), cols.end()), cols.end());
            sorted.emplace(w.constraint.sort_key(), w.constraint);
        }
        std::vector<Constraint> out;
        for (auto& [k, c] : sorted)
            out.push_back(c);
        return out;
    }

    Schema build() {
        Schema s;
        for (const auto& t : types_) {
            switch (t.kind) {
            case WorkType::Kind::kInterface:
                s.interfaces.push_back({t.name, to_defs(t.properties), t.span});
                break;
            case WorkType::Kind::kNode: {
                NodeDef n;
                n.name = t.name;
                n.annotations = opaque(t.annotations);
                for (const auto& [name, span] : t.implements)
                    n.implements.push_back(name);
                std::sort(n.implements.begin(), n.implements.end());
                n.implements.erase(std::unique(n.implements.begin(), n.implements.end()),
                                   n.implements.end());
                n.properties = to_defs(t.properties);
                n.constraints = canonical_constraints(t);
                n.rename_from = rename_of(t.annotations);
                n.span = t.span;
                s.nodes.push_back(std::move(n));
                break;
            }
            case WorkType::Kind::kEdge: {
                EdgeDef e;
                e.name = t.name;
                e.from_type = t.from_type;
                e.to_type = t.to_type;
                e.card_min = t.card_min;
                e.card_max = t.card_max;
                e.annotations = opaque(t.annotations);
                e.properties = to_defs(t.properties);
                e.constraints = canonical_constraints(t);
                e.rename_from = rename_of(t.annotations);
                e.span = t.span;
                s.edges.push_back(std::move(e));
                break;
            }
            }
        }
        auto by_name = [](const auto& a, const auto& b) { return a.name < b.name; };
        std::sort(s.interfaces.begin(), s.interfaces.end(), by_name);
        std::sort(s.nodes.begin(), s.nodes.end(), by_name);
        std::sort(s.edges.begin(), s.edges.end(), by_name);
        s.warnings = std::move(warnings_);
        s.source_file = file_;
        return s;
    }

    const SchemaAst& ast_;
    std::string file_;
    CompileOptions options_;
    std::vector<WorkType> types_; // complete after phase 2; never resized later
    std::map<std::pair<int, std::string>, WorkType*> type_index_;
    std::vector<Diagnostic> warnings_;
};

} // namespace

Result<Schema> compile_schema(const SchemaAst& ast, std::string_view file, CompileOptions options) {
    Compiler compiler(ast, file, options);
    return compiler.run();
}

Result<PropType> resolve_type(const TypeRef& type, std::string_view file) {
    SchemaAst empty;
    Compiler compiler(empty, file, {});
    return compiler.decode_type(type);
}

Result<Schema> load_schema(std::string_view source, std::string_view file) {
    auto ast = OG_TRY(parse_schema(source, file));
    return compile_schema(ast, file);
}

} // namespace omnigraph::schema
