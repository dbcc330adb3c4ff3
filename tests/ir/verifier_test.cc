#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ir/ir.h"
#include "ir/passes.h"
#include "tests/ir/ir_test_util.h"

namespace flopscope::ir {
namespace {

using ::flopscope::ir::testing::TestFunction;
using ::testing::HasSubstr;

void ExpectError(const Function& fn, const std::string& substr) {
  const absl::Status status = Verify(fn);
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr(substr));
}

// entry: branch -> a / b, both -> join; a defines %v that join uses.
struct Diamond {
  TestFunction t{"mod.f"};
  BlockId a, b, join;
  InstrId v, use;
  Diamond() {
    a = t.NewBlock();
    b = t.NewBlock();
    join = t.NewBlock();
    t.Branch(t.Int(0), a, b);
    t.At(a);
    v = t.Int(1);
    t.Jump(join);
    t.At(b);
    t.Jump(join);
    t.At(join);
  }
};

TEST(VerifierTest, AcceptsWellFormedSsa) {
  Diamond d;
  d.t.Return(d.v);
  d.t.fn().blocks[d.join.index()].instrs.clear();
  d.t.At(d.join);
  d.t.ReturnNone();
  BuildSsa(d.t.fn());
  EXPECT_TRUE(Verify(d.t.fn()).ok()) << Verify(d.t.fn());
}

TEST(VerifierTest, CatchesUseNotDominatedByDef) {
  Diamond d;
  d.t.Return(d.v);  // %v is defined only on the `a` path
  BuildSsa(d.t.fn());
  ExpectError(d.t.fn(), "function mod.f: bb3 %");
  ExpectError(d.t.fn(), "does not dominate its use");
}

TEST(VerifierTest, CatchesUseBeforeDefInSameBlock) {
  TestFunction t;
  const InstrId later = t.Int(1);
  const InstrId use = t.Use({later});
  t.ReturnNone();
  Function& fn = t.fn();
  // Swap so the use comes first.
  std::swap(fn.blocks[0].instrs[0], fn.blocks[0].instrs[1]);
  fn.in_ssa = true;
  ComputeCfg(fn);
  ExpectError(fn, absl::StrCat("bb0 %", use.value(), " (Opaque): operand %", later.value(),
                               " does not dominate its use"));
}

TEST(VerifierTest, CatchesMissingTerminator) {
  TestFunction t;
  t.Int(1);
  ComputeCfg(t.fn());
  ExpectError(t.fn(), "block does not end in a terminator");
}

TEST(VerifierTest, CatchesTerminatorInTheMiddle) {
  TestFunction t;
  t.ReturnNone();
  t.ReturnNone();
  ComputeCfg(t.fn());
  ExpectError(t.fn(), "terminator in the middle of the block");
}

TEST(VerifierTest, CatchesPhiArityMismatch) {
  Diamond d;
  FunctionBuilder builder(d.t.fn());
  builder.SetInsertBlock(d.join);
  const InstrId phi = builder.Emit(Opcode::kPhi, {}, {d.v});
  d.t.fn().instr(phi).targets = {d.a};
  d.t.ReturnNone();
  ComputeCfg(d.t.fn());
  ExpectError(d.t.fn(), "phi has 1 operands and 1 incoming blocks for 2 predecessors");
}

TEST(VerifierTest, CatchesPhiAfterOtherInstruction) {
  Diamond d;
  d.t.Int(5);
  FunctionBuilder builder(d.t.fn());
  builder.SetInsertBlock(d.join);
  builder.Emit(Opcode::kPhi, {}, {d.v, d.v});
  d.t.ReturnNone();
  ComputeCfg(d.t.fn());
  ExpectError(d.t.fn(), "phi after a non-phi instruction");
}

TEST(VerifierTest, CatchesLocalAccessLeftInSsa) {
  TestFunction t;
  t.Return(t.Load("x"));
  ComputeCfg(t.fn());
  EXPECT_TRUE(Verify(t.fn()).ok());  // fine before SSA
  t.fn().in_ssa = true;
  ExpectError(t.fn(), "kLocal variable access \"x\" left in SSA");
}

TEST(VerifierTest, CatchesBadTargetsAndStaleCfg) {
  TestFunction t;
  t.Jump(BlockId(42));  // ComputeCfg would index out of range here, so succs stay empty
  ExpectError(t.fn(), "edge to missing block 42");

  TestFunction u;
  const BlockId next = u.NewBlock();
  u.Jump(next);
  u.At(next);
  u.ReturnNone();  // ComputeCfg never ran
  ExpectError(u.fn(), "succs are stale");
}

TEST(VerifierTest, CatchesOperandWithoutResultAndRemovedOperand) {
  TestFunction t;
  const InstrId store = t.Store("g", t.Int(1), VarScope::kGlobal);
  t.Use({store});
  t.ReturnNone();
  ComputeCfg(t.fn());
  ExpectError(t.fn(), absl::StrCat("operand %", store.value(), " has no result"));

  TestFunction u;
  const InstrId one = u.Int(1);
  u.Return(one);
  u.fn().blocks[0].instrs.erase(u.fn().blocks[0].instrs.begin());
  ComputeCfg(u.fn());
  ExpectError(u.fn(), "was removed");
}

TEST(VerifierTest, CatchesReachableEmptyBlock) {
  TestFunction t;
  const BlockId empty = t.NewBlock();
  t.Jump(empty);
  ComputeCfg(t.fn());
  ExpectError(t.fn(), "bb1: reachable block is empty");
}

}  // namespace
}  // namespace flopscope::ir
