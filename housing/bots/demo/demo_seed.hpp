#pragma once
// The demo region's business, seeded once into an empty data directory (`domovoy housing
// --demo`, which the embedded default runs): readings of the last three months, bills of those
// months with one paid, a capital-repair plan and a planned outage per building, and one
// owners' meeting open for voting in the first building, so a newcomer can try every bot at once.
#include <chrono>
#include <cstdint>

#include "housing/bots/billing/billing_engine.hpp"
#include "housing/bots/meetings/meeting_store.hpp"
#include "housing/bots/meters/meter_store.hpp"
#include "housing/bots/notices/notice_store.hpp"
#include "housing/process/bot_store.hpp"
#include "housing/registry/model.hpp"

namespace domovoy::housing {

// The first billed month of a demo started at `now_ms`: three months back.
std::chrono::year_month demo_billing_start(std::int64_t now_ms);

// Does nothing when the directory was seeded before; returns whether it seeded.
bool seed_demo(const Registry& registry, BotStore& store, BillingEngine& billing, std::int64_t now_ms);

}  // namespace domovoy::housing
