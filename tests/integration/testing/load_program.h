// Test helper: loads a fixture directory (or in-memory sources) as a whole Program the way the
// analyzer sees a repository: dotted module names from paths relative to the root
// (pkg/__init__.py -> "pkg", pkg/mod.py -> "pkg.mod"), each file parsed and lowered, then
// ComputeCfg, BuildSsa and FindLoops on every function. Header-only: the driver owns the
// production loader; this one is deliberately small and serial.
#ifndef FLOPSCOPE_TESTS_INTEGRATION_TESTING_LOAD_PROGRAM_H_
#define FLOPSCOPE_TESTS_INTEGRATION_TESTING_LOAD_PROGRAM_H_

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "frontend/frontend.h"
#include "ir/ir.h"
#include "ir/passes.h"

namespace flopscope::testing {

struct SourceSpec {
  std::string relative_path;  // "pkg/mod.py"
  std::string text;
};

// "pkg/sub/__init__.py" -> ("pkg.sub", true); "main.py" -> ("main", false).
inline std::pair<std::string, bool> ModuleNameOf(const std::string& relative_path) {
  std::filesystem::path path(relative_path);
  std::vector<std::string> parts;
  for (const auto& part : path.parent_path()) parts.push_back(part.string());
  const std::string stem = path.stem().string();
  const bool is_package = stem == "__init__";
  if (!is_package) parts.push_back(stem);
  return {absl::StrJoin(parts, "."), is_package};
}

// Lowers every source into one Program, in the given order, and runs the per-function passes.
inline absl::StatusOr<ir::Program> LoadSources(const std::vector<SourceSpec>& sources) {
  ir::Program program;
  for (const SourceSpec& spec : sources) {
    frontend::SourceFile file;
    file.path = spec.relative_path;
    std::tie(file.module_name, file.is_package) = ModuleNameOf(spec.relative_path);
    file.text = spec.text;
    absl::StatusOr<ir::ModuleUnit> unit = frontend::ParseAndLower(std::move(file));
    if (!unit.ok()) {
      return absl::Status(unit.status().code(),
                          absl::StrCat(spec.relative_path, ": ", unit.status().message()));
    }
    program.AddModule(*std::move(unit));
  }
  for (ir::Function& fn : program.mutable_functions()) {
    ir::ComputeCfg(fn);
    ir::BuildSsa(fn);
    ir::FindLoops(fn);
  }
  return program;
}

// Every *.py under `root` (sorted by relative path, so module ids are stable).
inline absl::StatusOr<ir::Program> LoadProgram(const std::filesystem::path& root) {
  std::error_code error;
  if (!std::filesystem::is_directory(root, error)) {
    return absl::NotFoundError(absl::StrCat("no fixture directory ", root.string()));
  }
  std::vector<SourceSpec> sources;
  for (auto it = std::filesystem::recursive_directory_iterator(root, error);
       !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
    if (!it->is_regular_file() || it->path().extension() != ".py") continue;
    std::ifstream in(it->path(), std::ios::binary);
    if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", it->path().string()));
    std::ostringstream text;
    text << in.rdbuf();
    sources.push_back({std::filesystem::relative(it->path(), root).generic_string(), text.str()});
  }
  if (error) return absl::InternalError(absl::StrCat("cannot walk ", root.string()));
  std::sort(sources.begin(), sources.end(),
            [](const SourceSpec& a, const SourceSpec& b) { return a.relative_path < b.relative_path; });
  return LoadSources(sources);
}

// The function whose dotted name ("pkg.mod.C.m"; a module body is the module name) is `name`,
// or invalid.
inline ir::FuncId FindFunction(const ir::Program& program, const std::string& name) {
  for (const ir::Function& fn : program.functions()) {
    const std::string& module = program.module(fn.module).name;
    const std::string full =
        fn.kind == ir::FunctionKind::kModule ? module : absl::StrCat(module, ".", fn.qualname);
    if (full == name) return fn.id;
  }
  return ir::FuncId();
}

// Call instructions of `fn` on source line `line`, in instruction order.
inline std::vector<ir::InstrId> CallsOnLine(const ir::Function& fn, uint32_t line) {
  std::vector<ir::InstrId> calls;
  for (size_t i = 0; i < fn.instrs.size(); ++i) {
    const ir::Instr& instr = fn.instrs[i];
    if (instr.op == ir::Opcode::kCall && instr.block.valid() && instr.range.line == line) {
      calls.push_back(ir::InstrId(static_cast<int32_t>(i)));
    }
  }
  return calls;
}

}  // namespace flopscope::testing

#endif  // FLOPSCOPE_TESTS_INTEGRATION_TESTING_LOAD_PROGRAM_H_
