#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ir/ir.h"
#include "ir/passes.h"
#include "tests/ir/ir_test_util.h"

namespace flopscope::ir {
namespace {

using ::flopscope::ir::testing::TestFunction;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

Loop SyntacticLoop(Function& fn, BlockId header, bool is_while) {
  Loop loop;
  loop.id = LoopId(static_cast<int32_t>(fn.loops.size()));
  loop.header = header;
  loop.is_while = is_while;
  loop.range = SourceRange{1, 1, 1, 2};
  return loop;
}

// for a in xs:            bb1 header (ForIter)  -> bb2 / exit bb6
//   while c:              bb2 inner header      -> bb3 / bb5
//     if d: break         bb3 -> bb4 (break to bb5) or back to bb2
//   ...                   bb5 -> bb1
class NestedLoopsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 7; ++i) b_[i] = i == 0 ? t_.entry() : t_.NewBlock();
    const InstrId iter = t_.Use({}, "iter");
    t_.Jump(b_[1]);
    t_.At(b_[1]);
    for_iter_ = t_.ForIter(iter, b_[2], b_[6]);
    t_.At(b_[2]);
    t_.Branch(t_.Int(1), b_[3], b_[5]);
    t_.At(b_[3]);
    t_.Branch(t_.Int(2), b_[4], b_[2]);
    t_.At(b_[4]);
    t_.Jump(b_[5]);
    t_.At(b_[5]);
    t_.Jump(b_[1]);
    t_.At(b_[6]);
    t_.ReturnNone();
    Function& fn = t_.fn();
    Loop outer = SyntacticLoop(fn, b_[1], false);
    outer.for_iter = for_iter_;
    fn.loops.push_back(outer);
    fn.loops.push_back(SyntacticLoop(fn, b_[2], true));
    ComputeCfg(fn);
  }
  TestFunction t_;
  BlockId b_[7];
  InstrId for_iter_;
};

TEST_F(NestedLoopsTest, BodiesExitsNestingAndBlockLoops) {
  Function& fn = t_.fn();
  BuildSsa(fn);
  FindLoops(fn);
  ASSERT_EQ(fn.loops.size(), 2u);
  const Loop& outer = fn.loops[0];
  const Loop& inner = fn.loops[1];
  EXPECT_THAT(outer.blocks, ElementsAre(b_[1], b_[2], b_[3], b_[4], b_[5]));
  EXPECT_THAT(outer.exits, ElementsAre(b_[6]));
  EXPECT_EQ(outer.depth, 1);
  EXPECT_FALSE(outer.parent.valid());
  EXPECT_EQ(outer.for_iter, for_iter_);
  EXPECT_THAT(inner.blocks, ElementsAre(b_[2], b_[3]));
  EXPECT_THAT(inner.exits, ElementsAre(b_[4], b_[5]));
  EXPECT_EQ(inner.depth, 2);
  EXPECT_EQ(inner.parent, LoopId(0));
  EXPECT_FALSE(fn.block(b_[0]).loop.valid());
  EXPECT_EQ(fn.block(b_[1]).loop, LoopId(0));
  EXPECT_EQ(fn.block(b_[2]).loop, LoopId(1));
  EXPECT_EQ(fn.block(b_[3]).loop, LoopId(1));
  EXPECT_EQ(fn.block(b_[4]).loop, LoopId(0));
  EXPECT_FALSE(fn.block(b_[6]).loop.valid());
  EXPECT_TRUE(Verify(fn).ok()) << Verify(fn);
}

TEST_F(NestedLoopsTest, Helpers) {
  Function& fn = t_.fn();
  FindLoops(fn);
  EXPECT_EQ(InnermostLoop(fn, b_[3]), LoopId(1));
  EXPECT_FALSE(InnermostLoop(fn, BlockId(99)).valid());
  EXPECT_EQ(InnermostLoopOfInstr(fn, for_iter_), LoopId(0));
  EXPECT_TRUE(LoopContains(fn, LoopId(0), LoopId(1)));
  EXPECT_TRUE(LoopContains(fn, LoopId(1), LoopId(1)));
  EXPECT_FALSE(LoopContains(fn, LoopId(1), LoopId(0)));
  EXPECT_FALSE(LoopContains(fn, LoopId(), LoopId(0)));
}

