// Project configuration: [tool.flopscope] in pyproject.toml, its errors, the upward search, and
// exclude patterns applied by discovery.
#include "driver/config.h"

#include <string>
#include <vector>

#include "driver/discover.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/driver/temp_tree.h"

namespace flopscope::driver {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ProjectConfigTest, ReadsTheFlopscopeTable) {
  bool has_table = false;
  absl::StatusOr<ProjectConfig> config = ParseProjectConfig(
      "[project]\nname = \"x\"\n[tool.flopscope]\nselect = [\"FS1\", \"FS201\"]\n"
      "ignore = \"FS104\"\nexclude = [\"scratch\"]\n",
      "pyproject.toml", &has_table);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(has_table);
  ASSERT_TRUE(config->select.has_value());
  EXPECT_THAT(*config->select, ElementsAre("FS1", "FS201"));
  EXPECT_THAT(config->ignore, ElementsAre("FS104"));
  EXPECT_THAT(config->exclude, ElementsAre("scratch"));
}

TEST(ProjectConfigTest, ErrorsNameTheFileAndTheKey) {
  bool has_table = false;
  absl::StatusOr<ProjectConfig> bad_toml =
      ParseProjectConfig("[tool.flopscope\n", "p.toml", &has_table);
  ASSERT_FALSE(bad_toml.ok());
  EXPECT_THAT(bad_toml.status().message(), HasSubstr("p.toml:1:"));
  absl::StatusOr<ProjectConfig> wrong_type =
      ParseProjectConfig("[tool.flopscope]\nselect = 3\n", "p.toml", &has_table);
  ASSERT_FALSE(wrong_type.ok());
  EXPECT_THAT(wrong_type.status().message(), HasSubstr("select must be a list of strings"));
  absl::StatusOr<ProjectConfig> unknown =
      ParseProjectConfig("[tool.flopscope]\nselct = [\"FS1\"]\n", "p.toml", &has_table);
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(unknown.status().message(), HasSubstr("unknown key `selct`"));
}

TEST(ProjectConfigTest, NearestPyprojectWithTheTableWins) {
  flopscope::testing::TempTree tree;
  tree.Write("pyproject.toml", "[tool.flopscope]\nignore = [\"FS305\"]\n");
  tree.Write("pkg/pyproject.toml", "[project]\nname = \"pkg\"\n");  // no table: passed over
  tree.Write("pkg/mod.py", "x = 1\n");
  absl::StatusOr<ProjectConfig> config = LoadProjectConfig({tree.Path("pkg")}, std::nullopt);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->path, tree.Path("pyproject.toml"));
  EXPECT_THAT(config->ignore, ElementsAre("FS305"));
  absl::StatusOr<ProjectConfig> missing =
      LoadProjectConfig({tree.Path("pkg")}, tree.Path("nope.toml"));
  EXPECT_FALSE(missing.ok());
}

TEST(ProjectConfigTest, ExcludePatterns) {
  const std::string base = "/repo";
  EXPECT_TRUE(IsExcluded("/repo/scratch", {"scratch"}, base));
  EXPECT_TRUE(IsExcluded("/repo/a/scratch", {"scratch/"}, base));
  EXPECT_TRUE(IsExcluded("/repo/notebooks/x.py", {"notebooks/*.py"}, base));
  EXPECT_TRUE(IsExcluded("/repo/notebooks/deep/x.py", {"notebooks/*.py"}, base));
  EXPECT_FALSE(IsExcluded("/repo/src/notebooks.py", {"notebooks/*.py"}, base));
  EXPECT_FALSE(IsExcluded("/elsewhere/notebooks/x.py", {"notebooks/*.py"}, base));
  EXPECT_TRUE(IsExcluded("/repo/old_train.py", {"old_*.py"}, base));
  EXPECT_FALSE(IsExcluded("/repo/train.py", {}, base));
}

TEST(ProjectConfigTest, DiscoveryLeavesExcludedFilesOut) {
  flopscope::testing::TempTree tree;
  tree.Write("main.py", "x = 1\n");
  tree.Write("scratch/try.py", "y = 2\n");
  tree.Write("old_run.py", "z = 3\n");
  DiscoverOptions options;
  options.exclude = {"scratch", "old_*.py"};
  options.exclude_base = tree.root();
  absl::StatusOr<Discovery> found = Discover({tree.root()}, options);
  ASSERT_TRUE(found.ok()) << found.status();
  std::vector<std::string> names;
  for (const DiscoveredFile& file : found->files) names.push_back(file.module_name);
  EXPECT_THAT(names, ElementsAre("main"));
  EXPECT_TRUE(found->problems.empty());
}

}  // namespace
}  // namespace flopscope::driver
