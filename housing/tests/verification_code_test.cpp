// Verification codes: format, entropy, an alphabet without look-alikes, forgiving normalisation
// and the stored hash.
#include "housing/verification/verification_code.hpp"

#include <gtest/gtest.h>
#include <sodium.h>

#include <cmath>
#include <map>
#include <regex>
#include <set>
#include <stdexcept>
#include <string>

namespace domovoy::housing {
namespace {

// The server's main() calls sodium_init(); so do the tests, before any test runs.
const bool kSodiumReady = [] {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  return true;
}();

TEST(VerificationCode, HasAtLeastFortyBitsOfEntropy) {
  double bits = verification_code_entropy_bits();
  EXPECT_GE(bits, 40.0);
  EXPECT_DOUBLE_EQ(bits, static_cast<double>(kCodeLength) * std::log2(static_cast<double>(kCodeAlphabet.size())));
  EXPECT_NEAR(bits, 49.07, 0.01);
}

TEST(VerificationCode, AlphabetHasNoLookAlikes) {
  for (char confusable : std::string("0O1IL") + "U")
    EXPECT_EQ(kCodeAlphabet.find(confusable), std::string_view::npos) << confusable;
  std::set<char> distinct(kCodeAlphabet.begin(), kCodeAlphabet.end());
  EXPECT_EQ(distinct.size(), kCodeAlphabet.size());
  for (char c : kCodeAlphabet) EXPECT_TRUE((c >= '2' && c <= '9') || (c >= 'A' && c <= 'Z')) << c;
}

TEST(VerificationCode, IsPrintedInGroupsOfFour) {
  std::regex printed("^[" + std::string(kCodeAlphabet) + "]{4}-[" + std::string(kCodeAlphabet) + "]{4}-[" +
                     std::string(kCodeAlphabet) + "]{2}$");
  for (int i = 0; i < 100; ++i) {
    auto code = generate_verification_code();
    EXPECT_TRUE(std::regex_match(code, printed)) << code;
    auto normalised = normalise_verification_code(code);
    ASSERT_TRUE(normalised) << code;
    EXPECT_EQ(format_verification_code(*normalised), code);
  }
}

TEST(VerificationCode, TenThousandDrawsAreDistinctAndUseTheWholeAlphabet) {
  std::set<std::string> codes;
  std::map<char, int> counts;
  constexpr int kDraws = 10000;
  for (int i = 0; i < kDraws; ++i) {
    auto code = generate_verification_code();
    codes.insert(code);
    for (char c : code)
      if (c != '-') ++counts[c];
  }
  EXPECT_EQ(codes.size(), static_cast<std::size_t>(kDraws));
  // 100 000 characters: each of 30 is expected 3 333 times; 2 500 is over 14 standard deviations off.
  EXPECT_EQ(counts.size(), kCodeAlphabet.size());
  for (auto [c, count] : counts) {
    EXPECT_NE(kCodeAlphabet.find(c), std::string_view::npos) << c;
    EXPECT_GT(count, 2500) << c;
  }
}

TEST(VerificationCode, NormalisationIgnoresCaseDashesAndSpaces) {
  EXPECT_EQ(normalise_verification_code("k7qm 4xrt-pw"), normalise_verification_code("K7QM4XRTPW"));
  EXPECT_EQ(normalise_verification_code("K7QM4XRTPW"), "K7QM4XRTPW");
  EXPECT_EQ(normalise_verification_code("K7QM-4XRT-PW"), "K7QM4XRTPW");
  EXPECT_EQ(normalise_verification_code("  k7qm\t4xrt  pw "), "K7QM4XRTPW");
  EXPECT_EQ(normalise_verification_code("K-7-Q-M-4-X-R-T-P-W"), "K7QM4XRTPW");
}

TEST(VerificationCode, NormalisationReadsTypographicDashesAndNoBreakSpaces) {
  // en dash, em dash, minus sign, no-break and narrow no-break spaces, as copied from a PDF bill.
  EXPECT_EQ(normalise_verification_code("K7QM\u2013 4XRT\u00A0PW"), "K7QM4XRTPW");
  EXPECT_EQ(normalise_verification_code("K7QM\u20144XRT\u2212PW"), "K7QM4XRTPW");
  EXPECT_EQ(normalise_verification_code("K7QM\u202F4XRT\u2010PW"), "K7QM4XRTPW");
}

TEST(VerificationCode, NormalisationReadsCyrillicLookAlikes) {
  // К, М, Х, Т, Р typed on a Russian layout, in either case.
  EXPECT_EQ(normalise_verification_code("К7QМ-4ХRТ-РW"), "K7QM4XRTPW");
  EXPECT_EQ(normalise_verification_code("к7qм 4хrт рw"), "K7QM4XRTPW");
  EXPECT_EQ(normalise_verification_code("АВЕН-СУЗ2-99"), "ABEHCY3299");  // З for 3
}

TEST(VerificationCode, NormalisationRejectsWhatIsNotACode) {
  for (const char* bad : {"", "K7QM-4XRT-P", "K7QM-4XRT-PWX", "K0QM-4XRT-PW", "KOQM-4XRT-PW", "K1QM-4XRT-PW",
                          "KIQM-4XRT-PW", "KLQM-4XRT-PW", "KUQM-4XRT-PW", "klqm-4xrt-pw",
                          "K\xd0\x9eQM-4XRT-PW" /* Cyrillic О */, "K7QM_4XRT_PW", "K7QM.4XRT.PW", "K7QM-4XRT-P\xff",
                          "K7QM-4XRT-P\xc3", "K7QM-4XRT-PЖ", "K7QM-4XRT-P\xc0\xa0" /* overlong space */})
    EXPECT_FALSE(normalise_verification_code(bad)) << bad;
  EXPECT_FALSE(normalise_verification_code("K7QM4XRTPW" + std::string(60, ' ')));  // over 64 bytes
}

TEST(VerificationCode, HashIsSha256HexOfTheNormalisedCode) {
  // sha256("K7QM4XRTPW"), computed independently.
  const std::string expected = "91372894b9393773e37f6e4e2b98159b0eb26a8d0a8594f08eacfb5fcb8f2dd1";
  EXPECT_EQ(hash_verification_code("K7QM4XRTPW"), expected);
  EXPECT_EQ(hash_verification_code("k7qm 4xrt-pw"), expected);
  EXPECT_EQ(hash_verification_code("К7QМ-4ХRТ-РW"), expected);
  EXPECT_NE(hash_verification_code("K7QM4XRTPX"), expected);
  EXPECT_FALSE(hash_verification_code("not a code"));
}

}  // namespace
}  // namespace domovoy::housing
