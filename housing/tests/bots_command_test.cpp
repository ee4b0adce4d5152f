// How bot commands are read (housing/bots/command.hpp, language.hpp): forgiving of letter case,
// «ё», spaces and no-break spaces; the language follows the command's script.
#include <gtest/gtest.h>

#include "housing/bots/command.hpp"
#include "housing/bots/language.hpp"

namespace domovoy::housing {
namespace {

TEST(BotCommand, WordIsFoldedAndArgumentsTrimmed) {
  auto command = parse_command("  !Показания  ХВС   123,45  ");
  ASSERT_TRUE(command);
  EXPECT_EQ(command->word, "показания");
  EXPECT_EQ(command->args, "ХВС   123,45");
  EXPECT_EQ(command->language, Language::ru);
  EXPECT_TRUE(command->lines.empty());
}

TEST(BotCommand, YoIsYeSoBothSpellingsAreOneCommand) {
  EXPECT_EQ(parse_command("!счёт")->word, "счет");
  EXPECT_EQ(parse_command("!СЧЁТ 2026-11")->word, "счет");
  EXPECT_EQ(parse_command("!счет")->word, "счет");
  EXPECT_EQ(fold_word("СЧЁТЧИКИ"), "счетчики");
  EXPECT_EQ(fold_word("ЯБЛОКО"), "яблоко");  // Р..Я move to the second Cyrillic block
}

TEST(BotCommand, EnglishWordsAreEnglish) {
  auto command = parse_command("!Reading cold 123.45");
  ASSERT_TRUE(command);
  EXPECT_EQ(command->word, "reading");
  EXPECT_EQ(command->language, Language::en);
}

TEST(BotCommand, FollowingLinesAreKeptWithoutEmptyOnes) {
  auto command = parse_command("!собрание новое\nформа: очная\n\n  начало: 2027-01-10 \r\n1. Совет | participants_majority");
  ASSERT_TRUE(command);
  EXPECT_EQ(command->word, "собрание");
  EXPECT_EQ(command->args, "новое");
  ASSERT_EQ(command->lines.size(), 3u);
  EXPECT_EQ(command->lines[0], "форма: очная");
  EXPECT_EQ(command->lines[1], "начало: 2027-01-10");
  EXPECT_EQ(command->lines[2], "1. Совет | participants_majority");
}

TEST(BotCommand, TextThatIsNotACommand) {
  EXPECT_FALSE(parse_command("привет"));
  EXPECT_FALSE(parse_command(""));
  EXPECT_FALSE(parse_command("!"));
  EXPECT_FALSE(parse_command("! счёт"));
  EXPECT_FALSE(parse_command("смотрите !счёт"));
}

TEST(BotCommand, NoBreakSpacesAroundTheTextAreSpaces) {
  auto command = parse_command("\xC2\xA0!help\xC2\xA0");
  ASSERT_TRUE(command);
  EXPECT_EQ(command->word, "help");
  EXPECT_EQ(trim("\xC2\xA0 x \xC2\xA0"), "x");
}

TEST(BotLanguage, CyrillicLatinOrNeither) {
  EXPECT_EQ(language_of("hello"), Language::en);
  EXPECT_EQ(language_of("привет hello"), Language::ru);
  EXPECT_EQ(language_of("12345"), Language::ru);
  EXPECT_EQ(language_of("12345", Language::en), Language::en);
  EXPECT_EQ(split_words(" a\tb  c "), (std::vector<std::string>{"a", "b", "c"}));
}

}  // namespace
}  // namespace domovoy::housing
