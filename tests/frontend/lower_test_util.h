// Helpers for the frontend's lowering tests: lower a snippet, find functions by qualname and
// instructions by opcode/text, and follow operands.
#ifndef FLOPSCOPE_TESTS_FRONTEND_LOWER_TEST_UTIL_H_
#define FLOPSCOPE_TESTS_FRONTEND_LOWER_TEST_UTIL_H_

#include <string>
#include <vector>

#include "frontend/frontend.h"
#include "gtest/gtest.h"
#include "ir/ir.h"

namespace flopscope::frontend::testing {

inline ir::ModuleUnit LowerSource(const std::string& text) {
  SourceFile source;
  source.path = "m.py";
  source.module_name = "m";
  source.text = text;
  absl::StatusOr<ir::ModuleUnit> unit = ParseAndLower(source);
  EXPECT_TRUE(unit.ok()) << unit.status();
  if (!unit.ok()) return {};
  for (const ir::Problem& problem : unit->module.problems) {
    ADD_FAILURE() << "unexpected problem at " << problem.range.line << ":" << problem.range.col
                  << ": " << problem.message;
  }
  return *std::move(unit);
}

// The function with this qualname ("" is the module body); fails the test when absent.
inline const ir::Function& Fn(const ir::ModuleUnit& unit, const std::string& qualname) {
  for (const ir::Function& fn : unit.functions) {
    if (fn.qualname == qualname && (qualname != "" || fn.kind == ir::FunctionKind::kModule)) {
      return fn;
    }
  }
  ADD_FAILURE() << "no function " << qualname;
  static const ir::Function kEmpty;
  return kEmpty;
}

inline const ir::Class* FindClass(const ir::ModuleUnit& unit, const std::string& qualname) {
  for (const ir::Class& cls : unit.classes) {
    if (cls.qualname == qualname) return &cls;
  }
  return nullptr;
}

// Live instructions (those placed in a block) with this opcode, in id order.
inline std::vector<ir::InstrId> Find(const ir::Function& fn, ir::Opcode op) {
  std::vector<ir::InstrId> out;
  for (size_t i = 0; i < fn.instrs.size(); ++i) {
    if (fn.instrs[i].op == op && fn.instrs[i].block.valid()) {
      out.push_back(ir::InstrId(static_cast<int32_t>(i)));
    }
  }
  return out;
}

inline std::vector<ir::InstrId> Find(const ir::Function& fn, ir::Opcode op,
                                     const std::string& text) {
  std::vector<ir::InstrId> out;
  for (ir::InstrId id : Find(fn, op)) {
    if (fn.instr(id).text == text) out.push_back(id);
  }
  return out;
}

// The single instruction with this opcode and text; fails the test unless exactly one.
inline ir::InstrId One(const ir::Function& fn, ir::Opcode op, const std::string& text) {
  const std::vector<ir::InstrId> found = Find(fn, op, text);
  EXPECT_EQ(found.size(), 1u) << "expected one " << ir::OpcodeName(op) << " \"" << text << "\" in "
                              << fn.qualname;
  return found.empty() ? ir::InstrId() : found[0];
}

inline ir::InstrId Operand(const ir::Function& fn, ir::InstrId id, size_t index) {
  if (!id.valid() || index >= fn.instr(id).operands.size()) return ir::InstrId();
  return fn.instr(id).operands[index];
}

inline ir::VarScope ScopeOf(const ir::Instr& instr) { return static_cast<ir::VarScope>(instr.aux); }

// Scopes of every LoadVar/StoreVar of `name` with opcode `op`.
inline std::vector<ir::VarScope> Scopes(const ir::Function& fn, ir::Opcode op,
                                        const std::string& name) {
  std::vector<ir::VarScope> out;
  for (ir::InstrId id : Find(fn, op, name)) out.push_back(ScopeOf(fn.instr(id)));
  return out;
}

inline ir::BlockId BlockOf(const ir::Function& fn, ir::InstrId id) {
  return id.valid() ? fn.instr(id).block : ir::BlockId();
}

}  // namespace flopscope::frontend::testing

#endif  // FLOPSCOPE_TESTS_FRONTEND_LOWER_TEST_UTIL_H_
