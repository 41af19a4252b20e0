#include "cli/usage_hint.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <numeric>

namespace omnigraph::cli {

namespace {

// Optimal string alignment distance (adjacent transpositions count one: "plna" -> "plan").
size_t distance(const std::string& a, const std::string& b) {
    std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
    for (size_t i = 0; i <= a.size(); ++i)
        d[i][0] = i;
    for (size_t j = 0; j <= b.size(); ++j)
        d[0][j] = j;
    for (size_t i = 1; i <= a.size(); ++i)
        for (size_t j = 1; j <= b.size(); ++j) {
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
    return d[a.size()][b.size()];
}

// "omnigraph cluster" for the cluster subcommand.
std::string path_of(const CLI::App* app) {
    std::vector<std::string> names;
    for (; app; app = app->get_parent())
        names.push_back(app->get_name());
    std::string path;
    for (auto it = names.rbegin(); it != names.rend(); ++it)
        path.append(path.empty() ? "" : " ").append(*it);
    return path;
}

std::vector<const CLI::App*> subcommands_of(const CLI::App* app) {
    return app->get_subcommands([](const CLI::App*) { return true; });
}

const CLI::App* find_subcommand(const CLI::App* app, const std::string& word) {
    for (const CLI::App* sub : subcommands_of(app)) {
        if (sub->get_name() == word)
            return sub;
        const auto& aliases = sub->get_aliases();
        if (std::find(aliases.begin(), aliases.end(), word) != aliases.end())
            return sub;
    }
    return nullptr;
}

// The option `word` names ("--data", "-e"), or nullptr.
const CLI::Option* find_option(const CLI::App* app, const std::string& word) {
    for (const CLI::Option* opt : app->get_options([](const CLI::Option*) { return true; })) {
        if (word.starts_with("--")) {
            const auto& names = opt->get_lnames();
            if (std::find(names.begin(), names.end(), word.substr(2)) != names.end())
                return opt;
        } else {
            const auto& names = opt->get_snames();
            if (std::find(names.begin(), names.end(), word.substr(1)) != names.end())
                return opt;
        }
    }
    return nullptr;
}

std::vector<std::string> long_names(const CLI::App* app) {
    std::vector<std::string> out;
    for (const CLI::Option* opt : app->get_options([](const CLI::Option*) { return true; }))
        for (const auto& n : opt->get_lnames())
            out.push_back("--" + n);
    return out;
}

} // namespace

std::string closest(const std::string& word, const std::vector<std::string>& candidates) {
    std::string best;
    size_t best_distance = std::max<size_t>(2, word.size() / 3) + 1;
    for (const auto& c : candidates) {
        size_t d = distance(word, c);
        if (d < best_distance) {
            best_distance = d;
            best = c;
        }
    }
    return best;
}

std::optional<std::string> usage_hint(const CLI::App& root, const std::vector<std::string>& args) {
    const CLI::App* app = &root;
    bool options_end = false;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (arg == "--") {
            options_end = true;
            continue;
        }
        if (!options_end && arg.size() > 1 && arg[0] == '-' &&
            !std::isdigit(static_cast<unsigned char>(arg[1]))) {
            std::string name = arg.substr(0, arg.find('='));
            if (!arg.starts_with("--") && name.size() > 2) // -abc: grouped short flags
                name = name.substr(0, 2);
            const CLI::Option* opt = nullptr;
            for (const CLI::App* a = app; a && !opt; a = a->get_parent())
                opt = find_option(a, name);
            if (!opt) {
                std::string hint = "unknown option " + name + " for '" + path_of(app) + "'";
                if (std::string near = closest(name, long_names(app)); !near.empty())
                    hint += " (did you mean " + near + "?)";
                return hint;
            }
            if (arg.find('=') == std::string::npos && opt->get_expected_max() > 0 &&
                i + 1 < args.size())
                ++i; // its value
            continue;
        }
        if (const CLI::App* sub = find_subcommand(app, arg)) {
            app = sub;
            continue;
        }
        // A word that is neither: unknown when this command takes a subcommand and no
        // positional (a positional argument is the command's business).
        bool takes_positional = false;
        for (const CLI::Option* opt : app->get_options([](const CLI::Option*) { return true; }))
            takes_positional |= opt->get_lnames().empty() && opt->get_snames().empty();
        auto subs = subcommands_of(app);
        if (!subs.empty() && !takes_positional) {
            std::vector<std::string> names;
            names.reserve(subs.size());
            for (const CLI::App* s : subs)
                names.push_back(s->get_name());
            std::string hint = "unknown command '" + arg + "' for '" + path_of(app) + "'";
            if (std::string near = closest(arg, names); !near.empty())
                hint += " (did you mean '" + near + "'?)";
            return hint;
        }
    }
    return std::nullopt;
}

} // namespace omnigraph::cli
