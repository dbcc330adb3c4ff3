#include "dataflow/solver.h"

#include <algorithm>
#include <utility>

namespace flopscope::dataflow {

CfgOrder ComputeCfgOrder(const ir::Function& fn) {
  CfgOrder order;
  const size_t n = fn.blocks.size();
  order.rpo_index.assign(n, -1);
  order.is_loop_header.assign(n, false);
  order.users.start.assign(fn.instrs.size() + 1, 0);
  if (!fn.entry.valid() || fn.entry.index() >= n) return order;

  // Iterative DFS for the post-order (recursion would overflow on huge generated functions).
  std::vector<bool> seen(n, false);
  std::vector<ir::BlockId> post;
  std::vector<std::pair<ir::BlockId, size_t>> stack;
  stack.emplace_back(fn.entry, 0);
  seen[fn.entry.index()] = true;
  while (!stack.empty()) {
    auto& [block, next] = stack.back();
    const std::vector<ir::BlockId>& succs = fn.block(block).succs;
    if (next < succs.size()) {
      const ir::BlockId succ = succs[next++];
      if (succ.valid() && succ.index() < n && !seen[succ.index()]) {
        seen[succ.index()] = true;
        stack.emplace_back(succ, 0);
      }
      continue;
    }
    post.push_back(block);
    stack.pop_back();
  }
  order.rpo.assign(post.rbegin(), post.rend());
  for (size_t i = 0; i < order.rpo.size(); ++i) {
    order.rpo_index[order.rpo[i].index()] = static_cast<int>(i);
  }
  // A retreating edge (to an earlier or the same RPO position) marks a loop header.
  for (ir::BlockId b : order.rpo) {
    for (ir::BlockId succ : fn.block(b).succs) {
      if (succ.valid() && succ.index() < n && order.rpo_index[succ.index()] >= 0 &&
          order.rpo_index[succ.index()] <= order.rpo_index[b.index()]) {
        order.is_loop_header[succ.index()] = true;
      }
    }
  }
  // Two passes over the operands: count each list's length, then fill. A block is listed once
  // per value however often it uses it (its uses are consecutive in this walk).
  std::vector<ir::BlockId> last(fn.instrs.size());
  auto for_each_use = [&](auto&& add) {
    std::fill(last.begin(), last.end(), ir::BlockId());
    for (ir::BlockId b : order.rpo) {
      for (ir::InstrId id : fn.block(b).instrs) {
        for (ir::InstrId operand : fn.instr(id).operands) {
          if (!operand.valid() || operand.index() >= fn.instrs.size()) continue;
          if (last[operand.index()] == b) continue;
          last[operand.index()] = b;
          add(operand.index(), b);
        }
      }
    }
  };
  std::vector<uint32_t>& start = order.users.start;
  for_each_use([&](size_t value, ir::BlockId) { ++start[value + 1]; });
  for (size_t i = 1; i < start.size(); ++i) start[i] += start[i - 1];
  order.users.blocks.resize(start.back());
  std::vector<uint32_t> fill(start.begin(), start.end() - 1);
  for_each_use([&](size_t value, ir::BlockId b) { order.users.blocks[fill[value]++] = b; });
  return order;
}

}  // namespace flopscope::dataflow
