// The model's own helpers: vote weights and the spellings of meter types.
#include <gtest/gtest.h>

#include "housing/registry/model.hpp"

namespace domovoy::housing {
namespace {

TEST(Weight, IsAreaTimesShareExactly) {
  EXPECT_EQ(weight(5430, Rational(1, 2)), Rational(2715));
  EXPECT_EQ(weight(5430, Rational(1)), Rational(5430));
  EXPECT_EQ(weight(100, Rational(1, 3)), Rational(100, 3));
  // Three owners of a third each together weigh the whole area, with nothing lost to rounding.
  EXPECT_EQ(weight(100, Rational(1, 3)) + weight(100, Rational(1, 3)) + weight(100, Rational(1, 3)), Rational(100));
  EXPECT_EQ(weight(7215, Rational(1, 3)) + weight(7215, Rational(2, 3)), Rational(7215));
}

TEST(MeterType, SpellingsReadBack) {
  for (auto type : {MeterType::cold, MeterType::hot, MeterType::power_day, MeterType::power_night, MeterType::heat,
                    MeterType::gas})
    EXPECT_EQ(meter_type_from_string(to_string(type)), type);
  EXPECT_EQ(to_string(MeterType::power_night), "power_night");
  EXPECT_FALSE(meter_type_from_string("Cold"));
  EXPECT_FALSE(meter_type_from_string("water"));
}

}  // namespace
}  // namespace domovoy::housing
