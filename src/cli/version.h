#pragma once

namespace omnigraph::cli {

inline constexpr const char* kVersion = OMNIGRAPH_VERSION;
// Version of our on-disk graph format (docs/format/); printed by `omnigraph version`.
inline constexpr int kStorageFormatVersion = 2;

} // namespace omnigraph::cli
