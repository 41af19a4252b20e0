// A real omnigraph-server process for end-to-end tests: started on 127.0.0.1 with port 0,
// its address read from the OMNIGRAPH_LISTEN_ADDR= line, stopped with SIGTERM.
#pragma once

#include "test_support.h"

#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace omnigraph::testing {

using Json = nlohmann::ordered_json;

inline std::string omnigraph() {
    return binary_dir() + "/src/cli/omnigraph";
}
inline std::string server_binary() {
    return binary_dir() + "/src/server/omnigraph-server";
}

inline std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// A running omnigraph-server; stopped with SIGTERM on destruction.
class ServerProcess {
  public:
    // Output goes to `dir`/server.{out,err}; the process runs in `cwd` when given.
    ServerProcess(const std::vector<std::string>& args, const Env& env, const std::string& dir,
                  const std::string& cwd = "")
        : out_(dir + "/server.out"), err_(dir + "/server.err") {
        // A previous server's listen line must not be read as this one's.
        std::remove(out_.c_str());
        pid_ = fork();
        if (pid_ == 0) {
            prctl(PR_SET_PDEATHSIG, SIGTERM); // a test that dies takes its server with it
            if (!cwd.empty() && chdir(cwd.c_str()) != 0)
                _exit(126);
            (void)!freopen(out_.c_str(), "w", stdout);
            (void)!freopen(err_.c_str(), "w", stderr);
            for (const auto& [k, v] : env)
                setenv(k.c_str(), v.c_str(), 1);
            std::vector<char*> argv;
            std::vector<std::string> all = {server_binary()};
            all.insert(all.end(), args.begin(), args.end());
            for (auto& a : all)
                argv.push_back(a.data());
            argv.push_back(nullptr);
            execv(argv[0], argv.data());
            _exit(127);
        }
        for (int i = 0; i < 600 && port_ == 0; ++i) {
            std::string out = read_file(out_);
            if (auto at = out.find("OMNIGRAPH_LISTEN_ADDR=");
                at != std::string::npos && out.find('\n', at) != std::string::npos)
                port_ = std::stoi(out.substr(out.rfind(':') + 1));
            int status = 0;
            if (port_ == 0 && waitpid(pid_, &status, WNOHANG) == pid_) {
                exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
                pid_ = -1;
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    }
    ~ServerProcess() { stop(); }
    int stop() {
        if (pid_ > 0) {
            kill(pid_, SIGTERM);
            int status = 0;
            waitpid(pid_, &status, 0);
            exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
            pid_ = -1;
        }
        return exit_code_;
    }
    // Sends `sig` and returns at once (stop() waits).
    void signal(int sig) const {
        if (pid_ > 0)
            kill(pid_, sig);
    }
    // The exit status once the process has ended by itself, waiting up to `limit`; -2 while it
    // still runs then.
    int wait_exit(std::chrono::milliseconds limit) {
        for (auto waited = std::chrono::milliseconds(0); pid_ > 0 && waited < limit;
             waited += std::chrono::milliseconds(20)) {
            int status = 0;
            if (waitpid(pid_, &status, WNOHANG) == pid_) {
                exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
                pid_ = -1;
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return pid_ > 0 ? -2 : exit_code_;
    }
    bool serving() const { return port_ != 0; }
    int port() const { return port_; }
    int pid() const { return pid_; }
    int exit_code() const { return exit_code_; }
    std::string err() const { return read_file(err_); }
    httplib::Client client() const { return httplib::Client("127.0.0.1", port_); }

  private:
    std::string out_, err_;
    int pid_ = -1;
    int port_ = 0;
    int exit_code_ = -1;
};

inline Json body(const httplib::Result& r) {
    return Json::parse(r->body);
}

// The operator guide's example cluster copied to `dir`, imported, applied and seeded.
inline void deploy_example_cluster(const std::string& dir) {
    std::filesystem::copy(source_dir() + "/examples/company-brain", dir,
                          std::filesystem::copy_options::recursive);
    for (const char* verb : {"import", "apply"})
        ASSERT_EQ(run_process({omnigraph(), "cluster", verb, "--config", dir}).exit_code, 0);
    ASSERT_EQ(run_process({omnigraph(), "load", "--quiet", "--data", dir + "/seed.jsonl",
                           dir + "/graphs/knowledge.omni"})
                  .exit_code,
              0);
}

} // namespace omnigraph::testing
