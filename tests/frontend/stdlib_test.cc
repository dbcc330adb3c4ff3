// Lowers every .py file of the installed CPython standard library: nothing may crash, every
// function must be structurally valid pre-SSA IR (ir::Verify), and files that parse cleanly must
// report no problems. Filter with -R Stdlib / --gtest_filter=*Stdlib*.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "frontend/frontend.h"
#include "gtest/gtest.h"
#include "ir/ir.h"
#include "ir/passes.h"

namespace flopscope::frontend {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> StdlibFiles() {
  std::vector<fs::path> files;
  for (const char* root : {"/usr/lib/python3.11", "/usr/lib/python3"}) {
    std::error_code error;
    if (!fs::is_directory(root, error)) continue;
    for (auto it = fs::recursive_directory_iterator(
             root, fs::directory_options::skip_permission_denied, error);
         it != fs::recursive_directory_iterator(); it.increment(error)) {
      if (error) break;
      if (it->is_regular_file(error) && it->path().extension() == ".py") {
        files.push_back(it->path());
      }
    }
    if (!files.empty()) break;
  }
  return files;
}

TEST(FrontendStdlib, LowersEveryStandardLibraryFile) {
  const std::vector<fs::path> files = StdlibFiles();
  if (files.empty()) GTEST_SKIP() << "no CPython standard library installed";
  size_t functions = 0;
  size_t with_problems = 0;
  double seconds = 0;
  for (const fs::path& path : files) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    SourceFile source;
    source.path = path.string();
    source.module_name = path.stem().string();
    source.text = text.str();
    const auto start = std::chrono::steady_clock::now();
    absl::StatusOr<ir::ModuleUnit> unit = ParseAndLower(std::move(source));
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ASSERT_TRUE(unit.ok()) << path << ": " << unit.status();
    ASSERT_FALSE(unit->functions.empty()) << path;
    EXPECT_EQ(unit->functions[0].kind, ir::FunctionKind::kModule) << path;
    if (!unit->module.problems.empty()) ++with_problems;
    for (ir::Function& fn : unit->functions) {
      ir::ComputeCfg(fn);
      const absl::Status status = ir::Verify(fn);
      EXPECT_TRUE(status.ok()) << path << " " << fn.qualname << ": " << status;
      ++functions;
    }
  }
  std::cout << files.size() << " files, " << functions << " functions, " << with_problems
            << " files with problems, parse+lower " << seconds << " s\n";
  // The standard library is almost entirely valid Python 3 (lib2to3's Python 2 test data aside).
  EXPECT_LT(with_problems, files.size() / 20);
}

}  // namespace
}  // namespace flopscope::frontend
