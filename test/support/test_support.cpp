#include "test_support.h"

#include "base/ulid.h"
#include "store/http_client.h"

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace omnigraph::testing {
namespace {

std::vector<std::string> merged_environment(const Env& extra) {
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e) {
        std::string_view entry = *e;
        auto name = entry.substr(0, entry.find('='));
        bool overridden = false;
        for (const auto& [k, v] : extra)
            overridden |= (k == name);
        if (!overridden)
            env.emplace_back(entry);
    }
    for (const auto& [k, v] : extra)
        env.push_back(k + "=" + v);
    return env;
}

std::vector<char*> c_strings(std::vector<std::string>& items) {
    std::vector<char*> out;
    for (auto& s : items)
        out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}

// Spawns argv with stdin/stdout/stderr pipes; returns pid and our ends.
int spawn(const std::vector<std::string>& argv, const Env& extra_env, int* in_fd, int* out_fd,
          int* err_fd) {
    int in_pipe[2], out_pipe[2], err_pipe[2];
    if (::pipe2(in_pipe, O_CLOEXEC) || ::pipe2(out_pipe, O_CLOEXEC) || ::pipe2(err_pipe, O_CLOEXEC))
        throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in_pipe[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
    std::vector<std::string> args = argv;
    std::vector<std::string> env = merged_environment(extra_env);
    auto c_args = c_strings(args);
    auto c_env = c_strings(env);
    pid_t pid = -1;
    int rc = ::posix_spawnp(&pid, c_args[0], &actions, nullptr, c_args.data(), c_env.data());
    posix_spawn_file_actions_destroy(&actions);
    ::close(in_pipe[0]);
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    if (rc != 0) {
        ::close(in_pipe[1]);
        ::close(out_pipe[0]);
        ::close(err_pipe[0]);
        throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
    }
    *in_fd = in_pipe[1];
    *out_fd = out_pipe[0];
    *err_fd = err_pipe[0];
    return pid;
}

// Reads both pipes to EOF without deadlocking on either.
void drain(int out_fd, int err_fd, std::string& out, std::string& err) {
    pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
    int open = 2;
    char buf[65536];
    while (open > 0) {
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
            if (n > 0) {
                (i == 0 ? out : err).append(buf, static_cast<size_t>(n));
            } else {
                ::close(fds[i].fd);
                fds[i].fd = -1;
                --open;
            }
        }
    }
}

int wait_exit(int pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

} // namespace

TempDir::TempDir() {
    auto base = std::filesystem::temp_directory_path() / "og-test-XXXXXX";
    std::string tmpl = base.string();
    if (::mkdtemp(tmpl.data()) == nullptr)
        throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
}

TempDir::~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

ProcessResult run_process(const std::vector<std::string>& argv, const Env& extra_env,
                          const std::string& stdin_data) {
    int in_fd, out_fd, err_fd;
    int pid = spawn(argv, extra_env, &in_fd, &out_fd, &err_fd);
    if (!stdin_data.empty()) {
        ssize_t n = ::write(in_fd, stdin_data.data(), stdin_data.size());
        (void)n;
    }
    ::close(in_fd);
    ProcessResult result;
    drain(out_fd, err_fd, result.out, result.err);
    result.exit_code = wait_exit(pid);
    return result;
}

Child::Child(const std::vector<std::string>& argv, const Env& extra_env) {
    int in_fd;
    pid_ = spawn(argv, extra_env, &in_fd, &out_fd_, &err_fd_);
    ::close(in_fd);
}

Child::Child(Child&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), out_fd_(std::exchange(other.out_fd_, -1)),
      err_fd_(std::exchange(other.err_fd_, -1)) {}

Child::~Child() {
    if (pid_ > 0) {
        ::kill(pid_, SIGKILL);
        wait_exit(pid_);
        ::close(out_fd_);
        ::close(err_fd_);
    }
}

ProcessResult Child::wait() {
    ProcessResult result;
    drain(out_fd_, err_fd_, result.out, result.err);
    result.exit_code = wait_exit(pid_);
    pid_ = -1;
    return result;
}

void Child::signal(int signal) {
    if (pid_ > 0)
        ::kill(pid_, signal);
}

std::string source_dir() {
    return OMNIGRAPH_SOURCE_DIR;
}
std::string binary_dir() {
    return OMNIGRAPH_BINARY_DIR;
}
std::string shared_corpus_dir() {
    std::filesystem::path corpus =
        std::filesystem::path(source_dir()).parent_path() / "shared" / "corpus";
    return std::filesystem::is_directory(corpus) ? corpus.string() : std::string();
}

S3TestServer& S3TestServer::instance() {
    static S3TestServer server;
    return server;
}

S3TestServer::S3TestServer() {
    std::string script = source_dir() + "/test/harness/s3_server.js";
    int out_fd = -1, err_fd = -1;
    try {
        // stderr goes to a log file: the pipe is closed once the endpoint is read, and a server
        // writing to a closed pipe would die of EPIPE.
        std::string log = dir_.path() + "/server.log";
        pid_ = spawn({"sh", "-c", "exec node \"$0\" --dir \"$1\" --bucket \"$2\" 2>>\"$3\"", script,
                      dir_.path() + "/data", kBucket, log},
                     {}, &stdin_fd_, &out_fd, &err_fd);
    } catch (const std::exception& e) {
        error_ = e.what();
        return;
    }
    // Wait (bounded) for the "S3_ENDPOINT=..." line.
    std::string out, err;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    char buf[4096];
    while (out.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
        pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
        if (::poll(fds, 2, 200) <= 0)
            continue;
        if (fds[0].revents) {
            ssize_t n = ::read(out_fd, buf, sizeof buf);
            if (n <= 0)
                break;
            out.append(buf, static_cast<size_t>(n));
        }
        if (fds[1].revents) {
            ssize_t n = ::read(err_fd, buf, sizeof buf);
            if (n > 0)
                err.append(buf, static_cast<size_t>(n));
        }
    }
    ::close(out_fd);
    ::close(err_fd);
    const std::string marker = "S3_ENDPOINT=";
    auto pos = out.find(marker);
    if (pos == std::string::npos) {
        std::ifstream log_file(dir_.path() + "/server.log");
        std::string log((std::istreambuf_iterator<char>(log_file)), {});
        error_ =
            "the S3 test server did not start (is `bash scripts/setup.sh` done?): " + err + log;
        return;
    }
    endpoint_ = out.substr(pos + marker.size(), out.find('\n', pos) - pos - marker.size());
}

S3TestServer::~S3TestServer() {
    if (pid_ > 0) {
        ::close(stdin_fd_); // the server exits when its stdin closes
        ::kill(pid_, SIGTERM);
        wait_exit(pid_);
    }
}

store::S3Config S3TestServer::config() const {
    store::S3Config c;
    c.endpoint = endpoint_;
    c.force_path_style = true;
    c.credentials = {kAccessKey, kSecretKey, {}};
    c.base_backoff_ms = 5;
    c.max_backoff_ms = 50;
    return c;
}

Env S3TestServer::environment() const {
    return {{"AWS_ACCESS_KEY_ID", kAccessKey}, {"AWS_SECRET_ACCESS_KEY", kSecretKey},
            {"AWS_REGION", "us-east-1"},       {"AWS_ENDPOINT_URL_S3", endpoint_},
            {"AWS_ALLOW_HTTP", "true"},        {"AWS_S3_FORCE_PATH_STYLE", "true"}};
}

void S3TestServer::inject_fault(const std::string& path, int status, int count, bool apply,
                                const std::string& method) {
    store::HttpClient http({});
    std::string url = endpoint_ + "/__admin/fault?path=" + path +
                      "&status=" + std::to_string(status) + "&count=" + std::to_string(count) +
                      (apply ? "&apply=1" : "") + (method.empty() ? "" : "&method=" + method);
    auto r = http.send({"POST", url, {}, {}});
    if (!r || r->status != 204)
        throw std::runtime_error("cannot inject a fault into the S3 test server");
}

int S3TestServer::fault_hits(const std::string& path) {
    store::HttpClient http({});
    auto r = http.send({"GET", endpoint_ + "/__admin/fault?path=" + path, {}, {}});
    if (!r)
        return -1;
    auto pos = r->body.find("\"hits\":");
    return pos == std::string::npos ? -1 : std::atoi(r->body.c_str() + pos + 7);
}

std::string unique_s3_uri(const std::string& suite) {
    return std::string("s3://") + S3TestServer::kBucket + "/" + suite + "/" + base::new_ulid();
}

long proc_status_kib(int pid, const std::string& field) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line))
        if (line.starts_with(field + ":"))
            return std::strtol(line.c_str() + field.size() + 1, nullptr, 10);
    return -1;
}

} // namespace omnigraph::testing
