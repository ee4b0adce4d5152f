#include "housing/bots/reminders/reminder_sweep.hpp"

#include "housing/bots/billing/billing_bot.hpp"
#include "housing/bots/formatting.hpp"
#include "housing/law/money.hpp"

namespace domovoy::housing {

namespace {
bool muted(const BotStore& store, const std::string& user) { return store.setting(user, "mute").value_or("0") == "1"; }
}  // namespace

std::size_t ReminderSweep::issue_month(std::chrono::year_month period, std::int64_t now_ms) {
  auto registry = directory_.registry();
  std::size_t issued = 0;
  for (const auto& building : registry->buildings) {
    storage::WriteBatch batch;
    for (const auto& apartment : building.apartments) {
      if (billing_.issue_closed(building, apartment, period, now_ms, batch).empty()) continue;
      ++issued;
    }
    if (!batch.empty()) store_.database().write(std::move(batch));
  }
  return issued;
}

bool ReminderSweep::run(std::int64_t now_ms,
                        const std::function<void(const std::function<void(storage::WriteBatch&, Conversation&)>&)>& exclusive) {
  auto today = local_date(now_ms);
  if (swept_ && *swept_ == today) return false;
  swept_ = today;
  std::chrono::year_month current{today.year(), today.month()};
  auto closed = current - std::chrono::months{1};
  auto reading_period = law::billing_period_of(today, window_);
  bool in_window = reading_period.in_window;
  auto registry = directory_.registry();
  for (const auto& building : registry->buildings) {
    auto residents = directory_.residents_of(building.id);
    exclusive([&](storage::WriteBatch& batch, Conversation& out) {
      // The month's bills of every apartment, lived in or not: issued once, kept as issued.
      std::vector<IssuedBill> issued;
      if (closed >= first_period_)
        for (const auto& apartment : building.apartments)
          for (auto& bill : billing_.issue_closed(building, apartment, first_period_, now_ms, batch)) issued.push_back(std::move(bill));
      for (const auto& resident : residents) {
        const auto& user = resident.user_id;
        const auto* apartment = building.find_apartment(resident.verification.apartment);
        if (!apartment || muted(store_, user)) continue;
        auto language = user_language(store_, user);
        // Readings: in the window, when a meter has none for the period yet.
        auto readings_cause = "readings:" + format_month_key(reading_period.period) + ":" + apartment->number;
        if (in_window && !store_.reminded(user, readings_cause)) {
          bool missing = false;
          for (const auto& meter : apartment->meters)
            if (!meters_.has_reading_for(building.id, apartment->number, meter, reading_period.period)) missing = true;
          if (missing) {
            BotStore::stage_reminded(batch, user, readings_cause);
            out.to_user(bots_.meters, user,
                        {Text{"Напоминание: с " + std::to_string(window_.first_day) + " по " + std::to_string(window_.last_day) +
                                  " число передайте показания счётчиков (кв. " + apartment->number +
                                  "): !показания хвс 123,45. Выключить напоминания: !не-напоминать.",
                              "Reminder: send your meter readings (apt " + apartment->number + ") by the " +
                                  std::to_string(window_.last_day) + "th: !reading cold 123.45. No more reminders: !mute."}
                             .in(language),
                         {}});
          }
        }
        if (closed < first_period_) continue;
        auto account = BillingEngine::account_of(building, *apartment);
        auto balance = billing_.balance(account, today, issued);
        auto bill_cause = "bill:" + format_month_key(closed) + ":" + apartment->number;
        if (!store_.reminded(user, bill_cause)) {
          BotStore::stage_reminded(batch, user, bill_cause);
          std::int64_t total = 0;
          for (const auto& debt : balance.bills)
            if (debt.bill.period == closed) total = debt.bill.total_kopecks;
          out.to_user(bots_.billing, user,
                      {Text{"Квитанция за " + format_month(closed, Language::ru) + " готова: " + law::format_rubles(total) +
                                ", оплатить до " + std::to_string(billing_.setup().billing.due_day) + " числа. Подробно: !счёт.",
                            "The bill for " + format_month(closed, Language::en) + " is ready: " + law::format_rubles(total) +
                                ", due by the " + std::to_string(billing_.setup().billing.due_day) + "th. Details: !bill."}
                           .in(language),
                       {}});
        }
        // Overdue: a bill past its due date with something still unpaid.
        for (const auto& debt : balance.bills) {
          if (debt.outstanding_kopecks <= 0 || !(debt.bill.due_date < today)) continue;
          auto overdue_cause = "overdue:" + format_month_key(debt.bill.period) + ":" + apartment->number;
          if (store_.reminded(user, overdue_cause)) continue;
          BotStore::stage_reminded(batch, user, overdue_cause);
          out.to_user(bots_.billing, user,
                      {Text{"Квитанция за " + format_month(debt.bill.period, Language::ru) + " просрочена: не оплачено " +
                                law::format_rubles(debt.outstanding_kopecks) +
                                ". С 31-го дня просрочки начисляются пени (ч. 14 ст. 155 ЖК РФ). Оплатить: !оплатить.",
                            "The bill for " + format_month(debt.bill.period, Language::en) + " is overdue: " +
                                law::format_rubles(debt.outstanding_kopecks) +
                                " unpaid. Penalties run from the 31st day (Housing Code art. 155(14)). Pay: !pay."}
                           .in(language),
                       {}});
        }
      }
    });
  }
  return true;
}

}  // namespace domovoy::housing
