#include "engine/cell_json.h"

#include "base/clock.h"
#include "base/digest.h"
#include "engine/external_blob.h"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

namespace omnigraph::engine {

using base::Json;
using format::Column;
using format::PhysicalKind;

namespace {

std::string date_text(int32_t days) {
    using namespace std::chrono;
    year_month_day ymd{sys_days{std::chrono::days{days}}};
    char buf[16];
    int n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", int(ymd.year()), unsigned(ymd.month()),
                          unsigned(ymd.day()));
    return std::string(buf, static_cast<size_t>(n)); // a short year always fits
}

} // namespace

Json cell_json(const Column& c, size_t row) {
    if (c.is_null(row))
        return nullptr;
    switch (c.type().kind) {
    case PhysicalKind::kString:
        return std::string(c.bytes_at(row));
    case PhysicalKind::kBlob:
        if (c.is_external(row)) { // its URI, as a load takes it
            auto external = ExternalBlob::from_descriptor(c.bytes_at(row));
            return external ? Json(external->uri) : Json(nullptr);
        }
        return "base64:" + base::base64_encode(c.bytes_at(row));
    case PhysicalKind::kBool:
        return c.fixed_at<uint8_t>(row) != 0;
    case PhysicalKind::kI32:
        return c.fixed_at<int32_t>(row);
    case PhysicalKind::kI64:
        return c.fixed_at<int64_t>(row);
    case PhysicalKind::kU32:
        return c.fixed_at<uint32_t>(row);
    case PhysicalKind::kU64:
        return c.fixed_at<uint64_t>(row);
    case PhysicalKind::kF32:
        return double(c.fixed_at<float>(row));
    case PhysicalKind::kF64:
        return c.fixed_at<double>(row);
    case PhysicalKind::kDate:
        return date_text(c.fixed_at<int32_t>(row));
    case PhysicalKind::kDateTime:
        return base::format_rfc3339(
            base::TimePoint(std::chrono::microseconds(c.fixed_at<int64_t>(row) * 1000)),
            base::Precision::kMillis);
    case PhysicalKind::kVector: {
        Json arr = Json::array();
        for (uint32_t i = 0; i < c.type().dim; ++i) {
            float f;
            std::memcpy(&f, c.fixed_row(row) + size_t{4} * i, 4);
            arr.push_back(double(f));
        }
        return arr;
    }
    case PhysicalKind::kList: {
        Json arr = Json::array();
        for (size_t i = c.list_begin(row); i < c.list_end(row); ++i)
            arr.push_back(cell_json(c.child(), i));
        return arr;
    }
    }
    return nullptr;
}

} // namespace omnigraph::engine
