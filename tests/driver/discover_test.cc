#include "driver/discover.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/driver/temp_tree.h"

namespace flopscope::driver {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

// (module name, is_package) of every discovered file, in discovery order.
std::vector<std::pair<std::string, bool>> Names(const Discovery& discovery) {
  std::vector<std::pair<std::string, bool>> names;
  for (const DiscoveredFile& file : discovery.files) {
    names.emplace_back(file.module_name, file.is_package);
  }
  return names;
}

// Notifications whose path ends with `suffix` and whose message contains `text`.
int CountProblems(const Discovery& discovery, const std::string& suffix, const std::string& text) {
  int count = 0;
  for (const ir::Problem& problem : discovery.problems) {
    if (absl::EndsWith(problem.path, suffix) && absl::StrContains(problem.message, text)) ++count;
  }
  return count;
}

Discovery MustDiscover(std::vector<std::string> paths, DiscoverOptions options = {}) {
  absl::StatusOr<Discovery> discovery = Discover(paths, options);
  EXPECT_TRUE(discovery.ok()) << discovery.status();
  return discovery.ok() ? *std::move(discovery) : Discovery{};
}

TEST(DiscoverTest, NamesPackagesNamespacePackagesAndScripts) {
  testing::TempTree tree;
  tree.Write("proj/main.py", "import pkg\n");
  tree.Write("proj/pkg/__init__.py");
  tree.Write("proj/pkg/mod.py");
  tree.Write("proj/pkg/sub/__init__.py");
  tree.Write("proj/pkg/sub/deep.py");
  tree.Write("proj/ns/part.py");  // no __init__.py: a PEP 420 namespace package
  tree.Write("proj/scripts/run.py");
  tree.Write("proj/README.md");  // not Python: ignored without a word
  const Discovery discovery = MustDiscover({tree.Path("proj")});
  EXPECT_THAT(Names(discovery),
              ElementsAre(Pair("main", false), Pair("ns.part", false), Pair("pkg", true),
                          Pair("pkg.mod", false), Pair("pkg.sub", true),
                          Pair("pkg.sub.deep", false), Pair("scripts.run", false)));
  EXPECT_THAT(discovery.problems, IsEmpty());
  EXPECT_EQ(discovery.files[0].path, tree.Path("proj/main.py"));
}

TEST(DiscoverTest, SrcLayoutNamesStartBelowSrc) {
  testing::TempTree tree;
  tree.Write("proj/src/mypkg/__init__.py");
  tree.Write("proj/src/mypkg/core.py");
  tree.Write("proj/tests/test_core.py");
  tree.Write("proj/setup.py");
  const Discovery discovery = MustDiscover({tree.Path("proj")});
  EXPECT_THAT(Names(discovery),
              ElementsAre(Pair("mypkg", true), Pair("mypkg.core", false), Pair("setup", false),
                          Pair("tests.test_core", false)));
}

TEST(DiscoverTest, SrcThatIsAPackageKeepsItsName) {
  testing::TempTree tree;
  tree.Write("proj/src/__init__.py");
  tree.Write("proj/src/a.py");
  const Discovery discovery = MustDiscover({tree.Path("proj")});
  EXPECT_THAT(Names(discovery), ElementsAre(Pair("src", true), Pair("src.a", false)));
}

TEST(DiscoverTest, PackageArgumentsKeepTheirPackageName) {
  testing::TempTree tree;
  tree.Write("proj/pkg/__init__.py");
  tree.Write("proj/pkg/mod.py");
  tree.Write("proj/pkg/sub/__init__.py");
  tree.Write("proj/pkg/sub/leaf.py");
  EXPECT_THAT(Names(MustDiscover({tree.Path("proj/pkg")})),
              ElementsAre(Pair("pkg", true), Pair("pkg.mod", false), Pair("pkg.sub", true),
                          Pair("pkg.sub.leaf", false)));
  const Discovery single = MustDiscover({tree.Path("proj/pkg/sub/leaf.py")});
  EXPECT_THAT(Names(single), ElementsAre(Pair("pkg.sub.leaf", false)));
  EXPECT_EQ(single.files[0].path, tree.Path("proj/pkg/sub/leaf.py"));
}

TEST(DiscoverTest, ExplicitRootNamesRelativeToIt) {
  testing::TempTree tree;
  tree.Write("proj/tools/gen.py");
  tree.Write("other/x.py");
  DiscoverOptions options;
  options.root = tree.Path("proj");
  EXPECT_THAT(Names(MustDiscover({tree.Path("proj/tools/gen.py")}, options)),
              ElementsAre(Pair("tools.gen", false)));
  EXPECT_THAT(Names(MustDiscover({tree.Path("proj/tools")}, options)),
              ElementsAre(Pair("tools.gen", false)));
  absl::StatusOr<Discovery> outside = Discover({tree.Path("other/x.py")}, options);
  EXPECT_EQ(outside.status().code(), absl::StatusCode::kInvalidArgument);
  options.root = tree.Path("proj/tools/gen.py");
  EXPECT_EQ(Discover({tree.Path("proj/tools/gen.py")}, options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(DiscoverTest, MissingPathIsNotFound) {
  testing::TempTree tree;
  absl::StatusOr<Discovery> discovery = Discover({tree.Path("nope")}, {});
  EXPECT_EQ(discovery.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(discovery.status().message(), "nope"));
}

TEST(DiscoverTest, SymlinkLoopsTerminateWithANotification) {
  testing::TempTree tree;
  tree.Write("proj/pkg/__init__.py");
  tree.Write("proj/pkg/mod.py");
  tree.Symlink("..", "proj/pkg/up");         // back to proj: a loop
  tree.Symlink(".", "proj/pkg/self");        // the directory itself
  tree.Symlink("pkg", "proj/alias");         // a second name for a directory already walked
  tree.Symlink("spin.py", "proj/spin.py");   // a link to itself
  const Discovery discovery = MustDiscover({tree.Path("proj")});
  EXPECT_THAT(Names(discovery), ElementsAre(Pair("pkg", true), Pair("pkg.mod", false)));
  EXPECT_EQ(CountProblems(discovery, "proj/pkg/up", "symbolic link loop"), 1);
  EXPECT_EQ(CountProblems(discovery, "proj/pkg/self", "symbolic link loop"), 1);
  EXPECT_EQ(CountProblems(discovery, "proj/alias", "already walked as"), 1);
  EXPECT_EQ(CountProblems(discovery, "proj/spin.py", "symbolic link loop"), 1);
}

TEST(DiscoverTest, ChainsOfLinksDoNotMultiplyTheWork) {
  // d0 has two links to d1, d1 two to d2, ...: 2^12 paths, one directory each.
  testing::TempTree tree;
  constexpr int kLevels = 12;
  for (int i = 0; i <= kLevels; ++i) {
    tree.Write("proj/d" + std::to_string(i) + "/m.py");
  }
  for (int i = 0; i < kLevels; ++i) {
    const std::string next = "../d" + std::to_string(i + 1);
    tree.Symlink(next, "proj/d" + std::to_string(i) + "/a");
    tree.Symlink(next, "proj/d" + std::to_string(i) + "/b");
  }
  const Discovery discovery = MustDiscover({tree.Path("proj")});
  EXPECT_EQ(discovery.files.size(), static_cast<size_t>(kLevels + 1));
}

TEST(DiscoverTest, FollowsLinksToDirectoriesOutsideTheTree) {
  testing::TempTree tree;
  tree.Write("shared/util.py");
  tree.Symlink("../shared", "proj/lib");
  EXPECT_THAT(Names(MustDiscover({tree.Path("proj")})), ElementsAre(Pair("lib.util", false)));
}

TEST(DiscoverTest, SkippedDirectoriesAreNamedInNotifications) {
  testing::TempTree tree;
  tree.Write("proj/app.py");
  tree.Write("proj/.venv/lib/hidden.py");
  tree.Write("proj/env/pyvenv.cfg", "home = /usr/bin\n");
  tree.Write("proj/env/lib/venv_file.py");
  tree.Write("proj/node_modules/pkg/x.py");
  tree.Write("proj/vendor/site-packages/torch/__init__.py");
  tree.Write("proj/__pycache__/cached.py");
  const Discovery discovery = MustDiscover({tree.Path("proj")});
  EXPECT_THAT(Names(discovery), ElementsAre(Pair("app", false)));
  EXPECT_EQ(CountProblems(discovery, "proj/.venv", "directory skipped: hidden"), 1);
  EXPECT_EQ(CountProblems(discovery, "proj/env", "virtual environment"), 1);
  EXPECT_EQ(CountProblems(discovery, "proj/node_modules", "directory skipped"), 1);
  EXPECT_EQ(CountProblems(discovery, "proj/vendor/site-packages", "directory skipped"), 1);
  EXPECT_EQ(CountProblems(discovery, "__pycache__", ""), 0);
  // A hidden directory named on the command line is what the user asked for.
  EXPECT_THAT(Names(MustDiscover({tree.Path("proj/.venv")})),
              ElementsAre(Pair("lib.hidden", false)));
}

TEST(DiscoverTest, DanglingLinksAndFifosAreNotifiedNotOpened) {
  testing::TempTree tree;
  tree.Write("proj/ok.py");
  tree.Symlink("missing_target.py", "proj/gone.py");
  tree.Fifo("proj/pipe.py");
  tree.Symlink("nowhere", "proj/notpython");  // not a .py name: ignored
  const Discovery discovery = MustDiscover({tree.Path("proj")});
  EXPECT_THAT(Names(discovery), ElementsAre(Pair("ok", false)));
  EXPECT_EQ(CountProblems(discovery, "proj/gone.py", "dangling symbolic link"), 1);
  EXPECT_EQ(CountProblems(discovery, "proj/pipe.py", "not a regular file (fifo)"), 1);
  EXPECT_EQ(discovery.problems.size(), 2u);
  EXPECT_EQ(discovery.problems[0].kind, ir::Problem::Kind::kUnreadable);
}

TEST(DiscoverTest, UnreadableDirectoryIsNotified) {
  testing::TempTree tree;
  tree.Write("proj/locked/x.py");
  ::chmod(tree.Path("proj/locked").c_str(), 0);
  if (::access(tree.Path("proj/locked").c_str(), R_OK) == 0) {
    GTEST_SKIP() << "running as root: permissions do not stop reading (the FIFO and dangling "
                    "link tests cover files that cannot be read)";
  }
  const Discovery discovery = MustDiscover({tree.Path("proj")});
  EXPECT_THAT(Names(discovery), IsEmpty());
  EXPECT_EQ(CountProblems(discovery, "proj/locked", "cannot read directory"), 1);
}

TEST(DiscoverTest, DuplicateModuleNamesKeepBothAndNotify) {
  testing::TempTree tree;
  tree.Write("proj/foo.py");
  tree.Write("proj/foo/__init__.py");
  const Discovery discovery = MustDiscover({tree.Path("proj")});
  // Python prefers the package; so does resolution, which takes the first of equal names.
  EXPECT_THAT(Names(discovery), ElementsAre(Pair("foo", true), Pair("foo", false)));
  EXPECT_EQ(CountProblems(discovery, "proj/foo.py", "duplicate module name `foo`"), 1);
}

TEST(DiscoverTest, SameFileGivenTwiceIsAnalyzedOnce) {
  testing::TempTree tree;
  tree.Write("proj/a.py");
  tree.Write("proj/sub/b.py");
  const Discovery discovery =
      MustDiscover({tree.Path("proj"), tree.Path("proj/a.py"), tree.Path("proj/sub")});
  EXPECT_THAT(Names(discovery), ElementsAre(Pair("a", false), Pair("sub.b", false)));
  EXPECT_THAT(discovery.problems, IsEmpty());
}

TEST(DiscoverTest, EmptyDirectoryAndEmptyFile) {
  testing::TempTree tree;
  tree.Mkdir("empty");
  EXPECT_THAT(MustDiscover({tree.Path("empty")}).files, IsEmpty());
  tree.Write("proj/blank.py", "");
  EXPECT_THAT(Names(MustDiscover({tree.Path("proj/blank.py")})),
              ElementsAre(Pair("blank", false)));
}

TEST(DiscoverTest, ModuleNameFromRelativePath) {
  bool is_package = false;
  EXPECT_EQ(ModuleNameFromRelativePath("a/b/c.py", false, "root", &is_package), "a.b.c");
  EXPECT_FALSE(is_package);
  EXPECT_EQ(ModuleNameFromRelativePath("a/b/__init__.py", false, "root", &is_package), "a.b");
  EXPECT_TRUE(is_package);
  EXPECT_EQ(ModuleNameFromRelativePath("src/a/m.py", true, "root", &is_package), "a.m");
  EXPECT_EQ(ModuleNameFromRelativePath("src/a/m.py", false, "root", &is_package), "src.a.m");
  EXPECT_EQ(ModuleNameFromRelativePath("__init__.py", false, "mypkg", &is_package), "mypkg");
  EXPECT_TRUE(is_package);
  EXPECT_EQ(ModuleNameFromRelativePath("bin/tool", false, "root", &is_package), "bin.tool");
}

}  // namespace
}  // namespace flopscope::driver
