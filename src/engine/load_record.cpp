// Record parsing: the node/edge envelope, field slots, ids from @key.
#include "engine/load_record.h"

#include "base/ulid.h"
#include "engine/load_input_error.h"
#include "engine/load_json_line.h"
#include "engine/load_value.h"

#include <algorithm>
#include <map>
#include <optional>
#include <simdjson.h>
#include <string>
#include <unordered_map>
#include <vector>

namespace omnigraph::engine {

using format::Column;
using schema::PropType;
using simdjson::dom::element;

namespace {

constexpr std::string_view kReserved[] = {"_tombstone",
                                          "_rowid",
                                          "_rowaddr",
                                          "_rowoffset",
                                          "_row_created_at_version",
                                          "_row_last_updated_at_version"};

std::string_view string_of(const element& v) {
    return v.get_string().value_unsafe();
}

bool is_reserved(std::string_view key) {
    for (auto r : kReserved)
        if (key == r)
            return true;
    return false;
}

// How the rows of one table are read: a slot per declared property, in catalog order.
struct TablePlan {
    struct Slot {
        const std::string* name;
        const PropType* type;
        ValueConverter convert; // picked once for the property's type
        Column* column;
        int key_part;          // position in the node's @key, or -1
        int embed_source = -1; // an @embed target: the slot of its text source, else -1
    };
    TableBatch* batch = nullptr;
    const schema::NodeCatalog* node = nullptr; // one of node, edge
    const schema::EdgeCatalog* edge = nullptr;
    std::vector<Slot> slots;
    std::unordered_map<std::string_view, size_t> slot_of; // property name -> slot
    // The current record's value per slot (present[i] = 0: absent).
    std::vector<element> values;
    std::vector<uint8_t> present;
    std::vector<std::string> key_parts;
};

} // namespace

class RecordParser::Impl {
  public:
    Impl(const schema::Catalog& catalog, LoadBatch& batch, const ExternalBlobPolicy* blobs)
        : catalog_(catalog), batch_(batch), blobs_(blobs) {}

    void parse(std::string_view line, uint64_t number) {
        number_ = number;
        element record = lines_.parse(line, number);
        if (!record.is_object())
            throw LoadError(at() + "graph batch record must be a JSON object");
        simdjson::dom::object fields = record.get_object().value_unsafe();
        std::optional<element> type, edge, from, to, data;
        for (auto field : fields) { // keys are unique here
            if (field.key == "type")
                type = field.value;
            else if (field.key == "edge")
                edge = field.value;
            else if (field.key == "from")
                from = field.value;
            else if (field.key == "to")
                to = field.value;
            else if (field.key == "data")
                data = field.value;
        }
        if (type.has_value() == edge.has_value())
            throw LoadError(at() +
                            "graph batch record must contain exactly one of 'type' or 'edge'");
        for (auto field : fields) {
            std::string_view k = field.key;
            bool allowed = type ? (k == "type" || k == "data")
                                : (k == "edge" || k == "from" || k == "to" || k == "data");
            if (!allowed)
                throw LoadError(at() + "unknown top-level graph batch field '" + std::string(k) +
                                "'");
        }
        if (data && !data->is_object())
            throw LoadError(at() + "graph batch field 'data' must be an object");
        if (type)
            node_record(*type, data);
        else
            edge_record(*edge, from, to, data);
        ++batch_.rows;
    }

  private:
    std::string at() const { return "line " + std::to_string(number_) + ": "; }

