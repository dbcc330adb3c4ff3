// Suppression comments: which comments count, which codes they name, and that a `#` inside a
// string is never read as a comment.
#include "frontend/suppressions.h"

#include <string>
#include <vector>

#include "frontend/frontend.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace flopscope::frontend {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(SuppressionCommentTest, NoqaNamesOnlyFlopscopeCodes) {
  auto s = ParseSuppressionComment("# noqa: FS401, E501 FS105");
  ASSERT_TRUE(s.has_value());
  EXPECT_THAT(s->codes, ElementsAre("FS401", "FS105"));
  EXPECT_TRUE(s->Covers("FS105"));
  EXPECT_FALSE(s->Covers("FS101"));
  EXPECT_TRUE(ParseSuppressionComment("#NOQA:FS201").has_value());
}

TEST(SuppressionCommentTest, BareNoqaAndForeignCodesSuppressNothing) {
  EXPECT_FALSE(ParseSuppressionComment("# noqa").has_value());
  EXPECT_FALSE(ParseSuppressionComment("# noqa: E501, F401").has_value());
  EXPECT_FALSE(ParseSuppressionComment("# this is noqa: FS401 prose").has_value());
}

TEST(SuppressionCommentTest, FlopscopeIgnore) {
  auto all = ParseSuppressionComment("# flopscope: ignore");
  ASSERT_TRUE(all.has_value());
  EXPECT_THAT(all->codes, IsEmpty());
  EXPECT_TRUE(all->Covers("FS304"));
  auto some = ParseSuppressionComment("# type: ignore  # flopscope: ignore[FS101, FS103]");
  ASSERT_TRUE(some.has_value());
  EXPECT_THAT(some->codes, ElementsAre("FS101", "FS103"));
  EXPECT_FALSE(ParseSuppressionComment("# flopscope: ignored on purpose").has_value());
  EXPECT_FALSE(ParseSuppressionComment("# flopscope: ignore[]").has_value());
}

TEST(SuppressionCommentTest, CollectedFromCommentsNotStrings) {
  SourceFile source;
  source.path = "m.py";
  source.module_name = "m";
  source.text =
      "x = '# noqa: FS401'; y = load()  # noqa: FS401\n"
      "s = \"\"\"\n# flopscope: ignore\n\"\"\"\n"
      "z = 1  # flopscope: ignore[FS305]\n"
      "w = '#'  # unrelated\n";
  absl::StatusOr<ir::ModuleUnit> unit = ParseAndLower(source);
  ASSERT_TRUE(unit.ok()) << unit.status();
  const std::vector<ir::Suppression>& found = unit->module.suppressions;
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].line, 1u);
  EXPECT_THAT(found[0].codes, ElementsAre("FS401"));
  EXPECT_EQ(found[1].line, 5u);
  EXPECT_THAT(found[1].codes, ElementsAre("FS305"));
}

}  // namespace
}  // namespace flopscope::frontend
