#include "base/failpoint.h"

#include "base/env.h"

#include <charconv>
#include <chrono>
#include <string>
#include <thread>
#include <unistd.h>

namespace omnigraph::base {

Status failpoint(std::string_view name) {
    static const std::string armed = env_string("OMNIGRAPH_FAILPOINTS").value_or("");
    if (armed.empty())
        return ok();
    std::string_view rest = armed;
    while (!rest.empty()) {
        size_t comma = rest.find(',');
        std::string_view entry = rest.substr(0, comma);
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
        std::string_view action;
        if (size_t eq = entry.find('='); eq != std::string_view::npos) {
            action = entry.substr(eq + 1);
            entry = entry.substr(0, eq);
        }
        if (entry != name)
            continue;
        if (action == "crash")
            _exit(kFailpointCrashExit);
        if (action.starts_with("delay:")) { // widen a race window, then go on
            std::string_view digits = action.substr(6);
            int millis = 0; // as atoi: the leading number, 0 when there is none
            std::from_chars(digits.data(), digits.data() + digits.size(), millis);
            std::this_thread::sleep_for(std::chrono::milliseconds(millis));
            return ok();
        }
        return Error(kInjectedFailpoint, "injected failpoint " + std::string(name));
    }
    return ok();
}

} // namespace omnigraph::base
