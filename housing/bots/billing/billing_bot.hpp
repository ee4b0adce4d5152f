#pragma once
// «Квитанции» (@billing): the month's bill per personal account (services, tariffs, volumes and
// how each was found, amounts, the penalty, the total and the due date), the balance, and
// payments through the payment provider, whose progress it tells the resident.
#include <chrono>

#include "housing/bots/billing/billing_engine.hpp"
#include "housing/bots/billing/payment_provider.hpp"
#include "housing/bots/bot.hpp"
#include "housing/bots/notices/notice_store.hpp"
#include "housing/bots/residence.hpp"
#include "housing/process/housing_directory.hpp"

namespace domovoy::housing {

class BillingBot : public Bot {
 public:
  BillingBot(std::string user_id, HousingDirectory& directory, BillingEngine& engine, BillingStore& bills,
             PaymentProvider& provider, BotStore& store, std::chrono::year_month first_period, const NoticeStore& notices);

  const std::string& user_id() const override { return user_id_; }
  bool knows(const Command& command) const override;
  bool personal(const std::string&) const override { return true; }
  void handle(CommandContext& context) override;
  Message help(Language language) const override;
  Text name() const override { return {"Квитанции", "Billing"}; }

  // One round of the payment loop: pending payments not yet at the provider are created there,
  // and what it settled moves on, its payer told.
  void settle_payments(std::int64_t now_ms, storage::WriteBatch& batch, Conversation& out);
  // Periods before this one have no bills (the billing started then).
  std::chrono::year_month first_period() const { return first_period_; }

 private:
  // The asker's (first) apartment, the registry it lives in kept with it; answers the asker and
  // gives nullopt when they have none.
  struct Home {
    std::shared_ptr<const Registry> registry;
    Residence home;
  };
  std::optional<Home> home_of(CommandContext& context) const;
  AccountBalance balance_with_closed_bills(const Residence& home, CommandContext& context) const;
  void bill(CommandContext& context);
  void balance(CommandContext& context);
  void pay(CommandContext& context);
  void refund(CommandContext& context);
  void apply_settlements(const std::vector<Settlement>& settled, std::int64_t now_ms, storage::WriteBatch& batch,
                         Conversation& out);

  std::string user_id_;
  HousingDirectory& directory_;
  BillingEngine& engine_;
  BillingStore& bills_;
  PaymentProvider& provider_;
  BotStore& store_;
  std::chrono::year_month first_period_;
  const NoticeStore& notices_;  // suppliers' own bills, shown with the month's
};

Text volume_method_name(const std::string& method);  // «по показаниям», «по среднему», «по нормативу»

}  // namespace domovoy::housing