    void node_record(const element& type, const std::optional<element>& data) {
        if (!type.is_string())
            throw LoadError(at() + "graph batch field 'type' must be a string");
        std::string_view type_name = string_of(type);
        TablePlan& plan = plan_for(node_plans_, type_name, false);
        const schema::NodeCatalog& node = *plan.node;
        std::optional<element> id_value = read_fields(plan, data);
        size_t keys = 0;
        for (size_t i = 0; i < plan.slots.size(); ++i) {
            const auto& slot = plan.slots[i];
            const element* v = plan.present[i] ? &plan.values[i] : nullptr;
            if (slot.embed_source >= 0 && (!v || v->is_null()) &&
                defer_embedding(plan, slot, size_t(slot.embed_source)))
                continue;
            slot.convert.append(*slot.column, v);
            if (slot.key_part >= 0 && v && !v->is_null()) {
                plan.key_parts[slot.key_part] =
                    key_spelling(*slot.column, slot.column->size() - 1, *slot.type);
                ++keys;
            }
        }
        std::optional<std::string_view> explicit_id = id_of(id_value, "node " + node.name);
        TableBatch& t = *plan.batch;
        if (node.key) {
            if (keys != node.key->size())
                throw LoadError("node " + node.name + " is missing a non-null @key value");
            std::string id =
                node.key->size() == 1 ? std::move(plan.key_parts[0]) : key_id(plan.key_parts);
            if (explicit_id && *explicit_id != id)
                throw LoadError("node " + node.name + " explicit id '" + std::string(*explicit_id) +
                                "' does not match its canonical @key id '" + id + "'");
            t.ids.push_back(id);
        } else {
            t.ids.push_back(explicit_id ? *explicit_id : std::string_view(base::new_ulid()));
        }
        t.origins.push_back(number_);
        t.explicit_ids.push_back(node.key.has_value() || explicit_id.has_value());
    }

    void edge_record(const element& edge, const std::optional<element>& from,
                     const std::optional<element>& to, const std::optional<element>& data) {
        const std::pair<const char*, const element*> required[] = {
            {"edge", &edge}, {"from", from ? &*from : nullptr}, {"to", to ? &*to : nullptr}};
        for (auto [name, value] : required) {
            if (!value)
                throw LoadError(at() + "edge record is missing '" + name + "'");
            if (!value->is_string())
                throw LoadError(at() + "graph batch field '" + name + "' must be a string");
        }
        TablePlan& plan = plan_for(edge_plans_, string_of(edge), true);
        std::optional<element> id_value = read_fields(plan, data);
        for (size_t i = 0; i < plan.slots.size(); ++i) {
            const auto& slot = plan.slots[i];
            slot.convert.append(*slot.column, plan.present[i] ? &plan.values[i] : nullptr);
        }
        std::optional<std::string_view> explicit_id = id_of(id_value, "edge " + plan.edge->name);
        TableBatch& t = *plan.batch;
        // No id given: minted when the row is written (encode_table), so a large batch does not
        // hold a ULID per edge.
        t.ids.push_back(explicit_id.value_or(std::string_view()));
        t.src.push_back(string_of(*required[1].second)); // from and to: checked above
        t.dst.push_back(string_of(*required[2].second));
        t.origins.push_back(number_);
        t.explicit_ids.push_back(explicit_id.has_value());
    }

    // An absent @embed target whose source holds text: staged null, computed after parsing
    // (engine/embed_fill.h). False when there is no text to embed.
    bool defer_embedding(TablePlan& plan, const TablePlan::Slot& slot, size_t source) {
        if (!plan.present[source] || !plan.values[source].is_string())
            return false;
        slot.column->append_null();
        batch_.embeds.push_back({plan.batch->table_key, *slot.name, slot.column->size() - 1,
                                 std::string(string_of(plan.values[source]))});
        return true;
    }

