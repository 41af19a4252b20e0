#include "store/xml_text.h"

#include <cstdlib>

namespace omnigraph::store::xml {

std::vector<std::string_view> elements(std::string_view body, std::string_view tag) {
    std::vector<std::string_view> out;
    std::string open = "<" + std::string(tag);
    std::string close = "</" + std::string(tag) + ">";
    size_t pos = 0;
    while ((pos = body.find(open, pos)) != std::string_view::npos) {
        size_t after = pos + open.size();
        if (after >= body.size())
            break;
        char next = body[after];
        if (next != '>' && next != ' ' && next != '/') {
            pos = after; // a longer tag name, e.g. <KeyCount> when looking for <Key>
            continue;
        }
        size_t gt = body.find('>', after);
        if (gt == std::string_view::npos)
            break;
        if (body[gt - 1] == '/') { // <Tag/>
            out.emplace_back();
            pos = gt + 1;
            continue;
        }
        size_t end = body.find(close, gt + 1);
        if (end == std::string_view::npos)
            break;
        out.push_back(body.substr(gt + 1, end - gt - 1));
        pos = end + close.size();
    }
    return out;
}

std::string first_text(std::string_view body, std::string_view tag) {
    auto found = elements(body, tag);
    return found.empty() ? std::string() : decode(found.front());
}

std::string decode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '&') {
            out.push_back(text[i]);
            continue;
        }
        size_t semi = text.find(';', i);
        if (semi == std::string_view::npos) {
            out.push_back('&');
            continue;
        }
        std::string_view entity = text.substr(i + 1, semi - i - 1);
        if (entity == "amp")
            out.push_back('&');
        else if (entity == "lt")
            out.push_back('<');
        else if (entity == "gt")
            out.push_back('>');
        else if (entity == "quot")
            out.push_back('"');
        else if (entity == "apos")
            out.push_back('\'');
        else if (entity.starts_with('#')) {
            std::string digits(entity.substr(1));
            unsigned long cp = digits.starts_with('x')
                                   ? std::strtoul(digits.c_str() + 1, nullptr, 16)
                                   : std::strtoul(digits.c_str(), nullptr, 10);
            // UTF-8 encode the code point.
            if (cp < 0x80) {
                out.push_back(static_cast<char>(cp));
            } else if (cp < 0x800) {
                out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
                out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
            } else if (cp < 0x10000) {
                out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
                out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
                out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
            } else {
                out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
                out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
                out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
                out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
            }
        } else {
            out.append(text.substr(i, semi - i + 1));
        }
        i = semi;
    }
    return out;
}

std::string escape(std::string_view text) {
    std::string out;
    for (char c : text) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        case '\'':
            out += "&apos;";
            break;
        default:
            out.push_back(c);
        }
    }
    return out;
}

} // namespace omnigraph::store::xml
