// Test helper for the dataflow/support tests: lowers small Python modules through the real
// frontend and IR passes into a Program with its Resolver, CallGraph and DefUse, and finds
// instructions by what they are (a call of `name` on a given line), not by id.
#ifndef FLOPSCOPE_TESTS_DATAFLOW_SUPPORT_PROGRAM_H_
#define FLOPSCOPE_TESTS_DATAFLOW_SUPPORT_PROGRAM_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "dataflow/support/def_use.h"
#include "frontend/frontend.h"
#include "gtest/gtest.h"
#include "ir/call_graph.h"
#include "ir/ir.h"
#include "ir/passes.h"
#include "ir/resolve.h"

namespace flopscope::dataflow::support::testing {

struct SupportProgram {
  ir::Program program;
  std::unique_ptr<ir::Resolver> resolver;
  std::unique_ptr<ir::CallGraph> calls;
  std::unique_ptr<DefUse> du;

  // Modules as {dotted name, source}; a failure to parse fails the test.
  static std::unique_ptr<SupportProgram> Load(
      const std::vector<std::pair<std::string, std::string>>& modules) {
    auto p = std::make_unique<SupportProgram>();
    for (const auto& [name, text] : modules) {
      frontend::SourceFile source;
      source.path = name + ".py";
      source.module_name = name;
      source.text = text;
      absl::StatusOr<ir::ModuleUnit> unit = frontend::ParseAndLower(std::move(source));
      EXPECT_TRUE(unit.ok()) << unit.status();
      if (!unit.ok()) return nullptr;
      p->program.AddModule(*std::move(unit));
    }
    for (ir::Function& fn : p->program.mutable_functions()) {
      ir::ComputeCfg(fn);
      ir::BuildSsa(fn);
      ir::FindLoops(fn);
      const absl::Status verified = ir::Verify(fn);
      EXPECT_TRUE(verified.ok()) << fn.qualname << ": " << verified;
    }
    p->resolver = std::make_unique<ir::Resolver>(p->program);
    p->calls = std::make_unique<ir::CallGraph>(p->program, *p->resolver);
    p->du = std::make_unique<DefUse>(p->program, *p->resolver, *p->calls);
    return p;
  }

  // The function with this qualname in module `module` (or any module when empty).
  ir::FuncId Func(const std::string& qualname, const std::string& module = "") const {
    // A module's body by the module's name.
    const ir::ModuleId mod = program.FindModule(qualname);
    if (mod.valid() && module.empty()) return program.module(mod).body;
    for (const ir::Function& fn : program.functions()) {
      if (fn.qualname != qualname) continue;
      if (!module.empty() && program.module(fn.module).name != module) continue;
      return fn.id;
    }
    ADD_FAILURE() << "no function " << qualname;
    return ir::FuncId();
  }

  // The n-th (0-based) live instruction of `op` in fn on `line` whose text is `text` (any text
  // when empty). For calls, `text` matches the callee's attribute or variable name.
  ValueRef Find(ir::FuncId fn, ir::Opcode op, uint32_t line, const std::string& text = "",
                int nth = 0) const {
    const ir::Function& f = program.function(fn);
    for (const ir::Block& block : f.blocks) {
      for (ir::InstrId id : block.instrs) {
        const ir::Instr& instr = f.instr(id);
        if (instr.op != op || instr.range.line != line) continue;
        std::string name = instr.text;
        if (op == ir::Opcode::kCall && !instr.operands.empty()) name = f.instr(instr.operands[0]).text;
        if (!text.empty() && name != text) continue;
        if (nth-- == 0) return ValueRef{fn, id};
      }
    }
    ADD_FAILURE() << "no " << ir::OpcodeName(op) << " '" << text << "' on line " << line << " of "
                  << f.qualname;
    return ValueRef{fn, ir::InstrId()};
  }
  ValueRef Call(ir::FuncId fn, uint32_t line, const std::string& callee, int nth = 0) const {
    return Find(fn, ir::Opcode::kCall, line, callee, nth);
  }
  std::string Dump(ir::FuncId fn) const { return ir::PrintFunction(program, program.function(fn)); }
};

}  // namespace flopscope::dataflow::support::testing

#endif  // FLOPSCOPE_TESTS_DATAFLOW_SUPPORT_PROGRAM_H_
