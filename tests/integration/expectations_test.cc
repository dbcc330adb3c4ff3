#include "tests/integration/testing/expectations.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace flopscope::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

TEST(PythonCommentsTest, SkipsHashesInsideStringsAndDocstrings) {
  const char* text =
      "\"\"\"Docstring # expect: FS101\nstill docstring\"\"\"\n"
      "x = '#not' + \"a # b\"  # real one\n"
      "y = r'\\'#' # second\n"
      "# standalone\n"
      "s = 'unterminated # still string\n"
      "z = 1 # after\n";
  std::vector<PythonComment> comments = PythonComments(text);
  ASSERT_EQ(comments.size(), 4u);
  EXPECT_EQ(comments[0].line, 3);
  EXPECT_EQ(comments[0].text, " real one");
  EXPECT_TRUE(comments[0].trailing);
  EXPECT_EQ(comments[1].line, 4);
  EXPECT_EQ(comments[1].text, " second");
  EXPECT_EQ(comments[2].line, 5);
  EXPECT_FALSE(comments[2].trailing);
  EXPECT_EQ(comments[3].line, 7);
}

TEST(ParseExpectationsTest, TrailingAnnotationsWithSeveralKeywordsAndSubstrings) {
  FileExpectations e = ParseExpectations(
      "a.py",
      "m = load()  # expect: FS101 \"reloaded\" FS401 allow: FS103\n"
      "n = load()  # expect: FS101 # allow: FS105\n"
      "# a plain comment: nothing here\n");
  EXPECT_THAT(e.errors, IsEmpty());
  ASSERT_EQ(e.annotations.size(), 5u);
  EXPECT_EQ(e.annotations[0].code, "FS101");
  EXPECT_EQ(e.annotations[0].substring, "reloaded");
  EXPECT_EQ(e.annotations[0].line, 1);
  EXPECT_EQ(e.annotations[1].code, "FS401");
  EXPECT_EQ(e.annotations[1].substring, "");
  EXPECT_EQ(e.annotations[2].kind, AnnotationKind::kAllow);
  EXPECT_EQ(e.annotations[4].kind, AnnotationKind::kAllow);
  EXPECT_EQ(e.annotations[4].code, "FS105");
  EXPECT_EQ(e.annotations[4].line, 2);
}

TEST(ParseExpectationsTest, StandaloneAnnotationsApplyToTheNextCodeLine) {
  FileExpectations e = ParseExpectations(
      "a.py",
      "# known-fn: FS101 -- partial is not resolved yet\n"
      "\n"
      "# another comment\n"
      "load = partial(f)\n"
      "x = 1  # known-fp: FS201 FS202 -- hook context unknown\n");
  EXPECT_THAT(e.errors, IsEmpty());
  ASSERT_EQ(e.annotations.size(), 3u);
  EXPECT_EQ(e.annotations[0].kind, AnnotationKind::kKnownFn);
  EXPECT_EQ(e.annotations[0].line, 4);
  EXPECT_EQ(e.annotations[0].comment_line, 1);
  EXPECT_EQ(e.annotations[0].reason, "partial is not resolved yet");
  EXPECT_EQ(e.annotations[2].code, "FS202");
  EXPECT_EQ(e.annotations[2].reason, "hook context unknown");
}

TEST(ParseExpectationsTest, MalformedAnnotationsAreErrors) {
  EXPECT_THAT(ParseExpectations("a.py", "x  # expect: FS10\n").errors,
              ElementsAre(HasSubstr("a.py:1: `FS10` is not a rule code")));
  EXPECT_THAT(ParseExpectations("a.py", "x  # expect:\n").errors,
              ElementsAre(HasSubstr("lists no rule code")));
  EXPECT_THAT(ParseExpectations("a.py", "x  # known-fp: FS101\n").errors,
              ElementsAre(HasSubstr("needs `-- reason`")));
  EXPECT_THAT(ParseExpectations("a.py", "x  # known-fn: FS101 --\n").errors,
              ElementsAre(HasSubstr("empty reason")));
  EXPECT_THAT(ParseExpectations("a.py", "x  # allow: \"msg\"\n").errors,
              ElementsAre(HasSubstr("quoted message substring")));
  EXPECT_THAT(ParseExpectations("a.py", "x = 1\n# expect: FS101\n").errors,
              ElementsAre(HasSubstr("followed by no code line")));
}

FileExpectations Parse(const char* text) { return ParseExpectations("f.py", text); }

TEST(MatchFindingsTest, EverythingMatched) {
  FileExpectations e = Parse("a  # expect: FS101 \"reload\" allow: FS401\nb\nc  # allow: FS201\n");
  EXPECT_THAT(MatchFindings(e, {{1, "FS101", "`x` reloaded"}, {1, "FS401", "fp32"}}), IsEmpty());
  EXPECT_THAT(MatchFindings(e, {{1, "FS101", "`x` reloaded"}}), IsEmpty());
}

TEST(MatchFindingsTest, MissingAndUnexpectedAreReportedByLine) {
  FileExpectations e = Parse("a  # expect: FS101\nb\nc  # expect: FS103 \"twice\"\n");
  EXPECT_THAT(MatchFindings(e, {{2, "FS201", "grad on"}, {3, "FS103", "loaded again"}}),
              ElementsAre("f.py:1: missing FS101", "f.py:2: unexpected FS201 grad on",
                          "f.py:3: missing FS103 with message containing \"twice\"",
                          "f.py:3: unexpected FS103 loaded again"));
}

TEST(MatchFindingsTest, RepeatedExpectationsNeedRepeatedFindings) {
  FileExpectations e = Parse("a  # expect: FS101 FS101\n");
  EXPECT_THAT(MatchFindings(e, {{1, "FS101", "m"}}), ElementsAre("f.py:1: missing FS101"));
  EXPECT_THAT(MatchFindings(e, {{1, "FS101", "m"}, {1, "FS101", "n"}}), IsEmpty());
  EXPECT_THAT(MatchFindings(Parse("a  # expect: FS101\n"), {{1, "FS101", "m"}, {1, "FS101", "n"}}),
              ElementsAre("f.py:1: unexpected FS101 n"));
}

TEST(MatchFindingsTest, KnownFalsePositivesAndNegativesMustStayTrue) {
  FileExpectations e = Parse(
      "a  # known-fp: FS304 -- container escapes\n"
      "b  # known-fn: FS101 -- partial\n");
  EXPECT_THAT(MatchFindings(e, {{1, "FS304", "stored"}}), IsEmpty());
  EXPECT_THAT(MatchFindings(e, {}),
              ElementsAre("f.py:1: known-fp FS304 is no longer reported: remove the annotation"));
  EXPECT_THAT(MatchFindings(e, {{1, "FS304", "stored"}, {2, "FS101", "reload"}}),
              ElementsAre("f.py:2: known-fn FS101 is now reported: change the annotation to "
                          "`expect: FS101`"));
}

TEST(MatchFindingsTest, ParseErrorsFail) {
  FileExpectations e = Parse("a  # expect: FS1\n");
  EXPECT_THAT(MatchFindings(e, {}), ElementsAre(HasSubstr("f.py:1: `FS1` is not a rule code")));
}

}  // namespace
}  // namespace flopscope::testing
