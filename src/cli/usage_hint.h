// What a usage error should say about a typo (issue 21 item 2): CLI11 answers `omnigraph cluster
// plna` with "A subcommand is required" and `load --dta x` with "--data is required", never
// naming the word it did not know. usage_hint() walks the arguments the way the command tree
// reads them and names the first unknown subcommand or option, with the closest known one.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace omnigraph::cli {

// "unknown command 'plna' for 'omnigraph cluster' (did you mean 'plan'?)" or
// "unknown option --dta for 'omnigraph load' (did you mean --data?)"; nullopt when every word
// is known (the parse failed for another reason). `args` in command-line order.
std::optional<std::string> usage_hint(const CLI::App& app, const std::vector<std::string>& args);

// The closest of `candidates` to `word` (edit distance at most 2, or a third of its length),
// or "" when none is close.
std::string closest(const std::string& word, const std::vector<std::string>& candidates);

} // namespace omnigraph::cli
