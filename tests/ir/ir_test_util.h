// Hand-built IR for the ir pass tests: a thin layer over ir::FunctionBuilder that names the few
// instruction shapes the tests need (locals, constants, uses, control flow).
#ifndef FLOPSCOPE_TESTS_IR_IR_TEST_UTIL_H_
#define FLOPSCOPE_TESTS_IR_IR_TEST_UTIL_H_

#include <string>
#include <vector>

#include "ir/ir.h"

namespace flopscope::ir::testing {

class TestFunction {
 public:
  explicit TestFunction(std::string qualname = "f", FunctionKind kind = FunctionKind::kFunction)
      : builder_(fn_) {
    fn_.qualname = std::move(qualname);
    fn_.name = fn_.qualname;
    fn_.kind = kind;
    fn_.entry = builder_.NewBlock();
    builder_.SetInsertBlock(fn_.entry);
  }

  Function& fn() { return fn_; }
  BlockId entry() const { return fn_.entry; }
  BlockId NewBlock() { return builder_.NewBlock(); }
  void At(BlockId block) { builder_.SetInsertBlock(block); }

  InstrId Int(int value) { return builder_.EmitConst(ConstKind::kInt, std::to_string(value), R()); }
  InstrId Store(const std::string& name, InstrId value, VarScope scope = VarScope::kLocal) {
    return builder_.Emit(Opcode::kStoreVar, R(), {value}, name, static_cast<int32_t>(scope));
  }
  InstrId Load(const std::string& name, VarScope scope = VarScope::kLocal) {
    return builder_.Emit(Opcode::kLoadVar, R(), {}, name, static_cast<int32_t>(scope));
  }
  InstrId Del(const std::string& name, VarScope scope = VarScope::kLocal) {
    return builder_.Emit(Opcode::kDelVar, R(), {}, name, static_cast<int32_t>(scope));
  }
  // An opaque computation over `inputs`: a "use" the tests can inspect after SSA.
  InstrId Use(absl::InlinedVector<InstrId, 2> inputs, const std::string& what = "use") {
    return builder_.Emit(Opcode::kOpaque, R(), std::move(inputs), what);
  }
  void Jump(BlockId dest) { builder_.EmitJump(dest, R()); }
  void Branch(InstrId cond, BlockId yes, BlockId no) { builder_.EmitBranch(cond, yes, no, R()); }
  InstrId ForIter(InstrId iterator, BlockId body, BlockId exit) {
    const InstrId id = builder_.Emit(Opcode::kForIter, R(), {iterator});
    fn_.instr(id).targets = {body, exit};
    return id;
  }
  void Return(InstrId value) { builder_.Emit(Opcode::kReturn, R(), {value}); }
  void ReturnNone() { Return(builder_.EmitConst(ConstKind::kNone, "None", R())); }

 private:
  // Each instruction gets its own line so golden output shows where it came from.
  SourceRange R() {
    ++line_;
    return SourceRange{line_, 1, line_, 2};
  }

  Function fn_;
  FunctionBuilder builder_;
  uint32_t line_ = 0;
};

// Live instructions of `fn` with opcode `op`, in block then list order.
inline std::vector<InstrId> LiveInstrs(const Function& fn, Opcode op) {
  std::vector<InstrId> out;
  for (const Block& block : fn.blocks) {
    for (InstrId id : block.instrs) {
      if (fn.instr(id).op == op) out.push_back(id);
    }
  }
  return out;
}

}  // namespace flopscope::ir::testing

#endif  // FLOPSCOPE_TESTS_IR_IR_TEST_UTIL_H_
