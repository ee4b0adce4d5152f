// The housing bots' heavy work on this machine, without the network:
//   meeting tally   — the exact count of an owners' meeting over a building of N apartments
//                     (shares of 1, 1/2, 1/3 + 2/3, 1/4 × 4; 70 % of the owners voting);
//   monthly billing — the month's bills of M personal accounts (two meters each, readings of the
//                     last two months), issued as the monthly run does and written to RocksDB.
//   domovoy_bots_bench [--apartments 1000] [--accounts 100000] [--data DIR]
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>

#include "housing/bots/billing/billing_engine.hpp"
#include "housing/bots/formatting.hpp"
#include "housing/law/meeting.hpp"
#include "storage/database.hpp"

using namespace domovoy;
using namespace domovoy::housing;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point start) { return std::chrono::duration<double, std::milli>(Clock::now() - start).count(); }

Building building_of(int apartments, const std::string& id) {
  Building building;
  building.id = id;
  for (int i = 0; i < apartments; ++i) {
    Apartment apartment;
    apartment.number = std::to_string(i + 1);
    apartment.area_hundredths = 3000 + (i * 37) % 7000;
    apartment.account = id + "-" + apartment.number;
    switch (i % 4) {
      case 0: apartment.owners = {{"a", Rational(1)}}; break;
      case 1: apartment.owners = {{"a", Rational(1, 2)}, {"b", Rational(1, 2)}}; break;
      case 2: apartment.owners = {{"a", Rational(1, 3)}, {"b", Rational(2, 3)}}; break;
      default: apartment.owners = {{"a", Rational(1, 4)}, {"b", Rational(1, 4)}, {"c", Rational(1, 4)}, {"d", Rational(1, 4)}};
    }
    Meter cold, hot;
    cold.type = MeterType::cold;
    cold.serial = "C" + std::to_string(i);
    hot.type = MeterType::hot;
    hot.serial = "H" + std::to_string(i);
    apartment.meters = {cold, hot};
    building.apartments.push_back(std::move(apartment));
  }
  return building;
}

void tally_bench(int apartments) {
  auto building = building_of(apartments, "bench");
  law::MeetingTally tally;
  tally.total_votes = law::building_votes(building);
  tally.questions = {{"q1", law::Threshold::participants_majority}, {"q2", law::Threshold::all_votes_majority},
                     {"q3", law::Threshold::all_votes_two_thirds}};
  std::size_t owners = 0;
  for (const auto& apartment : building.apartments)
    for (std::size_t o = 0; o < apartment.owners.size(); ++o, ++owners) {
      if (owners % 10 >= 7) continue;  // 70 % of the owners vote
      law::Ballot ballot{law::owner_voter_id(apartment.number, o), law::owner_votes(apartment, o), {}};
      for (int q = 0; q < 3; ++q)
        ballot.answers.push_back(static_cast<law::Choice>((owners + static_cast<std::size_t>(q)) % 3));
      tally.ballots.push_back(std::move(ballot));
    }
  const int runs = 20;
  law::TallyResult result;
  auto start = Clock::now();
  for (int i = 0; i < runs; ++i) result = law::tally(tally);
  auto each = ms_since(start) / runs;
  std::cout << "meeting tally: " << apartments << " apartments, " << owners << " owners, " << tally.ballots.size()
            << " ballots, 3 questions: " << each << " ms per tally (quorum " << (result.quorum ? "yes" : "no") << ", "
            << law::format_percent(result.participants, result.total_votes) << ")\n";
}

void billing_bench(int accounts, const std::string& dir) {
  std::filesystem::remove_all(dir);
  auto database = storage::Database::open({dir, true, 256});
  BillingStore bills(*database);
  MeterStore meters(*database);
  BillingSetup setup;
  law::Service maintenance, cold, hot;
  maintenance.name = "Содержание";
  maintenance.unit = "м²";
  maintenance.tariff_kopecks = 3850;
  cold.name = "ХВС";
  cold.unit = "м³";
  cold.tariff_kopecks = 5420;
  cold.basis = law::ServiceBasis::metered;
  cold.meter = MeterType::cold;
  cold.norm.volume = Decimal{4900, 3};
  hot = cold;
  hot.name = "ГВС";
  hot.tariff_kopecks = 24130;
  hot.meter = MeterType::hot;
  setup.services = {maintenance, cold, hot};
  BillingEngine engine(bills, meters, setup);
  const int per_building = 100;
  std::vector<Building> buildings;
  for (int b = 0; b * per_building < accounts; ++b)
    buildings.push_back(building_of(std::min(per_building, accounts - b * per_building), "b" + std::to_string(b)));
  // Readings of September and October (the second one missing for every fifth apartment: the
  // average is used), written as residents would have sent them.
  std::chrono::year_month september{std::chrono::year{2026}, std::chrono::month{9}};
  auto start = Clock::now();
  for (const auto& building : buildings) {
    storage::WriteBatch batch;
    for (std::size_t a = 0; a < building.apartments.size(); ++a)
      for (const auto& meter : building.apartments[a].meters)
        for (int m = 0; m < 2; ++m) {
          if (m == 1 && a % 5 == 0) continue;
          auto month = september + std::chrono::months{m};
          std::chrono::year_month_day day{month.year(), month.month(), std::chrono::day{22}};
          MeterStore::stage_reading(batch, building.id, building.apartments[a].number, meter,
                                    StoredReading{local_midnight_ms(day), Decimal{100000 + m * 4500 + static_cast<std::int64_t>(a), 3},
                                                  month, true, {}});
        }
    database->write(std::move(batch));
  }
  std::cout << "monthly billing: readings of " << accounts << " accounts written in " << ms_since(start) / 1000 << " s\n";
  // The run of 1 November: October's bill of every account, one write per building.
  std::chrono::year_month october = september + std::chrono::months{1};
  auto now = local_midnight_ms(std::chrono::year_month_day{std::chrono::year{2026}, std::chrono::month{11}, std::chrono::day{1}}) + 3600000;
  start = Clock::now();
  std::size_t issued = 0;
  std::int64_t total = 0;
  for (const auto& building : buildings) {
    storage::WriteBatch batch;
    for (const auto& apartment : building.apartments) {
      auto bill = engine.issue(building, apartment, october, now, batch);
      total += bill.total_kopecks;
      ++issued;
    }
    database->write(std::move(batch));
  }
  auto seconds = ms_since(start) / 1000;
  std::cout << "monthly billing: " << issued << " bills issued and stored in " << seconds << " s = "
            << static_cast<long>(static_cast<double>(issued) / seconds) << " accounts/s (total " << total / 100 << " ₽)\n";
}

}  // namespace

int main(int argc, char** argv) {
  int apartments = 1000, accounts = 100000;
  std::string dir = (std::filesystem::temp_directory_path() / "domovoy-bots-bench").string();
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--apartments") apartments = std::atoi(argv[i + 1]);
    else if (flag == "--accounts") accounts = std::atoi(argv[i + 1]);
    else if (flag == "--data") dir = argv[i + 1];
  }
  tally_bench(apartments);
  billing_bench(accounts, dir);
  std::filesystem::remove_all(dir);
  return 0;
}