// `for x in xs: return x`: no back edge, so the syntactic loop has no body.
TEST(LoopsTest, LoopThatNeverIteratesHasNoBlocks) {
  TestFunction t;
  const BlockId header = t.NewBlock();
  const BlockId body = t.NewBlock();
  const BlockId exit = t.NewBlock();
  const InstrId iter = t.Use({}, "iter");
  t.Jump(header);
  t.At(header);
  const InstrId x = t.ForIter(iter, body, exit);
  t.At(body);
  t.Return(x);
  t.At(exit);
  t.ReturnNone();
  Function& fn = t.fn();
  fn.loops.push_back(SyntacticLoop(fn, header, false));
  ComputeCfg(fn);
  FindLoops(fn);
  ASSERT_EQ(fn.loops.size(), 1u);
  EXPECT_THAT(fn.loops[0].blocks, IsEmpty());
  EXPECT_EQ(fn.loops[0].depth, 1);
  EXPECT_FALSE(fn.block(body).loop.valid());
}

// A cycle the lowering did not announce (e.g. through a finally block) is appended.
TEST(LoopsTest, NaturalLoopWithoutSyntacticEntryIsAdded) {
  TestFunction t;
  const BlockId header = t.NewBlock();
  const BlockId exit = t.NewBlock();
  t.Jump(header);
  t.At(header);
  t.Branch(t.Int(1), header, exit);
  t.At(exit);
  t.ReturnNone();
  ComputeCfg(t.fn());
  FindLoops(t.fn());
  ASSERT_EQ(t.fn().loops.size(), 1u);
  EXPECT_EQ(t.fn().loops[0].header, header);
  EXPECT_FALSE(t.fn().loops[0].range.valid());
  EXPECT_THAT(t.fn().loops[0].blocks, ElementsAre(header));
  EXPECT_THAT(t.fn().loops[0].exits, ElementsAre(exit));
}

// Two entries into one cycle: not a natural loop, but nothing breaks.
TEST(LoopsTest, IrreducibleCycleDoesNotCrash) {
  TestFunction t;
  const BlockId a = t.NewBlock();
  const BlockId b = t.NewBlock();
  const BlockId exit = t.NewBlock();
  t.Store("v", t.Int(0));
  t.Branch(t.Int(1), a, b);
  t.At(a);
  t.Store("v", t.Use({t.Load("v")}, "a"));
  t.Branch(t.Int(2), b, exit);
  t.At(b);
  t.Store("v", t.Use({t.Load("v")}, "b"));
  t.Branch(t.Int(3), a, exit);
  t.At(exit);
  t.Return(t.Load("v"));
  Function& fn = t.fn();
  BuildSsa(fn);
  FindLoops(fn);
  EXPECT_TRUE(Verify(fn).ok()) << Verify(fn);
  EXPECT_THAT(fn.loops, IsEmpty());
}

TEST(LoopsTest, EnclosingWithRegionsInnermostFirst) {
  TestFunction t;
  const BlockId inner = t.NewBlock();
  t.ReturnNone();
  t.At(inner);
  t.ReturnNone();
  Function& fn = t.fn();
  fn.with_regions.push_back(WithRegion{RegionId(0), RegionId(), InstrId(), {}, false});
  fn.with_regions.push_back(WithRegion{RegionId(1), RegionId(0), InstrId(), {}, false});
  fn.block(inner).with_region = RegionId(1);
  EXPECT_THAT(EnclosingWithRegions(fn, inner), ElementsAre(RegionId(1), RegionId(0)));
  EXPECT_THAT(EnclosingWithRegions(fn, t.entry()), IsEmpty());
}

}  // namespace
}  // namespace flopscope::ir
