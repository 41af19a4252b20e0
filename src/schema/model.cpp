#include "schema/model.h"

#include "base/json.h"
#include "base/json_writer.h"
#include "schema/shape.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

namespace omnigraph::schema {

std::string PropType::display() const {
    std::string inner;
    if (enum_values) {
        inner = "enum(";
        for (size_t i = 0; i < enum_values->size(); ++i)
            inner += (i ? ", " : "") + (*enum_values)[i];
        inner += ")";
    } else if (scalar == ScalarType::kVector) {
        inner = "Vector(" + std::to_string(vector_dim) + ")";
    } else {
        inner = scalar_name(scalar);
    }
    if (list)
        inner = "[" + inner + "]";
    return nullable ? inner + "?" : inner;
}

bool PropType::is_numeric() const {
    if (list || enum_values)
        return false;
    switch (scalar) {
    case ScalarType::kI32:
    case ScalarType::kI64:
    case ScalarType::kU32:
    case ScalarType::kU64:
    case ScalarType::kF32:
    case ScalarType::kF64:
        return true;
    default:
        return false;
    }
}

std::string AnnotationValue::canonical_json() const {
    base::JsonWriter w;
    write_annotation(w, *this);
    return w.take();
}

namespace {

std::string bound_debug(const std::optional<Bound>& b) {
    if (!b)
        return "None";
    if (b->is_float)
        return "Some(Float(" + base::format_shortest_float(b->real) + "))";
    return "Some(Integer(" + std::to_string(b->integer) + "))";
}

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (size_t i = 0; i < items.size(); ++i)
        out += (i ? "," : "") + items[i];
    return out;
}

} // namespace

std::string fold_case(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::string Constraint::sort_key() const {
    switch (kind) {
    case Kind::kKey:
        return "key:" + join(columns);
    case Kind::kUnique:
        return "unique:" + join(columns);
    case Kind::kIndex:
        return "index:" + join(columns);
    case Kind::kRange:
        return "range:" + property + ":" + bound_debug(min) + ":" + bound_debug(max);
    case Kind::kCheck:
        return "check:" + property + ":" + pattern;
    }
    return {};
}

const NodeDef* Schema::find_node(std::string_view name) const {
    for (const auto& n : nodes)
        if (n.name == name)
            return &n;
    return nullptr;
}

const EdgeDef* Schema::find_edge(std::string_view name) const {
    for (const auto& e : edges)
        if (e.name == name)
            return &e;
    std::string folded = fold_case(name);
    for (const auto& e : edges)
        if (fold_case(e.name) == folded)
            return &e;
    return nullptr;
}

const InterfaceDef* Schema::find_interface(std::string_view name) const {
    for (const auto& i : interfaces)
        if (i.name == name)
            return &i;
    return nullptr;
}

} // namespace omnigraph::schema
