#pragma once
// The server's wall clock: event timestamps and every rule that depends on the date
// (registration token expiry, verification expiry and reminders, later meter windows and
// penalties) read it. Under `domovoy serve --test-clock` an admin may set it (PUT
// /_domovoy/admin/v1/test/clock); it then runs on from the time set, so tests move time and
// never sleep. Durations (timeouts, rate limits) use the steady clock and are not moved.
#include <cstdint>
#include <functional>

namespace domovoy {

// Milliseconds since the Unix epoch, as this server's clock reads now.
std::int64_t now_ms();

namespace test_clock {
// Only `--test-clock` calls this, once at start; never a config key.
void enable();
bool enabled();
// Moves the clock so that now_ms() reads `now` at this instant. Refused (false) unless enabled.
bool set(std::int64_t now);
// Called, in the setting thread, after each set: the rules that fire on dates (expiry,
// reminders) run before the admin's PUT is answered. Added while the server is assembled.
void on_set(std::function<void()> listener);
}  // namespace test_clock

}  // namespace domovoy
