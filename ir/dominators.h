// Dominator tree of one function's CFG, for the SSA builder, the loop finder, the verifier and any
// later pass that asks "does block A dominate block B" (e.g. "is this store executed before that
// call on every path"). Built from Block::succs, so ComputeCfg (ir.h) must have run. The
// immediate dominators come from Boost.Graph's lengauer_tarjan_dominator_tree; Boost stays in
// dominators.cc.
#ifndef FLOPSCOPE_IR_DOMINATORS_H_
#define FLOPSCOPE_IR_DOMINATORS_H_

#include <cstdint>
#include <vector>

#include "ir/ir.h"

namespace flopscope::ir {

class DominatorTree {
 public:
  // Dominators of `fn` rooted at fn.entry. Exception edges count as edges (they are in succs).
  explicit DominatorTree(const Function& fn);

  // Reachable from the entry (unreachable blocks dominate nothing and are dominated by nothing).
  bool Reachable(BlockId block) const { return pre_[block.index()] >= 0; }
  // Immediate dominator; invalid for the entry and for unreachable blocks.
  BlockId Idom(BlockId block) const { return idom_[block.index()]; }
  // Reflexive dominance in O(1): true when every path from the entry to `b` goes through `a`.
  // False when either block is unreachable.
  bool Dominates(BlockId a, BlockId b) const;
  bool StrictlyDominates(BlockId a, BlockId b) const { return a != b && Dominates(a, b); }
  // Children in the dominator tree, in increasing block id order.
  const std::vector<BlockId>& Children(BlockId block) const { return children_[block.index()]; }
  // Reachable blocks in dominator-tree preorder (parents before children), entry first.
  const std::vector<BlockId>& Preorder() const { return preorder_; }
  // Dominance frontier of every block (indexed by BlockId), each sorted and without duplicates.
  std::vector<std::vector<BlockId>> Frontiers(const Function& fn) const;

  size_t size() const { return idom_.size(); }

 private:
  std::vector<BlockId> idom_;
  std::vector<std::vector<BlockId>> children_;
  std::vector<BlockId> preorder_;
  // Preorder / postorder numbers in the dominator tree (-1 when unreachable): a dominates b iff
  // pre[a] <= pre[b] and post[b] <= post[a].
  std::vector<int32_t> pre_;
  std::vector<int32_t> post_;
};

}  // namespace flopscope::ir

#endif  // FLOPSCOPE_IR_DOMINATORS_H_
