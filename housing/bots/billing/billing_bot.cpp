#include "housing/bots/billing/billing_bot.hpp"

#include <algorithm>

#include "housing/bots/formatting.hpp"
#include "housing/bots/meters/meters_bot.hpp"
#include "housing/bots/residence.hpp"
#include "housing/law/money.hpp"
#include "housing/registry/decimal.hpp"

namespace domovoy::housing {

namespace {

std::string rubles(std::int64_t kopecks) { return law::format_rubles(kopecks); }

std::string volume_text(const std::string& volume, Language language) {
  auto text = volume;
  if (language == Language::ru)
    for (auto& c : text)
      if (c == '.') c = ',';
  return text;
}

}  // namespace

Text volume_method_name(const std::string& method) {
  if (method == "reading") return {"по показаниям", "by reading"};
  if (method == "average") return {"по среднему (п. 59 Постановления № 354)", "by the average (Decree 354 cl. 59)"};
  if (method == "norm") return {"по нормативу (п. 60 Постановления № 354)", "by the norm (Decree 354 cl. 60)"};
  return {"по площади", "by area"};
}

BillingBot::BillingBot(std::string user_id, HousingDirectory& directory, BillingEngine& engine, BillingStore& bills,
                       PaymentProvider& provider, BotStore& store, std::chrono::year_month first_period,
                       const NoticeStore& notices)
    : user_id_(std::move(user_id)),
      directory_(directory),
      engine_(engine),
      bills_(bills),
      provider_(provider),
      store_(store),
      first_period_(first_period),
      notices_(notices) {}

bool BillingBot::knows(const Command& command) const {
  for (const char* known : {"счет", "bill", "квитанция", "баланс", "balance", "оплатить", "pay", "возврат", "refund"})
    if (command.word == known) return true;
  return false;
}

Message BillingBot::help(Language language) const {
  if (language == Language::ru)
    return {"Я показываю квитанции и принимаю оплату. Команды:\n"
            "!счёт — квитанция за прошлый месяц; !счёт 2026-11 — за указанный месяц\n"
            "!баланс — сколько начислено, оплачено, пени и к оплате\n"
            "!оплатить — оплатить всю задолженность; !оплатить 1500,50 — оплатить часть\n"
            "Оплата — до " + std::to_string(engine_.setup().billing.due_day) +
                " числа следующего месяца (ст. 155 ЖК РФ); пени — с 31-го дня просрочки.",
            ""};
  return {"I show bills and take payments. Commands:\n"
          "!bill — last month's bill; !bill 2026-11 — the bill of that month\n"
          "!balance — billed, paid, penalties and due\n"
          "!pay — pay all that is due; !pay 1500.50 — pay a part\n"
          "Bills are due by the " + std::to_string(engine_.setup().billing.due_day) +
              "th of the next month (Housing Code art. 155); penalties run from the 31st day overdue.",
          ""};
}

void BillingBot::handle(CommandContext& context) {
  const auto& word = context.command.word;
  if (word == "баланс" || word == "balance") balance(context);
  else if (word == "оплатить" || word == "pay") pay(context);
  else if (word == "возврат" || word == "refund") refund(context);
  else bill(context);
}

namespace {

const Text kNoHome{"Квитанции видят жители с подтверждённым адресом: пришлите @domovoy код из квитанции.",
                   "Bills are shown to residents with a verified address: send @domovoy the code from your bill."};
}  // namespace

std::optional<BillingBot::Home> BillingBot::home_of(CommandContext& context) const {
  auto registry = directory_.registry();
  auto homes = residences_of(context.asker, *registry);
  if (homes.empty()) {
    context.answer(user_id_, {kNoHome.in(context.language), {}});
    return std::nullopt;
  }
  return Home{registry, homes.front()};
}

AccountBalance BillingBot::balance_with_closed_bills(const Residence& home, CommandContext& context) const {
  // Bills of every closed period so far are issued first, so the balance counts them all.
  auto unsaved = engine_.issue_closed(*home.building, *home.apartment, first_period_, context.now_ms, context.batch);
  return engine_.balance(BillingEngine::account_of(*home.building, *home.apartment), local_date(context.now_ms), unsaved);
}

void BillingBot::bill(CommandContext& context) {
  const auto language = context.language;
  auto found = home_of(context);
  if (!found) return;
  const auto* home = &found->home;
  auto today = local_date(context.now_ms);
  std::chrono::year_month current{today.year(), today.month()};
  auto period = current - std::chrono::months{1};
  auto argument = trim(context.command.args);
  if (!argument.empty()) {
    auto parsed = parse_month_key(argument);
    if (!parsed) {
      context.answer(user_id_, {context.text({"Месяц пишется так: !счёт 2026-11.", "Write the month as: !bill 2026-11."}), {}});
      return;
    }
    period = *parsed;
  }
  if (period >= current) {
    context.answer(user_id_, {context.text({"Квитанция за " + format_month(period, language) + " ещё не выставлена: она будет после окончания месяца.",
                                            "The bill for " + format_month(period, language) + " is not issued yet: it comes after the month ends."}), {}});
    return;
  }
  if (period < first_period_) {
    context.answer(user_id_, {context.text({"За " + format_month(period, language) + " квитанций нет: расчёты ведутся с " +
                                                format_month(first_period_, language) + ".",
                                            "There is no bill for " + format_month(period, language) + ": billing starts in " +
                                                format_month(first_period_, language) + "."}), {}});
    return;
  }
  auto unsaved = engine_.issue_closed(*home->building, *home->apartment, first_period_, context.now_ms, context.batch);
  auto issued = engine_.issue(*home->building, *home->apartment, period, context.now_ms, context.batch);
  auto balance = engine_.balance(issued.account, today, unsaved);
  std::int64_t penalty = 0, outstanding = issued.total_kopecks;
  for (const auto& debt : balance.bills)
    if (debt.bill.period == period) {
      penalty = debt.penalty.kopecks;
      outstanding = debt.outstanding_kopecks;
    }
  auto title = context.text({"Квитанция за ", "Bill for "}) + format_month(period, language) + " — " +
               context.text({"лицевой счёт ", "account "}) + issued.account + ", " + apartment_label(*home, language, true);
  std::string plain = title + "\n";
  std::string html = "<p><b>" + html_escape(title) + "</b></p><table><tr><th>" + context.text({"Услуга", "Service"}) + "</th><th>" +
                     context.text({"Тариф", "Tariff"}) + "</th><th>" + context.text({"Объём", "Volume"}) + "</th><th>" +
                     context.text({"Как определён", "How"}) + "</th><th>" + context.text({"Сумма", "Amount"}) + "</th></tr>";
  for (const auto& line : issued.lines) {
    auto method = volume_method_name(line.method).in(language);
    auto tariff = rubles(line.tariff_kopecks) + "/" + line.unit;
    auto volume = volume_text(line.volume, language) + " " + line.unit;
    plain += "• " + line.service + ": " + volume + " × " + tariff + " (" + method + ") = " + rubles(line.amount_kopecks) + "\n";
    html += "<tr><td>" + html_escape(line.service) + "</td><td>" + html_escape(tariff) + "</td><td>" + html_escape(volume) +
            "</td><td>" + html_escape(method) + "</td><td>" + html_escape(rubles(line.amount_kopecks)) + "</td></tr>";
  }
  html += "</table>";
  auto due = format_date(issued.due_date, language);
  std::string tail = context.text({"Начислено: ", "Billed: "}) + rubles(issued.total_kopecks) + "\n" +
                     context.text({"Пени: ", "Penalty: "}) + rubles(penalty) + "\n" +
                     context.text({"К оплате: ", "Due: "}) + rubles(outstanding + penalty) + "\n" +
                     context.text({"Оплатить до: ", "Pay by: "}) + due;
  plain += tail;
  html += "<p>" + html_escape(tail) + "</p>";
  auto suppliers = notices_.utility_bills(home->building->id, home->apartment->number, month_key(period));
  if (!suppliers.empty()) {
    std::string head = context.text({"Квитанции поставщиков (оплачиваются им напрямую):", "Suppliers' bills (paid to them directly):"});
    plain += "\n" + head + "\n";
    html += "<p>" + html_escape(head) + "</p><ul>";
    for (const auto& supplier : suppliers) {
      auto line = supplier.service + " — " + rubles(supplier.amount_kopecks) +
                  (supplier.due_date.empty() ? "" : context.text({", до ", ", by "}) + supplier.due_date) + " (" +
                  supplier.published_by + ")";
      plain += "• " + line + "\n";
      html += "<li>" + html_escape(line) + "</li>";
    }
    html += "</ul>";
  }
  context.answer(user_id_, {plain, html});
}

void BillingBot::balance(CommandContext& context) {
  auto found = home_of(context);
  if (!found) return;
  const auto* home = &found->home;
  auto account = BillingEngine::account_of(*home->building, *home->apartment);
  auto balance = balance_with_closed_bills(*home, context);
  std::string text = context.text({"Лицевой счёт ", "Account "}) + account + "\n" + context.text({"Начислено: ", "Billed: "}) +
                     rubles(balance.billed_kopecks) + "\n" + context.text({"Оплачено: ", "Paid: "}) + rubles(balance.paid_kopecks) +
                     "\n" + context.text({"Пени: ", "Penalty: "}) + rubles(balance.penalty_kopecks) + "\n" +
                     context.text({"К оплате: ", "Due: "}) + rubles(balance.due_kopecks());
  if (balance.pending_kopecks)
    text += "\n" + context.text({"Ожидают подтверждения: ", "Awaiting confirmation: "}) + rubles(balance.pending_kopecks);
  context.answer(user_id_, {text, {}});
}

void BillingBot::pay(CommandContext& context) {
  const auto language = context.language;
  auto found = home_of(context);
  if (!found) return;
  const auto* home = &found->home;
  auto account = BillingEngine::account_of(*home->building, *home->apartment);
  auto balance = balance_with_closed_bills(*home, context);
  auto due = balance.due_kopecks() - balance.pending_kopecks;
  std::int64_t amount = due;
  auto argument = trim(context.command.args);
  if (!argument.empty()) {
    auto parsed = law::parse_rubles(argument);
    if (auto* error = std::get_if<law::MoneyParseError>(&parsed)) {
      Text why{"Сумма пишется цифрами, копейки — через запятую: !оплатить 1500,50.", "Write the amount in digits: !pay 1500.50."};
      if (*error == law::MoneyParseError::zero || *error == law::MoneyParseError::negative)
        why = {"Сумма должна быть больше нуля.", "The amount must be more than zero."};
      else if (*error == law::MoneyParseError::too_many_decimals)
        why = {"Копеек — не больше двух знаков: !оплатить 1500,50.", "At most two decimals (kopecks): !pay 1500.50."};
      else if (*error == law::MoneyParseError::too_large)
        why = {"Сумма больше задолженности.", "The amount is more than is due."};
      context.answer(user_id_, {why.in(language), {}});
      return;
    }
    amount = std::get<std::int64_t>(parsed);
  }
  if (amount <= 0) {
    context.answer(user_id_, {due <= 0 ? context.text({"Задолженности нет — платить нечего.", "Nothing is due."})
                                       : context.text({"Сумма должна быть больше нуля.", "The amount must be more than zero."}),
                              {}});
    return;
  }
  if (amount > due) {
    context.answer(user_id_, {context.text({"Сумма больше задолженности (" + rubles(std::max<std::int64_t>(due, 0)) + ").",
                                            "The amount is more than is due (" + rubles(std::max<std::int64_t>(due, 0)) + ")."}), {}});
    return;
  }
  PaymentRecord payment;
  payment.id = "P-" + std::to_string(store_.next_number(context.batch, "payment"));
  payment.account = account;
  payment.user_id = context.asker.user_id;
  payment.kopecks = amount;
  payment.status = "pending";
  payment.created_at = context.now_ms;
  // The order goes to the provider only once its record is durable: the settlement loop
  // (settle_payments) creates it there after this write, under the payment's id, which the
  // provider takes as its idempotency key.
  BillingStore::stage_payment(context.batch, payment);
  context.answer(user_id_, {context.text({"Платёж " + payment.id + " на " + rubles(amount) +
                                              " создан и ждёт подтверждения банка. Я сообщу, когда он пройдёт.",
                                          "Payment " + payment.id + " of " + rubles(amount) +
                                              " is created and waits for the bank's confirmation. I will tell you when it goes through."}), {}});
}

void BillingBot::refund(CommandContext& context) {
  auto id = trim(context.command.args);
  auto payment = bills_.payment(id);
  auto registry = directory_.registry();
  bool staff = false;
  if (payment)
    for (const auto& building : registry->buildings)
      for (const auto& apartment : building.apartments)
        if (BillingEngine::account_of(building, apartment) == payment->account) {
          const auto* company = registry->find_management_company(building.management_company);
          staff = company && std::find(company->staff.begin(), company->staff.end(), context.asker.user_id) != company->staff.end();
        }
  if (!payment || !staff) {
    context.answer(user_id_, {context.text({"Возврат делает сотрудник управляющей компании: !возврат P-12.",
                                            "Refunds are made by the management company's staff: !refund P-12."}), {}});
    return;
  }
  if (payment->status != "succeeded") {
    context.answer(user_id_, {context.text({"Вернуть можно только прошедший платёж.", "Only a payment that went through can be refunded."}), {}});
    return;
  }
  provider_.refund(payment->id);
  context.answer(user_id_, {context.text({"Возврат платежа " + payment->id + " запрошен у банка.", "A refund of " + payment->id + " is asked of the bank."}), {}});
}

void BillingBot::settle_payments(std::int64_t now_ms, storage::WriteBatch& batch, Conversation& out) {
  for (auto& payment : bills_.pending_payments()) {
    auto receipt = provider_.create({payment.id, payment.account, payment.kopecks, "ЖКУ, лицевой счёт " + payment.account});
    if (payment.provider_reference != receipt.reference) {
      payment.provider_reference = receipt.reference;
      BillingStore::stage_payment(batch, payment);
    }
  }
  apply_settlements(provider_.settlements(), now_ms, batch, out);
}

void BillingBot::apply_settlements(const std::vector<Settlement>& settled, std::int64_t now_ms, storage::WriteBatch& batch,
                                   Conversation& out) {
  for (const auto& settlement : settled) {
    auto payment = bills_.payment(settlement.payment_id);
    if (!payment) continue;
    if (payment->status == settlement.status) continue;  // told already
    payment->status = settlement.status;
    payment->reason = settlement.reason;
    if (settlement.status == "succeeded") payment->settled_at = now_ms;
    BillingStore::stage_payment(batch, *payment);
    Language language = user_language(store_, payment->user_id);
    Text told;
    if (settlement.status == "succeeded")
      told = {"Платёж " + payment->id + " на " + rubles(payment->kopecks) + " прошёл. Спасибо!",
              "Payment " + payment->id + " of " + rubles(payment->kopecks) + " went through. Thank you!"};
    else if (settlement.status == "failed")
      told = {"Платёж " + payment->id + " на " + rubles(payment->kopecks) + " не прошёл: " + settlement.reason.substr(0, settlement.reason.find(" / ")) +
                  ". Попробуйте ещё раз: !оплатить.",
              "Payment " + payment->id + " of " + rubles(payment->kopecks) + " failed: " +
                  (settlement.reason.find(" / ") == std::string::npos ? settlement.reason : settlement.reason.substr(settlement.reason.find(" / ") + 3)) +
                  ". Try again: !pay."};
    else
      told = {"Платёж " + payment->id + " на " + rubles(payment->kopecks) + " возвращён.",
              "Payment " + payment->id + " of " + rubles(payment->kopecks) + " was refunded."};
    out.to_user(user_id_, payment->user_id, {told.in(language), {}});
  }
}

}  // namespace domovoy::housing
