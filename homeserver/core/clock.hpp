#pragma once
// The server's wall clock: event timestamps and every rule that depends on the date
// (registration token expiry, verification expiry and reminders, later meter windows and
// penalties) read it. Under `domovoy serve --test-clock` an admin may set it (PUT
// /_domovoy/admin/v1/test/clock); it then runs on from the time set, so tests move time and
// never sleep. Durations (timeouts, rate limits) use the steady clock and are not moved.
#include <cstdint>

namespace domovoy {

// Milliseconds since the Unix epoch, as this server's clock reads now.
std::int64_t now_ms();

namespace test_clock {
// Only `--test-clock` calls this, once at start; never a config key.
void enable();
bool enabled();
// Moves the clock so that now_ms() reads `now` at this instant. Refused (false) unless enabled.
bool set(std::int64_t now);
}  // namespace test_clock

}  // namespace domovoy
