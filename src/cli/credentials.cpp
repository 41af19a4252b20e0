#include "cli/credentials.h"

#include "base/env.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

namespace omnigraph::cli {

namespace {

namespace fs = std::filesystem;

std::string trim(const std::string& s) {
    size_t a = s.find_first_not_of(" \t\r");
    size_t b = s.find_last_not_of(" \t\r");
    return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

std::optional<std::string> env_token(const std::string& variable) {
    auto v = base::env_string(variable);
    if (!v)
        return std::nullopt;
    std::string t = trim(*v);
    return t.empty() ? std::nullopt : std::optional<std::string>(t);
}

} // namespace

Result<Credentials> load_credentials(const std::string& home) {
    Credentials out;
    out.path = home + "/credentials";
    struct stat st {};
    if (::stat(out.path.c_str(), &st) != 0)
        return out;
    if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
        return Error("invalid_config",
                     out.path + " may be read by other users; run `chmod 600 " + out.path + "`");
    std::ifstream in(out.path);
    std::string line, section;
    for (int number = 1; std::getline(in, line); ++number) {
        std::string t = trim(line);
        if (t.empty() || t[0] == '#' || t[0] == ';')
            continue;
        if (t.front() == '[' && t.back() == ']') {
            section = trim(t.substr(1, t.size() - 2));
            continue;
        }
        size_t eq = t.find('=');
        if (eq == std::string::npos || section.empty())
            return Error("invalid_config", out.path + ":" + std::to_string(number) +
                                               ":1: expected `[server]` or `token = …`");
        if (trim(t.substr(0, eq)) == "token") {
            std::string token = trim(t.substr(eq + 1));
            if (!token.empty())
                out.tokens[section] = token;
        }
    }
    return out;
}

Status save_credentials(const Credentials& credentials) {
    std::error_code ec;
    fs::create_directories(fs::path(credentials.path).parent_path(), ec);
    std::ostringstream text;
    text << "# omnigraph credentials: one [server] section per `omnigraph login`\n";
    for (const auto& [name, token] : credentials.tokens)
        text << "[" << name << "]\ntoken = " << token << "\n";
    std::string tmp = credentials.path + ".tmp";
    {
        // Created 0600 before a byte is written: the token is never readable by others.
        ::umask(077);
        std::ofstream out(tmp, std::ios::trunc);
        out << text.str();
        out.close();
        if (!out)
            return Error("storage_io", "cannot write " + tmp);
    }
    ::chmod(tmp.c_str(), 0600);
    fs::rename(tmp, credentials.path, ec);
    if (ec)
        return Error("storage_io", "cannot write " + credentials.path + ": " + ec.message());
    return ok();
}

std::optional<std::string> token_for(const std::string& name, const Credentials& credentials) {
    if (!name.empty()) {
        std::string variable = "OMNIGRAPH_TOKEN_" + name;
        std::transform(variable.begin(), variable.end(), variable.begin(), [](unsigned char c) {
            return c == '-' ? '_' : static_cast<char>(std::toupper(c));
        });
        if (auto t = env_token(variable))
            return t;
        if (auto it = credentials.tokens.find(name); it != credentials.tokens.end())
            return it->second;
    }
    return env_token("OMNIGRAPH_BEARER_TOKEN");
}

} // namespace omnigraph::cli
