// Just enough XML reading for S3 responses (store-internal): flat element lookups and entity
// decoding. S3 bodies are machine-written and small, so no general parser is needed.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace omnigraph::store::xml {

// Inner text of each <tag>...</tag> in `body`, in order (elements with attributes included).
std::vector<std::string_view> elements(std::string_view body, std::string_view tag);
// Decoded text of the first <tag> element, or "".
std::string first_text(std::string_view body, std::string_view tag);
// Decodes &amp; &lt; &gt; &quot; &apos; and numeric references.
std::string decode(std::string_view text);
// Escapes text for element content.
std::string escape(std::string_view text);

} // namespace omnigraph::store::xml
