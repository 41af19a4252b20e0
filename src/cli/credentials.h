// Bearer tokens for named servers (spec engine-cli §4.3): `~/.omnigraph/credentials`, INI-like
// (`[name]` sections with `token = …`, `#` comments), written with mode 0600 by `login` and
// refused when group or world may read it. A token is looked up, in order, in
// OMNIGRAPH_TOKEN_<NAME> (the server name upper-cased, `-` as `_`), the file's `[name]`, then
// OMNIGRAPH_BEARER_TOKEN; the keyed ones only for a server named in config.yaml, so a token
// never goes to a URL it was not stored for. Blank values are skipped.
#pragma once

#include "base/error.h"

#include <map>
#include <optional>
#include <string>

namespace omnigraph::cli {

struct Credentials {
    std::string path;
    std::map<std::string, std::string> tokens; // server name -> token
};

// The file under `home` (missing: none stored). A file others may read is refused.
Result<Credentials> load_credentials(const std::string& home);

// Writes `credentials` back (mode 0600, through a temporary file and a rename).
Status save_credentials(const Credentials& credentials);

// The token for server `name` (empty: an ad-hoc URL, only OMNIGRAPH_BEARER_TOKEN applies).
std::optional<std::string> token_for(const std::string& name, const Credentials& credentials);

} // namespace omnigraph::cli
