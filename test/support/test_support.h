// Shared helpers for the test suites: temporary directories, child processes, and the S3 server
// (s3rver behind the conditional-write wrapper in test/harness/s3_server.js) on 127.0.0.1.
#pragma once

#include "store/s3_store.h"

#include <string>
#include <utility>
#include <vector>

namespace omnigraph::testing {

// A fresh directory under $TMPDIR, removed with everything in it on destruction.
class TempDir {
  public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }

  private:
    std::string path_;
};

struct ProcessResult {
    int exit_code = -1; // -1 when killed by a signal
    std::string out;
    std::string err;
};

using Env = std::vector<std::pair<std::string, std::string>>;

// Runs argv[0] (searched in PATH) with the current environment plus `extra_env`, waits for it.
ProcessResult run_process(const std::vector<std::string>& argv, const Env& extra_env = {},
                          const std::string& stdin_data = {});

// A started-but-not-awaited child, for races between processes.
class Child {
  public:
    Child(const std::vector<std::string>& argv, const Env& extra_env);
    ~Child();
    Child(Child&& other) noexcept;
    Child& operator=(Child&&) = delete;
    ProcessResult wait();
    // Sends `signal` to the child (the process itself: argv[0] execs, e.g. `env` does).
    void signal(int signal);

  private:
    int pid_ = -1;
    int out_fd_ = -1;
    int err_fd_ = -1;
};

// The process-wide S3 test server, started on first use and stopped at exit. Starting it is
// not optional: if node or s3rver is missing the calling test fails (never skips).
class S3TestServer {
  public:
    static S3TestServer& instance();
    static constexpr const char* kBucket = "og-test";
    static constexpr const char* kAccessKey = "S3RVER";
    static constexpr const char* kSecretKey = "S3RVER";

    bool ok() const { return !endpoint_.empty(); }
    const std::string& error() const { return error_; }
    const std::string& endpoint() const { return endpoint_; }
    // Config for S3Store pointing at this server (fast retries for tests).
    store::S3Config config() const;
    // The AWS_* variables a child process needs to reach this server.
    Env environment() const;
    // Injects `count` answers of HTTP `status` on the path "/bucket/key" (see s3_server.js).
    // `method` (e.g. "DELETE"): only requests of that HTTP method count and fail.
    void inject_fault(const std::string& path, int status, int count, bool apply = false,
                      const std::string& method = "");
    int fault_hits(const std::string& path);

  private:
    S3TestServer();
    ~S3TestServer();

    int pid_ = -1;
    int stdin_fd_ = -1;
    std::string endpoint_;
    std::string error_;
    TempDir dir_;
};

// A unique s3:// URI under the test bucket, e.g. "s3://og-test/t/01J...".
std::string unique_s3_uri(const std::string& suite);

// Paths baked in by CMake.
std::string source_dir();
std::string binary_dir();

// ../shared/corpus beside the checkout (graphs written by other people; CI has it there), or ""
// when the clone stands alone. Tests that read it skip then, naming what is missing:
//   std::string corpus = shared_corpus_dir();
//   if (corpus.empty()) GTEST_SKIP() << kNoSharedCorpus;
std::string shared_corpus_dir();
inline constexpr const char* kNoSharedCorpus =
    "../shared/corpus is not beside this checkout (a clone on its own); the corpus tests run "
    "where it is (CI)";

// A field (in KiB) of /proc/<pid>/status, e.g. VmRSS or VmHWM; -1 when it cannot be read.
long proc_status_kib(int pid, const std::string& field);

} // namespace omnigraph::testing
