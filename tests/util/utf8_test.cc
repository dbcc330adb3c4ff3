#include "util/utf8.h"

#include <string>

#include "gtest/gtest.h"

namespace flopscope::utf8 {
namespace {

Decoded At(absl::string_view text, size_t i = 0) { return DecodeAt(text, i); }

void ExpectInvalid(absl::string_view text) {
  const Decoded d = At(text);
  EXPECT_FALSE(d.valid) << testing::PrintToString(std::string(text));
  EXPECT_EQ(d.code_point, kReplacementChar);
  EXPECT_EQ(d.length, 1u);
}

TEST(Utf8Test, DecodesEachLength) {
  const Decoded a = At("a");
  EXPECT_TRUE(a.valid);
  EXPECT_EQ(a.code_point, 'a');
  EXPECT_EQ(a.length, 1u);
  EXPECT_EQ(At("\xC3\xA9").code_point, 0xE9u);  // é
  EXPECT_EQ(At("\xC3\xA9").length, 2u);
  EXPECT_EQ(At("\xE2\x82\xAC").code_point, 0x20ACu);  // €
  EXPECT_EQ(At("\xE2\x82\xAC").length, 3u);
  EXPECT_EQ(At("\xF0\x9F\x98\x80").code_point, 0x1F600u);  // 😀
  EXPECT_EQ(At("\xF0\x9F\x98\x80").length, 4u);
  EXPECT_EQ(At("x\xC3\xA9", 1).code_point, 0xE9u);
}

TEST(Utf8Test, BoundaryCodePointsAreValid) {
  EXPECT_EQ(At("\x7F").code_point, 0x7Fu);
  EXPECT_EQ(At("\xC2\x80").code_point, 0x80u);
  EXPECT_EQ(At("\xE0\xA0\x80").code_point, 0x800u);
  EXPECT_EQ(At("\xED\x9F\xBF").code_point, 0xD7FFu);  // just below the surrogates
  EXPECT_EQ(At("\xEE\x80\x80").code_point, 0xE000u);  // just above them
  EXPECT_EQ(At("\xF0\x90\x80\x80").code_point, 0x10000u);
  EXPECT_EQ(At("\xF4\x8F\xBF\xBF").code_point, 0x10FFFFu);
}

TEST(Utf8Test, InvalidSequencesDecodeToOneReplacedByte) {
  ExpectInvalid("\x80");              // a lone continuation byte
  ExpectInvalid("\xFF");              // never a lead byte
  ExpectInvalid("\xF8\x88\x80\x80");  // five-byte forms are gone
  ExpectInvalid("\xC3");              // truncated
  ExpectInvalid("\xE2\x82");          // truncated
  ExpectInvalid("\xC3x");             // continuation missing
  ExpectInvalid("\xC0\xAF");          // overlong '/'
  ExpectInvalid("\xE0\x9F\xBF");      // overlong U+07FF
  ExpectInvalid("\xF0\x8F\xBF\xBF");  // overlong U+FFFF
  ExpectInvalid("\xED\xA0\x80");      // surrogate U+D800
  ExpectInvalid("\xED\xBF\xBF");      // surrogate U+DFFF
  ExpectInvalid("\xF4\x90\x80\x80");  // U+110000
  ExpectInvalid("\xF5\x80\x80\x80");
}

TEST(Utf8Test, AppendRoundTripsThroughDecode) {
  for (uint32_t cp : {0x0u, 0x41u, 0x7Fu, 0x80u, 0x7FFu, 0x800u, 0xD7FFu, 0xE000u, 0xFFFDu, 0xFFFFu,
                      0x10000u, 0x1F600u, 0x10FFFFu}) {
    std::string out;
    Append(out, cp);
    const Decoded d = At(out);
    EXPECT_TRUE(d.valid) << cp;
    EXPECT_EQ(d.code_point, cp);
    EXPECT_EQ(d.length, out.size());
  }
  std::string out;
  Append(out, kReplacementChar);
  EXPECT_EQ(out, "\xEF\xBF\xBD");
}

TEST(Utf8Test, ValidPrefixEndsAtTheFirstBadByte) {
  EXPECT_EQ(ValidPrefixLength(""), 0u);
  EXPECT_EQ(ValidPrefixLength("ab\xC3\xA9"), 4u);
  EXPECT_EQ(ValidPrefixLength("ab\xC3\xA9\xC3"), 4u);  // truncated at the end
  EXPECT_EQ(ValidPrefixLength("\xED\xA0\x80ok"), 0u);
}

TEST(Utf8Test, ReplaceInvalidLeavesValidTextAlone) {
  std::string text = "caf\xC3\xA9 \xF0\x9F\x98\x80";
  const std::string before = text;
  size_t first_bad = 99;
  EXPECT_EQ(ReplaceInvalid(text, &first_bad), 0u);
  EXPECT_EQ(text, before);
  EXPECT_EQ(first_bad, 99u);
  std::string empty;
  EXPECT_EQ(ReplaceInvalid(empty, &first_bad), 0u);
}

TEST(Utf8Test, ReplaceInvalidReplacesEachBadByte) {
  std::string text = "ab\xE2\x82x\xC3\xA9\xFF";
  size_t first_bad = 0;
  EXPECT_EQ(ReplaceInvalid(text, &first_bad), 3u);
  EXPECT_EQ(first_bad, 2u);
  EXPECT_EQ(text, "ab\xEF\xBF\xBD\xEF\xBF\xBDx\xC3\xA9\xEF\xBF\xBD");
}

}  // namespace
}  // namespace flopscope::utf8