    // The table plan of a node or edge type named `name` in the input.
    TablePlan& plan_for(std::map<std::string, TablePlan, std::less<>>& plans, std::string_view name,
                        bool is_edge) {
        if (auto it = plans.find(name); it != plans.end())
            return it->second;
        TablePlan plan;
        std::string key;
        const std::map<std::string, PropType>* properties = nullptr;
        const std::map<std::string, uint64_t>* property_ids = nullptr;
        if (is_edge) {
            plan.edge = catalog_.find_edge(name);
            if (!plan.edge)
                throw LoadError(at() + "unknown edge type '" + std::string(name) + "'");
            key = "edge:" + plan.edge->name;
            properties = &plan.edge->properties;
            property_ids = &plan.edge->property_ids;
        } else {
            plan.node = catalog_.find_node(name);
            if (!plan.node)
                throw LoadError(at() + "unknown node type '" + std::string(name) + "'");
            key = "node:" + plan.node->name;
            properties = &plan.node->properties;
            property_ids = &plan.node->property_ids;
        }
        auto [table, inserted] = batch_.tables.try_emplace(key);
        if (inserted) {
            static_cast<TableData&>(table->second) =
                TableData::empty(is_edge, *properties, *property_ids);
            table->second.table_key = key;
        }
        plan.batch = &table->second;
        for (const auto& [prop, type] : *properties) {
            int key_part = -1;
            if (plan.node && plan.node->key) {
                const auto& k = *plan.node->key;
                if (auto at = std::find(k.begin(), k.end(), prop); at != k.end())
                    key_part = int(at - k.begin());
            }
            plan.slot_of.emplace(prop, plan.slots.size());
            plan.slots.push_back({&prop, &type, ValueConverter(prop, type, blobs_),
                                  &plan.batch->columns.at(property_ids->at(prop)), key_part});
        }
        if (plan.node)
            for (const auto& [target, source] : plan.node->embed_sources)
                if (auto t = plan.slot_of.find(target), f = plan.slot_of.find(source.property);
                    t != plan.slot_of.end() && f != plan.slot_of.end())
                    plan.slots[t->second].embed_source = int(f->second);
        plan.values.resize(plan.slots.size());
        plan.present.resize(plan.slots.size());
        if (plan.node && plan.node->key)
            plan.key_parts.resize(plan.node->key->size());
        return plans.emplace(std::string(name), std::move(plan)).first->second;
    }

    // Sorts the fields of `data` into the plan's slots; returns the value of "id", if any.
    // Errors, in this order: an edge's structural fields, reserved names, unknown fields.
    std::optional<element> read_fields(TablePlan& plan, const std::optional<element>& data) {
        std::fill(plan.present.begin(), plan.present.end(), 0);
        std::optional<element> id;
        if (!data)
            return id;
        const std::string& key = plan.batch->table_key;
        std::optional<std::string_view> reserved, unknown;
        simdjson::dom::object fields = data->get_object().value_unsafe();
        for (auto field : fields) {
            std::string_view k = field.key;
            if (plan.edge && (k == "src" || k == "dst"))
                throw LoadError(at() + "edge data field '" + std::string(k) +
                                "' is reserved structural state");
            if (is_reserved(k)) {
                reserved = reserved.value_or(k);
                continue;
            }
            if (k == "id")
                id = field.value;
            if (auto slot = plan.slot_of.find(k); slot != plan.slot_of.end()) {
                plan.values[slot->second] = field.value;
                plan.present[slot->second] = 1;
            } else if (k != "id") {
                unknown = unknown.value_or(k);
            }
        }
        if (reserved)
            throw LoadError("input field '" + std::string(*reserved) +
                            "' is reserved physical state (" + key + ")");
        if (unknown)
            throw LoadError("unknown input field '" + std::string(*unknown) + "' for '" + key +
                            "'");
        return id;
    }

    // The explicit id of a record: data.id when present and not null.
    static std::optional<std::string_view> id_of(const std::optional<element>& id,
                                                 const std::string& what) {
        if (!id || id->is_null())
            return std::nullopt;
        if (!id->is_string())
            throw LoadError(what + " id must be a string");
        return string_of(*id);
    }

    const schema::Catalog& catalog_;
    LoadBatch& batch_;
    const ExternalBlobPolicy* blobs_;
    JsonLineParser lines_;
    uint64_t number_ = 0;
    std::map<std::string, TablePlan, std::less<>> node_plans_, edge_plans_; // by input type name
};

RecordParser::RecordParser(const schema::Catalog& catalog, LoadBatch& batch,
                           const ExternalBlobPolicy* blobs)
    : impl_(std::make_unique<Impl>(catalog, batch, blobs)) {}
RecordParser::~RecordParser() = default;

void RecordParser::parse(std::string_view line, uint64_t number) {
    impl_->parse(line, number);
}

} // namespace omnigraph::engine
