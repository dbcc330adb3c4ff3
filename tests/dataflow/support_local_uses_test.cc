#include "dataflow/support/local_uses.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ir/ir.h"

namespace flopscope::dataflow::support {
namespace {

using ::testing::ElementsAre;

// x = 1; y = x + x; if y: z = f(x) ; return phi(...)
TEST(LocalUsesTest, ListsEveryOperandSlotOfLiveInstructions) {
  ir::Function fn;
  ir::FunctionBuilder b(fn);
  const ir::BlockId entry = b.NewBlock();
  const ir::BlockId then_block = b.NewBlock();
  const ir::BlockId join = b.NewBlock();
  fn.entry = entry;
  b.SetInsertBlock(entry);
  const ir::InstrId x = b.EmitConst(ir::ConstKind::kInt, "1", {});
  const ir::InstrId y = b.Emit(ir::Opcode::kBinaryOp, {}, {x, x}, "+");
  b.EmitBranch(y, then_block, join, {});
  b.SetInsertBlock(then_block);
  const ir::InstrId f = b.Emit(ir::Opcode::kLoadVar, {}, {}, "f", 1);
  const ir::InstrId call = b.Emit(ir::Opcode::kCall, {}, {f, x});
  fn.instr(call).arg_names = {""};
  b.EmitJump(join, {});
  b.SetInsertBlock(join);
  const ir::InstrId phi = b.Emit(ir::Opcode::kPhi, {}, {call, x});
  fn.instr(phi).targets = {then_block, entry};
  const ir::InstrId ret = b.Emit(ir::Opcode::kReturn, {}, {phi});
  ir::ComputeCfg(fn);

  const LocalUses uses(fn);
  EXPECT_THAT(uses.Of(x), ElementsAre(Use{y, 0}, Use{y, 1}, Use{call, 1}, Use{phi, 1}));
  EXPECT_THAT(uses.Of(call), ElementsAre(Use{phi, 0}));
  EXPECT_THAT(uses.Of(phi), ElementsAre(Use{ret, 0}));
  EXPECT_TRUE(uses.Unused(ret));
  EXPECT_TRUE(uses.Of(ir::InstrId()).empty());
  EXPECT_TRUE(uses.Of(ir::InstrId(1000)).empty());
  EXPECT_EQ(uses.PositionInBlock(phi), 0);
  EXPECT_EQ(uses.PositionInBlock(ret), 1);
}

TEST(LocalUsesTest, IgnoresTombstones) {
  ir::Function fn;
  ir::FunctionBuilder b(fn);
  fn.entry = b.NewBlock();
  b.SetInsertBlock(fn.entry);
  const ir::InstrId x = b.EmitConst(ir::ConstKind::kInt, "1", {});
  const ir::InstrId dead = b.Emit(ir::Opcode::kUnaryOp, {}, {x}, "-");
  const ir::InstrId live = b.Emit(ir::Opcode::kUnaryOp, {}, {x}, "+");
  b.Emit(ir::Opcode::kReturn, {}, {live});
  // What BuildSsa does to a removed instruction: unlisted, block reset.
  auto& list = fn.block(fn.entry).instrs;
  list.erase(list.begin() + 1);
  fn.instr(dead).block = ir::BlockId();

  const LocalUses uses(fn);
  EXPECT_THAT(uses.Of(x), ElementsAre(Use{live, 0}));
  EXPECT_FALSE(uses.Live(dead));
  EXPECT_TRUE(uses.Live(live));
}

}  // namespace
}  // namespace flopscope::dataflow::support
