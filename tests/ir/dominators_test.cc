#include "ir/dominators.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ir/ir.h"
#include "tests/ir/ir_test_util.h"

namespace flopscope::ir {
namespace {

using ::flopscope::ir::testing::TestFunction;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

//   bb0 -> bb1 -> bb2 -> bb4
//            \--> bb3 --/      bb4 -> bb1 (loop), bb5 unreachable
class DominatorTreeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 6; ++i) b_[i] = i == 0 ? t_.entry() : t_.NewBlock();
    t_.Jump(b_[1]);
    t_.At(b_[1]);
    t_.Branch(t_.Int(1), b_[2], b_[3]);
    t_.At(b_[2]);
    t_.Jump(b_[4]);
    t_.At(b_[3]);
    t_.Jump(b_[4]);
    t_.At(b_[4]);
    t_.Branch(t_.Int(0), b_[1], b_[5]);
    t_.At(b_[5]);
    t_.ReturnNone();
    ComputeCfg(t_.fn());
  }
  TestFunction t_;
  BlockId b_[6];
};

TEST_F(DominatorTreeTest, IdomsAndDominance) {
  const DominatorTree dom(t_.fn());
  EXPECT_FALSE(dom.Idom(b_[0]).valid());
  EXPECT_EQ(dom.Idom(b_[1]), b_[0]);
  EXPECT_EQ(dom.Idom(b_[2]), b_[1]);
  EXPECT_EQ(dom.Idom(b_[3]), b_[1]);
  EXPECT_EQ(dom.Idom(b_[4]), b_[1]);
  EXPECT_EQ(dom.Idom(b_[5]), b_[4]);
  EXPECT_TRUE(dom.Dominates(b_[1], b_[5]));
  EXPECT_TRUE(dom.Dominates(b_[4], b_[4]));
  EXPECT_FALSE(dom.StrictlyDominates(b_[4], b_[4]));
  EXPECT_FALSE(dom.Dominates(b_[2], b_[4]));
  EXPECT_FALSE(dom.Dominates(b_[5], b_[1]));
  EXPECT_THAT(dom.Children(b_[1]), ElementsAre(b_[2], b_[3], b_[4]));
  EXPECT_EQ(dom.Preorder().front(), b_[0]);
  EXPECT_EQ(dom.Preorder().size(), 6u);
}

TEST_F(DominatorTreeTest, Frontiers) {
  const DominatorTree dom(t_.fn());
  const auto df = dom.Frontiers(t_.fn());
  EXPECT_THAT(df[b_[0].index()], IsEmpty());
  EXPECT_THAT(df[b_[1].index()], ElementsAre(b_[1]));
  EXPECT_THAT(df[b_[2].index()], ElementsAre(b_[4]));
  EXPECT_THAT(df[b_[3].index()], ElementsAre(b_[4]));
  EXPECT_THAT(df[b_[4].index()], ElementsAre(b_[1]));
  EXPECT_THAT(df[b_[5].index()], IsEmpty());
}

TEST(DominatorTreeStandaloneTest, UnreachableBlocksDominateNothing) {
  TestFunction t;
  const BlockId dead = t.NewBlock();
  t.ReturnNone();
  t.At(dead);
  t.Jump(t.entry());
  ComputeCfg(t.fn());
  const DominatorTree dom(t.fn());
  EXPECT_FALSE(dom.Reachable(dead));
  EXPECT_FALSE(dom.Dominates(dead, dead));
  EXPECT_FALSE(dom.Dominates(t.entry(), dead));
  EXPECT_TRUE(dom.Dominates(t.entry(), t.entry()));
}

// Regression: an unreachable block with a LOWER id than its reachable successor's other
// predecessor used to be taken for a spanning-tree ancestor (Boost's convenience overload numbers
// every vertex 0), which made the reachable join look unreachable.
TEST(DominatorTreeStandaloneTest, UnreachablePredecessorDoesNotHideJoin) {
  TestFunction t;
  const BlockId dead = t.NewBlock();   // bb1: unreachable, jumps to the join
  const BlockId mid = t.NewBlock();    // bb2
  const BlockId join = t.NewBlock();   // bb3
  const BlockId other = t.NewBlock();  // bb4
  t.Branch(t.Int(0), mid, other);
  t.At(dead);
  t.Jump(join);
  t.At(mid);
  t.Branch(t.Int(1), join, other);
  t.At(join);
  t.ReturnNone();
  t.At(other);
  t.ReturnNone();
  ComputeCfg(t.fn());
  const DominatorTree dom(t.fn());
  EXPECT_FALSE(dom.Reachable(dead));
  EXPECT_TRUE(dom.Reachable(join));
  EXPECT_EQ(dom.Idom(join), mid);
  EXPECT_EQ(dom.Idom(other), t.entry());
}

}  // namespace
}  // namespace flopscope::ir
