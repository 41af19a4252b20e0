// A fresh, empty ObjectStore per test on either backend, for suites that run against both.
#pragma once

#include "store/local_store.h"
#include "store/s3_store.h"
#include "test_support.h"

#include <gtest/gtest.h>
#include <memory>
#include <string>

namespace omnigraph::testing {

enum class Backend { kLocal, kS3 };

inline std::string backend_name(const ::testing::TestParamInfo<Backend>& info) {
    return info.param == Backend::kLocal ? "Local" : "S3";
}

class StoreTest : public ::testing::TestWithParam<Backend> {
  protected:
    void SetUp() override {
        if (GetParam() == Backend::kLocal) {
            uri_ = (temp_.path() + "/root.omni");
            auto opened = store::LocalStore::open(*base::parse_storage_uri(uri_));
            ASSERT_TRUE(opened);
            store_ = std::move(*opened);
        } else {
            auto& server = S3TestServer::instance();
            ASSERT_TRUE(server.ok()) << server.error();
            uri_ = unique_s3_uri("conformance");
            auto opened = store::S3Store::open(*base::parse_storage_uri(uri_), server.config());
            ASSERT_TRUE(opened) << opened.error().message;
            store_ = std::move(*opened);
        }
    }

    // Extra environment a child process needs to open uri_.
    Env child_env() const {
        return GetParam() == Backend::kS3 ? S3TestServer::instance().environment() : Env{};
    }

    TempDir temp_;
    std::string uri_;
    std::unique_ptr<store::ObjectStore> store_;
};

} // namespace omnigraph::testing
