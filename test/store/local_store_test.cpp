// Local-disk specifics: no temp files left, reserved names hidden, empty directories pruned,
// read-only opens write nothing, permission and layout errors are typed and name the URI.
#include "store_fixture.h"

#include <filesystem>
#include <fstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace omnigraph::testing {
namespace {

namespace fs = std::filesystem;

class LocalStoreTest : public ::testing::Test {
  protected:
    void SetUp() override {
        root_ = temp_.path() + "/g.omni";
        store_ = std::move(*store::LocalStore::open(*base::parse_storage_uri(root_)));
    }
    std::vector<std::string> files_on_disk() const {
        std::vector<std::string> out;
        if (!fs::exists(root_))
            return out;
        for (auto& e : fs::recursive_directory_iterator(root_))
            out.push_back(fs::relative(e.path(), root_).string());
        std::sort(out.begin(), out.end());
        return out;
    }
    TempDir temp_;
    std::string root_;
    std::unique_ptr<store::LocalStore> store_;
};

TEST_F(LocalStoreTest, ReadOnlyUseOfAMissingRootWritesNothing) {
    EXPECT_FALSE(*store_->exists("x"));
    EXPECT_TRUE(store_->list_all("")->empty());
    EXPECT_FALSE(store_->get("_format.json"));
    EXPECT_FALSE(fs::exists(root_));
}

TEST_F(LocalStoreTest, WritesLeaveNoTempFilesAndHideLocks) {
    ASSERT_TRUE(store_->put("a/b", "1"));
    ASSERT_TRUE(store_->put_if_absent("a/c", "2"));
    ASSERT_FALSE(store_->put_if_absent("a/c", "3"));
    auto v = store_->head("a/b");
    ASSERT_TRUE(store_->put_if_match("a/b", "4", (*v)->version));
    for (const auto& f : files_on_disk())
        EXPECT_EQ(f.find(".og-tmp-"), std::string::npos) << f;
    auto listed = store_->list_all("");
    ASSERT_TRUE(listed);
    ASSERT_EQ(listed->size(), 2u); // the .og-locks directory is not an object
    EXPECT_EQ((*listed)[0].key, "a/b");
}

TEST_F(LocalStoreTest, VersionIsTheContentSha256) {
    auto put = store_->put("k", "abc");
    ASSERT_TRUE(put);
    EXPECT_EQ(put->version, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_F(LocalStoreTest, RemovePrunesEmptyDirectories) {
    ASSERT_TRUE(store_->put("t/node:Person/seg1", "x"));
    ASSERT_TRUE(store_->put("t/keep", "x"));
    ASSERT_TRUE(store_->remove("t/node:Person/seg1"));
    EXPECT_FALSE(fs::exists(root_ + "/t/node:Person"));
    EXPECT_TRUE(fs::exists(root_ + "/t/keep"));
}

TEST_F(LocalStoreTest, ForeignFilesInTheTreeAreListedButReservedOnesAreNot) {
    ASSERT_TRUE(store_->put("a/x", "1"));
    std::ofstream(root_ + "/a/.og-tmp-stale") << "half-written";
    std::ofstream(root_ + "/a/y") << "dropped by hand";
    auto listed = store_->list_all("a/");
    ASSERT_TRUE(listed);
    ASSERT_EQ(listed->size(), 2u);
    EXPECT_EQ((*listed)[1].key, "a/y");
}

TEST_F(LocalStoreTest, ObjectAndDirectoryOfTheSameNameIsATypedError) {
    ASSERT_TRUE(store_->put("a", "file"));
    auto missing = store_->get("a/b"); // consistent with head: simply absent
    ASSERT_FALSE(missing);
    EXPECT_TRUE(missing.error().is(codes::kNotFound)) << missing.error().message;
    EXPECT_FALSE(*store_->exists("a/b"));
    auto r = store_->put("a/b", "x");
    ASSERT_FALSE(r);
    EXPECT_TRUE(r.error().is(codes::kStorageIo)) << r.error().message;
    EXPECT_NE(r.error().message.find(root_ + "/a/b"), std::string::npos) << r.error().message;
}

TEST_F(LocalStoreTest, PermissionDeniedIsTypedAndNamesTheUri) {
    ASSERT_TRUE(store_->put("locked/x", "1"));
    ASSERT_EQ(::chmod((root_ + "/locked").c_str(), 0500), 0);
    ASSERT_EQ(::chmod(temp_.path().c_str(), 0755), 0);
    // Root ignores permission bits, so the check runs in a child that drops to 'nobody'.
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        if (::geteuid() == 0 && ::setuid(65534) != 0)
            ::_exit(10);
        auto r = store_->put("locked/y", "2");
        if (r)
            ::_exit(11);
        if (!r.error().is(codes::kStoragePermissionDenied))
            ::_exit(12);
        if (r.error().message.find(root_ + "/locked/y") == std::string::npos)
            ::_exit(13);
        ::_exit(0);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    ::chmod((root_ + "/locked").c_str(), 0755);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "10 setuid failed, 11 write succeeded, 12 wrong code, "
                                         "13 URI missing from the message";
}

TEST_F(LocalStoreTest, FileUriAndPlainPathOpenTheSameStore) {
    ASSERT_TRUE(store_->put("k", "v"));
    auto other = store::open_store(*base::parse_storage_uri("file://" + root_));
    ASSERT_TRUE(other);
    EXPECT_EQ(*(*other)->read("k"), "v");
}

} // namespace
} // namespace omnigraph::testing
