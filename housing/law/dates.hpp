#pragma once
// Calendar arithmetic the rules share. Dates are always parameters: nothing here reads a clock.
#include <chrono>

namespace domovoy::housing::law {

// to - from in days: from 2025-03-10 to 2025-03-11 is 1, to 2025-03-10 is 0, backwards negative.
// Both must be valid dates (ok()).
inline int days_between(std::chrono::year_month_day from, std::chrono::year_month_day to) {
  return static_cast<int>((std::chrono::sys_days(to) - std::chrono::sys_days(from)).count());
}

// to - from in months: 2024-12 to 2025-01 is 1.
inline int months_between(std::chrono::year_month from, std::chrono::year_month to) {
  return static_cast<int>((to - from).count());
}

}  // namespace domovoy::housing::law
