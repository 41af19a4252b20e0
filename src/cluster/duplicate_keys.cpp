#include "cluster/duplicate_keys.h"

#include <set>

namespace omnigraph::cluster {

namespace {

// The line without its comment: '#' starts one only outside quotes and after a blank.
std::string_view strip_comment(std::string_view line) {
    char quote = 0;
    for (size_t i = 0; i < line.size(); ++i) {
        char c = line[i];
        if (quote) {
            if (c == quote)
                quote = 0;
            else if (c == '\\' && quote == '"' && i + 1 < line.size())
                ++i;
        } else if (c == '"' || c == '\'') {
            quote = c;
        } else if (c == '#' && (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t')) {
            return line.substr(0, i);
        }
    }
    return line;
}

std::string_view rtrim(std::string_view s) {
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}

// `key: …` at the start of `text`: the key (unquoted) and the value after the colon.
bool split_key(std::string_view text, std::string& key, std::string_view& value) {
    if (text.empty())
        return false;
    size_t end = 0;
    if (text[0] == '"' || text[0] == '\'') {
        char q = text[0];
        size_t close = text.find(q, 1);
        if (close == std::string_view::npos)
            return false;
        key = std::string(text.substr(1, close - 1));
        end = close + 1;
        while (end < text.size() && text[end] == ' ')
            ++end;
        if (end >= text.size() || text[end] != ':')
            return false;
    } else {
        if (text[0] == '{' || text[0] == '[' || text[0] == '-' || text[0] == '|' || text[0] == '>')
            return false;
        size_t colon = std::string_view::npos;
        for (size_t i = 0; i < text.size(); ++i)
            if (text[i] == ':' && (i + 1 == text.size() || text[i + 1] == ' ')) {
                colon = i;
                break;
            }
        if (colon == std::string_view::npos)
            return false;
        key = std::string(rtrim(text.substr(0, colon)));
        end = colon;
    }
    value = text.substr(end + 1);
    while (!value.empty() && value.front() == ' ')
        value.remove_prefix(1);
    return true;
}

struct Frame {
    int indent;
    std::string path;     // of this mapping
    std::string last_key; // path of the last key seen, parent of deeper lines
    std::set<std::string> keys;
};

} // namespace

std::vector<DuplicateKey> find_duplicate_keys(std::string_view yaml) {
    std::vector<DuplicateKey> out;
    std::vector<Frame> stack{{-1, "", "", {}}};
    int block_scalar_indent = -2; // lines deeper than this belong to a `|` / `>` scalar
    int line_no = 0;
    size_t pos = 0;
    while (pos <= yaml.size()) {
        size_t nl = yaml.find('\n', pos);
        std::string_view raw =
            yaml.substr(pos, nl == std::string_view::npos ? yaml.npos : nl - pos);
        pos = nl == std::string_view::npos ? yaml.size() + 1 : nl + 1;
        ++line_no;
        int indent = 0;
        while (indent < static_cast<int>(raw.size()) && raw[indent] == ' ')
            ++indent;
        std::string_view text = rtrim(strip_comment(raw.substr(indent)));
        if (text.empty())
            continue;
        if (block_scalar_indent >= -1) {
            if (indent > block_scalar_indent)
                continue;
            block_scalar_indent = -2;
        }
        if (text == "---" || text == "...") {
            stack.assign(1, Frame{-1, "", "", {}});
            continue;
        }
        // Sequence items: "- " opens a fresh mapping one level down.
        while (text.starts_with("- ") || text == "-") {
            while (stack.size() > 1 && stack.back().indent > indent)
                stack.pop_back();
            std::string item_path = stack.back().last_key + "[]";
            int content = indent + 2;
            stack.push_back(Frame{content, item_path, item_path, {}});
            text = text.size() > 2 ? text.substr(2) : std::string_view();
            while (!text.empty() && text.front() == ' ') {
                text.remove_prefix(1);
                ++content;
            }
            stack.back().indent = content;
            indent = content;
            if (text.starts_with('|') || text.starts_with('>')) {
                block_scalar_indent = indent - 2; // the item's content lines are deeper
                text = {};
            }
        }
        std::string key;
        std::string_view value;
        if (text.empty() || !split_key(text, key, value))
            continue;
        while (stack.size() > 1 && stack.back().indent > indent)
            stack.pop_back();
        if (stack.back().indent < indent) {
            std::string parent = stack.back().last_key;
            stack.push_back(Frame{indent, parent, parent, {}});
        }
        Frame& frame = stack.back();
        std::string path = frame.path.empty() ? key : frame.path + "." + key;
        if (!frame.keys.insert(key).second)
            out.push_back({path, line_no});
        frame.last_key = path;
        if (value.starts_with('|') || value.starts_with('>'))
            block_scalar_indent = indent;
    }
    return out;
}

} // namespace omnigraph::cluster
