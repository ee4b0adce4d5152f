// Room names from registry addresses (housing/service/provisioner.hpp): the city, postcode and
// street-type words are dropped, what is left is what neighbours call the building.
#include <gtest/gtest.h>

#include "housing/service/provisioner.hpp"

namespace domovoy::housing {
namespace {

TEST(ShortAddress, DropsCityStreetTypeAndHouseWord) {
  EXPECT_EQ(short_address("г. Санкт-Петербург, ул. Ленина, д. 5"), "Ленина, 5");
  EXPECT_EQ(short_address("190000, г. Санкт-Петербург, наб. реки Фонтанки, д. 10, корп. 2"),
            "реки Фонтанки, 10, корп. 2");
  EXPECT_EQ(short_address("Невский проспект 1"), "Невский проспект 1");
}

TEST(ShortAddress, KeepsAnAddressItCannotShorten) {
  EXPECT_EQ(short_address("г. Москва"), "г. Москва");
  EXPECT_EQ(short_address(""), "");
}

}  // namespace
}  // namespace domovoy::housing
