// Converting the JSON value of one property of a load record into the next cell of its column,
// per the property's declared type (spec query-language §4.3): strict types (no coercion but
// Date/DateTime text and integers of an integer type's range), enum membership, list items,
// "base64:" blobs, Vector dimensions and Float32 range. Errors are LoadError with the spec's
// message.
//
// Internal to the load-input parser. A ValueConverter is chosen once per column (the type
// dispatch happens there, not per cell); it is immutable and refers to the name and type it was
// built from, which must outlive it.
#pragma once

#include "format/column.h"
#include "schema/model.h"

#include <string>

namespace simdjson::dom {
class element;
} // namespace simdjson::dom

namespace omnigraph::engine {

class ExternalBlobPolicy;

class ValueConverter {
  public:
    // `blobs` admits the external references of a Blob property (null: refused).
    ValueConverter(const std::string& property, const schema::PropType& type,
                   const ExternalBlobPolicy* blobs = nullptr);

    // Appends `v` (absent when nullptr; a JSON null is null) as the next row of `col`.
    void append(format::Column& col, const simdjson::dom::element* v) const;

    using ScalarAppender = void (*)(format::Column&, const std::string& property,
                                    const schema::PropType& type, const simdjson::dom::element&);

  private:
    const std::string* property_;
    const schema::PropType* type_;
    schema::PropType item_; // the item type of a list (not nullable)
    ScalarAppender scalar_; // for the scalar, or each item of a list
    const ExternalBlobPolicy* blobs_;
};

} // namespace omnigraph::engine
