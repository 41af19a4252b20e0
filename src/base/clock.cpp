#include "base/clock.h"

#include <atomic>
#include <charconv>
#include <cstdio>

namespace omnigraph::base {
namespace {

std::atomic<ClockFn> g_test_clock{nullptr};

bool parse_digits(std::string_view s, size_t pos, size_t n, int& out) {
    if (pos + n > s.size())
        return false;
    int v = 0;
    for (size_t i = pos; i < pos + n; ++i) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    out = v;
    return true;
}

} // namespace

TimePoint now() {
    if (auto fn = g_test_clock.load())
        return fn();
    return std::chrono::time_point_cast<std::chrono::microseconds>(
        std::chrono::system_clock::now());
}

int64_t unix_micros(TimePoint t) {
    return t.time_since_epoch().count();
}

void set_clock_for_testing(ClockFn fn) {
    g_test_clock.store(fn);
}

std::string format_rfc3339(TimePoint t, Precision precision) {
    using namespace std::chrono;
    auto day = floor<days>(t);
    year_month_day ymd{day};
    hh_mm_ss hms{t - day};
    char buf[64];
    int n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d", int(ymd.year()),
                          unsigned(ymd.month()), unsigned(ymd.day()), int(hms.hours().count()),
                          int(hms.minutes().count()), int(hms.seconds().count()));
    std::string out(buf, static_cast<size_t>(n));
    auto micros = hms.subseconds().count();
    if (precision == Precision::kMicros) {
        n = std::snprintf(buf, sizeof buf, ".%06lld", static_cast<long long>(micros));
        out.append(buf, static_cast<size_t>(n));
    } else if (precision == Precision::kMillis) {
        n = std::snprintf(buf, sizeof buf, ".%03lld", static_cast<long long>(micros / 1000));
        out.append(buf, static_cast<size_t>(n));
    }
    out += 'Z';
    return out;
}

Result<TimePoint> parse_rfc3339(std::string_view s) {
    using namespace std::chrono;
    auto bad = [&] {
        return Error(codes::kInvalidArgument,
                     "invalid RFC 3339 timestamp '" + std::string(s) +
                         "' (expected YYYY-MM-DDTHH:MM:SS[.frac]Z or an offset like +02:00)");
    };
    int y, mo, d, h, mi, sec;
    if (!parse_digits(s, 0, 4, y) || s.size() < 20 || s[4] != '-' || !parse_digits(s, 5, 2, mo) ||
        s[7] != '-' || !parse_digits(s, 8, 2, d) ||
        (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !parse_digits(s, 11, 2, h) ||
        s[13] != ':' || !parse_digits(s, 14, 2, mi) || s[16] != ':' || !parse_digits(s, 17, 2, sec))
        return bad();
    year_month_day ymd{year{y}, month{unsigned(mo)}, day{unsigned(d)}};
    if (!ymd.ok() || h > 23 || mi > 59 || sec > 60)
        return bad();
    size_t pos = 19;
    int64_t micros = 0;
    if (pos < s.size() && s[pos] == '.') {
        ++pos;
        size_t digits = 0;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
            if (digits < 6)
                micros = micros * 10 + (s[pos] - '0');
            ++digits;
            ++pos;
        }
        if (digits == 0)
            return bad();
        for (size_t i = digits; i < 6; ++i)
            micros *= 10;
    }
    int offset_minutes = 0;
    if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
        ++pos;
    } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
        int oh, om;
        if (!parse_digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
            !parse_digits(s, pos + 4, 2, om) || oh > 23 || om > 59)
            return bad();
        offset_minutes = (s[pos] == '+' ? 1 : -1) * (oh * 60 + om);
        pos += 6;
    } else {
        return bad();
    }
    if (pos != s.size())
        return bad();
    auto t = sys_days{ymd} + hours{h} + minutes{mi} + seconds{sec} + microseconds{micros} -
             minutes{offset_minutes};
    return time_point_cast<microseconds>(t);
}

std::optional<int32_t> parse_epoch_days(std::string_view s) {
    using namespace std::chrono;
    int y = 0;
    unsigned m = 0, d = 0;
    if (s.size() != 10 || s[4] != '-' || s[7] != '-')
        return std::nullopt;
    auto num = [&](size_t pos, size_t n, auto& out) {
        auto [p, ec] = std::from_chars(s.data() + pos, s.data() + pos + n, out);
        return ec == std::errc() && p == s.data() + pos + n;
    };
    if (!num(0, 4, y) || !num(5, 2, m) || !num(8, 2, d))
        return std::nullopt;
    year_month_day ymd{year{y}, month{m}, day{d}};
    if (!ymd.ok())
        return std::nullopt;
    return static_cast<int32_t>(sys_days{ymd}.time_since_epoch().count());
}

std::optional<int64_t> parse_epoch_millis(std::string_view text) {
    auto parsed = parse_rfc3339(text);
    if (!parsed)
        return std::nullopt;
    int64_t micros = unix_micros(*parsed);
    return micros / 1000 - (micros % 1000 < 0 ? 1 : 0); // floor, also before 1970
}

} // namespace omnigraph::base
