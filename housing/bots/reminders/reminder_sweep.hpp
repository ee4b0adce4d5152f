#pragma once
// Once a day (and whenever the clock jumps to another day): the month's bills are issued when a
// month has closed, and residents are reminded, each at most once per cause: readings in the
// window to those who have not sent them (@meters), a bill ready (@billing), a payment overdue
// (@billing). A resident who said `!не-напоминать` hears none of them. (Meeting notices are
// the meetings bot's; a lapsing verification is the homeserver's, from @domovoy-notices.)
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "housing/bots/billing/billing_engine.hpp"
#include "housing/bots/bot.hpp"
#include "housing/law/meter_reading.hpp"
#include "housing/process/bot_store.hpp"
#include "housing/process/housing_directory.hpp"

namespace domovoy::housing {

struct ReminderBots {
  std::string meters;
  std::string billing;
};

class ReminderSweep {
 public:
  ReminderSweep(HousingDirectory& directory, BotStore& store, MeterStore& meters, BillingEngine& billing, ReminderBots bots,
                law::ReadingWindow window, std::chrono::year_month first_period)
      : directory_(directory), store_(store), meters_(meters), billing_(billing), bots_(std::move(bots)), window_(window),
        first_period_(first_period) {}

  // Does the day's work when `now_ms` is on a day not swept yet; returns whether it ran.
  bool run(std::int64_t now_ms, const std::function<void(const std::function<void(storage::WriteBatch&, Conversation&)>&)>& exclusive);

  // Issues the bills of `period` for every apartment of the region not billed yet (the monthly
  // run); returns how many it issued.
  std::size_t issue_month(std::chrono::year_month period, std::int64_t now_ms);

 private:
  std::optional<std::chrono::year_month_day> swept_;
  HousingDirectory& directory_;
  BotStore& store_;
  MeterStore& meters_;
  BillingEngine& billing_;
  ReminderBots bots_;
  law::ReadingWindow window_;
  std::chrono::year_month first_period_;
};

}  // namespace domovoy::housing
