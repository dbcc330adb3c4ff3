#include "driver/source_reader.h"

#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/driver/temp_tree.h"

namespace flopscope::driver {
namespace {

using ::testing::IsEmpty;
using ::testing::Optional;
using ::testing::SizeIs;

TEST(SourceReaderTest, EmptyFileIsAnalyzedWithoutNotification) {
  testing::TempTree tree;
  std::vector<ir::Problem> problems;
  EXPECT_THAT(ReadSourceFile(tree.Write("empty.py"), {}, problems), Optional(std::string()));
  EXPECT_THAT(problems, IsEmpty());
}

TEST(SourceReaderTest, InvalidUtf8IsReplacedAndNotified) {
  std::vector<ir::Problem> problems;
  // Line 2, byte column 6 holds a lone 0xFF; then a truncated 3-byte sequence at the end.
  const std::optional<std::string> text =
      DecodeSource("x = 1\ny = '\xFF'\nz = '\xE2\x82'\n", "bad.py", problems);
  ASSERT_TRUE(text.has_value());
  EXPECT_EQ(*text, "x = 1\ny = '\xEF\xBF\xBD'\nz = '\xEF\xBF\xBD\xEF\xBF\xBD'\n");
  ASSERT_THAT(problems, SizeIs(1));
  EXPECT_EQ(problems[0].kind, ir::Problem::Kind::kNotUtf8);
  EXPECT_EQ(problems[0].path, "bad.py");
  EXPECT_EQ(problems[0].range.line, 2u);
  EXPECT_EQ(problems[0].range.col, 6u);
  EXPECT_TRUE(absl::StrContains(problems[0].message, "byte offset 11")) << problems[0].message;
  EXPECT_TRUE(absl::StrContains(problems[0].message, "3 invalid bytes")) << problems[0].message;
}

TEST(SourceReaderTest, OverlongFormsAndSurrogatesAreInvalid) {
  std::vector<ir::Problem> problems;
  // "\xC0\xAF" is an overlong '/', "\xED\xA0\x80" a UTF-16 surrogate: Python rejects both.
  std::string replaced;
  for (int i = 0; i < 5; ++i) replaced += "\xEF\xBF\xBD";  // one U+FFFD per invalid byte
  EXPECT_THAT(DecodeSource("a = '\xC0\xAF\xED\xA0\x80'\n", "x.py", problems),
              Optional("a = '" + replaced + "'\n"));
  EXPECT_THAT(problems, SizeIs(1));
  problems.clear();
  const std::string valid = "s = '\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80'\n";  // é € 😀
  EXPECT_THAT(DecodeSource(valid, "ok.py", problems), Optional(valid));
  EXPECT_THAT(problems, IsEmpty());
}

TEST(SourceReaderTest, CodingDeclarationsAreHonoured) {
  std::vector<ir::Problem> problems;
  EXPECT_THAT(DecodeSource("# -*- coding: latin-1 -*-\nx = '\xE9'\n", "l1.py", problems),
              Optional(std::string("# -*- coding: latin-1 -*-\nx = '\xC3\xA9'\n")));
  // KOI8-R 0xC1 is Cyrillic small a (U+0430).
  EXPECT_THAT(DecodeSource("#!/usr/bin/env python\n# coding=koi8-r\nx = '\xC1'\n", "k.py",
                           problems),
              Optional(std::string("#!/usr/bin/env python\n# coding=koi8-r\nx = '\xD0\xB0'\n")));
  EXPECT_THAT(problems, IsEmpty());
}

TEST(SourceReaderTest, UnknownEncodingIsNotifiedAndReadAsUtf8) {
  std::vector<ir::Problem> problems;
  EXPECT_THAT(DecodeSource("# coding: uft-8\nx = 1\n", "typo.py", problems),
              Optional(std::string("# coding: uft-8\nx = 1\n")));
  ASSERT_THAT(problems, SizeIs(1));
  EXPECT_EQ(problems[0].kind, ir::Problem::Kind::kNotUtf8);
  EXPECT_TRUE(absl::StrContains(problems[0].message, "unknown source encoding `uft-8`"));
}

TEST(SourceReaderTest, DeclaredEncodingFollowsPythonsRules) {
  EXPECT_EQ(DeclaredEncoding("# vim: set fileencoding=UTF_8 :\n"), "utf-8");
  EXPECT_EQ(DeclaredEncoding("# -*- coding: ISO-Latin-1-unix -*-\n"), "iso-8859-1");
  EXPECT_EQ(DeclaredEncoding("\n# coding: cp1252\n"), "cp1252");
  // The second line counts only after a comment-only (or blank) first line.
  EXPECT_EQ(DeclaredEncoding("import os\n# coding: cp1252\n"), "");
  EXPECT_EQ(DeclaredEncoding("x = 1  # coding: cp1252\n"), "");
  EXPECT_EQ(DeclaredEncoding("# just a comment\n\n# coding: cp1252\n"), "");
  EXPECT_EQ(DeclaredEncoding("\xEF\xBB\xBF# coding: utf-8\n"), "utf-8");
}

TEST(SourceReaderTest, ByteOrderMarkIsDropped) {
  std::vector<ir::Problem> problems;
  EXPECT_THAT(DecodeSource("\xEF\xBB\xBFx = 1\n", "bom.py", problems),
              Optional(std::string("x = 1\n")));
  EXPECT_THAT(problems, IsEmpty());
}

TEST(SourceReaderTest, NulByteSkipsTheFile) {
  std::vector<ir::Problem> problems;
  EXPECT_EQ(DecodeSource(std::string("x = 1\ny = 2\0\n", 13), "nul.py", problems), std::nullopt);
  ASSERT_THAT(problems, SizeIs(1));
  EXPECT_EQ(problems[0].range.line, 2u);
  EXPECT_EQ(problems[0].range.col, 6u);
  EXPECT_TRUE(absl::StrContains(problems[0].message, "NUL byte"));
}

TEST(SourceReaderTest, TooLargeFileIsSkipped) {
  testing::TempTree tree;
  std::vector<ir::Problem> problems;
  ReadLimits limits;
  limits.max_bytes = 10;
  EXPECT_EQ(ReadSourceFile(tree.Write("big.py", "x = 12345678\n"), limits, problems),
            std::nullopt);
  ASSERT_THAT(problems, SizeIs(1));
  EXPECT_EQ(problems[0].kind, ir::Problem::Kind::kTooLarge);
  problems.clear();
  EXPECT_THAT(ReadSourceFile(tree.Write("small.py", "x = 1\n"), limits, problems),
              Optional(std::string("x = 1\n")));
}

TEST(SourceReaderTest, FilesThatCannotBeReadAreNotifiedNeverFatal) {
  testing::TempTree tree;
  std::vector<ir::Problem> problems;
  tree.Symlink("absent.py", "gone.py");
  EXPECT_EQ(ReadSourceFile(tree.Path("gone.py"), {}, problems), std::nullopt);
  // A FIFO must neither block the reader nor be taken for source.
  tree.Fifo("pipe.py");
  EXPECT_EQ(ReadSourceFile(tree.Path("pipe.py"), {}, problems), std::nullopt);
  ASSERT_THAT(problems, SizeIs(2));
  EXPECT_EQ(problems[0].kind, ir::Problem::Kind::kUnreadable);
  EXPECT_TRUE(absl::StrContains(problems[0].message, "No such file")) << problems[0].message;
  EXPECT_EQ(problems[1].kind, ir::Problem::Kind::kUnreadable);
  EXPECT_TRUE(absl::StrContains(problems[1].message, "not a regular file"));
  // Permissions stop only an unprivileged reader; tests may well run as root.
  const std::string locked = tree.Write("locked.py", "x = 1\n");
  ::chmod(locked.c_str(), 0);
  problems.clear();
  const std::optional<std::string> text = ReadSourceFile(locked, {}, problems);
  if (::access(locked.c_str(), R_OK) == 0) {
    EXPECT_THAT(text, Optional(std::string("x = 1\n")));
    EXPECT_THAT(problems, IsEmpty());
  } else {
    EXPECT_EQ(text, std::nullopt);
    ASSERT_THAT(problems, SizeIs(1));
    EXPECT_TRUE(absl::StrContains(problems[0].message, "Permission denied"));
  }
}

}  // namespace
}  // namespace flopscope::driver
