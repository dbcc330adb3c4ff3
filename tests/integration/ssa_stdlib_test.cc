// The IR passes over real code: every .py file of the installed CPython standard library is
// lowered, then each function goes through ComputeCfg, Verify (lowering's own output), BuildSsa,
// FindLoops and Verify again. Any verifier failure is a bug in lowering or in the passes; the
// test prints the first ones with the file they came from.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "frontend/frontend.h"
#include "gtest/gtest.h"
#include "ir/ir.h"
#include "ir/passes.h"
#include "util/utf8.h"

namespace flopscope {
namespace {

constexpr char kStdlib[] = "/usr/lib/python3.11";
constexpr size_t kFailuresShown = 20;

std::vector<std::filesystem::path> PythonFiles(const std::filesystem::path& root) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(
           root, std::filesystem::directory_options::skip_permission_denied, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec) && it->path().extension() == ".py") files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

struct Counts {
  size_t files = 0;
  size_t not_utf8 = 0;
  size_t not_lowered = 0;
  size_t functions = 0;
  size_t blocks = 0;
  size_t instrs = 0;
  size_t phis = 0;
  size_t loops = 0;
  double lower_seconds = 0;
  double passes_seconds = 0;
};

TEST(SsaStdlibTest, EveryFunctionVerifiesAfterSsaAndLoops) {
  if (!std::filesystem::is_directory(kStdlib)) GTEST_SKIP() << kStdlib << " is not installed";
  Counts counts;
  std::vector<std::string> lowering_failures;
  std::vector<std::string> pass_failures;
  using Clock = std::chrono::steady_clock;
  for (const std::filesystem::path& path : PythonFiles(kStdlib)) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    frontend::SourceFile source;
    source.path = path.string();
    source.module_name = path.stem().string();
    source.text = buffer.str();
    ++counts.files;
    // The frontend's contract is valid UTF-8 (the driver repairs input before lowering).
    if (utf8::ValidPrefixLength(source.text) != source.text.size()) {
      ++counts.not_utf8;
      continue;
    }
    const auto t0 = Clock::now();
    absl::StatusOr<ir::ModuleUnit> unit = frontend::ParseAndLower(std::move(source));
    const auto t1 = Clock::now();
    counts.lower_seconds += std::chrono::duration<double>(t1 - t0).count();
    if (!unit.ok()) {
      ++counts.not_lowered;
      continue;
    }
    for (ir::Function& fn : unit->functions) {
      ++counts.functions;
      ir::ComputeCfg(fn);
      if (absl::Status s = ir::Verify(fn); !s.ok()) {
        lowering_failures.push_back(absl::StrCat(path.string(), ": before SSA: ", s.message()));
      }
      const auto p0 = Clock::now();
      ir::BuildSsa(fn);
      ir::FindLoops(fn);
      const auto p1 = Clock::now();
      counts.passes_seconds += std::chrono::duration<double>(p1 - p0).count();
      if (absl::Status s = ir::Verify(fn); !s.ok()) {
        pass_failures.push_back(absl::StrCat(path.string(), ": after SSA: ", s.message()));
      }
      counts.blocks += fn.blocks.size();
      counts.loops += fn.loops.size();
      for (const ir::Block& block : fn.blocks) {
        counts.instrs += block.instrs.size();
        for (ir::InstrId id : block.instrs) counts.phis += fn.instr(id).op == ir::Opcode::kPhi;
      }
    }
  }
  std::cout << "stdlib: " << counts.files << " files (" << counts.not_utf8 << " not UTF-8, "
            << counts.not_lowered << " not lowered), " << counts.functions << " functions, "
            << counts.blocks << " blocks, " << counts.instrs << " live instructions, "
            << counts.phis << " phis, " << counts.loops << " loops; parse+lower "
            << counts.lower_seconds << " s, ssa+loops " << counts.passes_seconds << " s\n";
  for (size_t i = 0; i < std::min(kFailuresShown, lowering_failures.size()); ++i) {
    std::cout << lowering_failures[i] << "\n";
  }
  for (size_t i = 0; i < std::min(kFailuresShown, pass_failures.size()); ++i) {
    std::cout << pass_failures[i] << "\n";
  }
  EXPECT_GT(counts.functions, 10000u);
  EXPECT_EQ(lowering_failures.size(), 0u) << "functions whose lowered IR fails Verify";
  EXPECT_EQ(pass_failures.size(), 0u) << "functions that fail Verify after BuildSsa+FindLoops";
}

}  // namespace
}  // namespace flopscope
