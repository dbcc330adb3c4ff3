// Test helper for the dataflow tests: a fixture directory or in-memory sources, loaded with the
// shared test loader (tests/integration/testing/load_program.h), then resolved, call-graphed and
// analyzed. Lookup helpers name instructions by source line and callee spelling, so tests read
// like the fixture.
#ifndef FLOPSCOPE_TESTS_DATAFLOW_ANALYZE_FIXTURE_H_
#define FLOPSCOPE_TESTS_DATAFLOW_ANALYZE_FIXTURE_H_

#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "dataflow/analysis.h"
#include "gtest/gtest.h"
#include "ir/call_graph.h"
#include "ir/resolve.h"
#include "tests/integration/testing/load_program.h"

namespace flopscope::testing {

struct Analyzed {
  ir::Program program;
  std::unique_ptr<ir::Resolver> resolver;
  std::unique_ptr<ir::CallGraph> calls;
  std::unique_ptr<dataflow::Analysis> analysis;

  ir::FuncId Fn(const std::string& name) const { return FindFunction(program, name); }
  const ir::Function& function(const std::string& name) const {
    return program.function(FindFunction(program, name));
  }
  // The Call on `line` of function `fn_name` whose callee is spelled `callee` (a name or the
  // attribute of a method call); invalid when there is none.
  ir::InstrId Call(const std::string& fn_name, uint32_t line, const std::string& callee) const {
    const ir::Function& fn = function(fn_name);
    for (ir::InstrId id : CallsOnLine(fn, line)) {
      const ir::Instr& c = fn.instr(fn.instr(id).operands[0]);
      if (c.text == callee) return id;
    }
    return ir::InstrId();
  }
  // The first live instruction with opcode `op` on `line` of `fn_name`; invalid when none.
  ir::InstrId On(const std::string& fn_name, uint32_t line, ir::Opcode op) const {
    const ir::Function& fn = function(fn_name);
    for (const ir::Block& block : fn.blocks) {
      for (ir::InstrId id : block.instrs) {
        if (fn.instr(id).op == op && fn.instr(id).range.line == line) return id;
      }
    }
    return ir::InstrId();
  }
  // The value `return x` on `line` returns, joined over contexts.
  dataflow::AbstractValue Returned(const std::string& fn_name, uint32_t line) const {
    return analysis->Operand(Fn(fn_name), On(fn_name, line, ir::Opcode::kReturn), 0);
  }
  // The result of the call of `callee` on `line`, joined over contexts.
  dataflow::AbstractValue CallResult(const std::string& fn_name, uint32_t line,
                                     const std::string& callee) const {
    return analysis->Value(Fn(fn_name), Call(fn_name, line, callee));
  }
  // Every provenance step text of a fact, origin first, as "file:line: text".
  std::vector<std::string> Chain(dataflow::ProvId prov) const {
    std::vector<std::string> out;
    for (const dataflow::ProvStep* step : analysis->Provenance(prov)) {
      out.insert(out.begin(), analysis->Location(step->fn, step->instr) + ": " + step->text);
    }
    return out;
  }
};

inline absl::StatusOr<std::unique_ptr<Analyzed>> Analyze(
    absl::StatusOr<ir::Program> program, const dataflow::AnalysisOptions& options = {}) {
  if (!program.ok()) return program.status();
  auto out = std::make_unique<Analyzed>();
  out->program = *std::move(program);
  out->resolver = std::make_unique<ir::Resolver>(out->program);
  out->calls = std::make_unique<ir::CallGraph>(out->program, *out->resolver);
  out->analysis = dataflow::Analysis::Build(out->program, *out->resolver, *out->calls, options);
  return out;
}

inline absl::StatusOr<std::unique_ptr<Analyzed>> AnalyzeFixture(
    const std::string& name, const dataflow::AnalysisOptions& options = {}) {
  return Analyze(LoadProgram(std::filesystem::path(FLOPSCOPE_SOURCE_DIR) / "tests" / "fixtures" /
                             "dataflow" / name),
                 options);
}

inline absl::StatusOr<std::unique_ptr<Analyzed>> AnalyzeSources(
    const std::vector<SourceSpec>& sources, const dataflow::AnalysisOptions& options = {}) {
  return Analyze(LoadSources(sources), options);
}

// Base of a suite whose tests share one analysis of one module (`m.py`), built once: the suite's
// SetUpTestSuite calls AnalyzeOnce(kSource) and its tests read a_.
class SharedAnalysisTest : public ::testing::Test {
 protected:
  static void AnalyzeOnce(const char* source) {
    auto analyzed = AnalyzeSources({{"m.py", source}});
    ASSERT_TRUE(analyzed.ok()) << analyzed.status();
    a_ = analyzed->release();
  }
  static void TearDownTestSuite() {
    delete a_;
    a_ = nullptr;
  }
  static inline Analyzed* a_ = nullptr;
};

}  // namespace flopscope::testing

#endif  // FLOPSCOPE_TESTS_DATAFLOW_ANALYZE_FIXTURE_H_
