// What an error body may say: lower-layer messages lose their storage locations and C++ names
// (the log keeps them), and a 500 names only its code.
#include "server/http_error.h"

#include <gtest/gtest.h>

namespace omnigraph::server {
namespace {

TEST(HttpErrorBody, StorageLocationsAndCxxNamesAreHidden) {
    struct Case {
        std::string message, body;
    };
    for (const auto& c : std::vector<Case>{
             {"object not found: /tmp/og/graphs/k.omni/tables/node_Person/00001.seg",
              "object not found: <storage>"},
             {"object not found: /srv/a/b: gone", "object not found: <storage>: gone"},
             {"cannot read s3://bucket/clusters/c/graphs/k.omni/_log/000001.json (403)",
              "cannot read <storage> (403)"},
             {"'file:///var/lib/og/x' is missing", "'<storage>' is missing"},
             {"invalid load input: std::bad_alloc", "invalid load input: <internal>"},
             {"vector::_M_range_check: __n (which is 5) >= this->size() (which is 3)",
              "<internal>: <internal> (which is 5) >= this->size() (which is 3)"},
             // What is not a storage location stays: ratios, comments, single segments.
             {"line 3: expected 1/2 got /x and // note", "line 3: expected 1/2 got /x and // note"},
             {"unknown type 'Person' at request:1:5", "unknown type 'Person' at request:1:5"},
         })
        EXPECT_EQ(public_text(c.message), c.body) << c.message;
}

TEST(HttpErrorBody, ALowerLayerErrorKeepsItsWholeMessageForTheLogOnly) {
    HttpError storage = http_error(Error(codes::kStorageIo, "read /tmp/og/x.seg: EIO"));
    EXPECT_EQ(storage.status, 500);
    EXPECT_EQ(storage.code, "internal");
    EXPECT_EQ(storage.message, "internal error (storage_io); the server log has the details");
    EXPECT_EQ(storage.log_message, "read /tmp/og/x.seg: EIO");

    HttpError missing = http_error(Error(codes::kNotFound, "object not found: /tmp/og/x.seg"));
    EXPECT_EQ(missing.status, 404);
    EXPECT_EQ(missing.message, "object not found: <storage>");
    EXPECT_EQ(missing.log_message, "object not found: /tmp/og/x.seg");

    HttpError request =
        http_error(Error("invalid_load_input", "invalid load input: std::length_error",
                         SourceLocation{"request", 3, 1}));
    EXPECT_EQ(request.status, 400);
    EXPECT_EQ(request.message, "request:3:1: invalid load input: <internal>");
}

} // namespace
} // namespace omnigraph::server
