#include "ir/dominators.h"

#include <pthread.h>

#include <algorithm>
#include <limits>
#include <utility>
#include <vector>

#include "boost/graph/adjacency_list.hpp"
#include "boost/graph/dominator_tree.hpp"
#include "boost/property_map/property_map.hpp"

namespace flopscope::ir {
namespace {

using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS>;
using Vertex = boost::graph_traits<Graph>::vertex_descriptor;

// Immediate dominators by Lengauer-Tarjan. Out-of-range successor ids (broken IR handed to the
// verifier) are ignored rather than trusted.
std::vector<BlockId> ImmediateDominators(const Function& fn) {
  const size_t n = fn.blocks.size();
  std::vector<BlockId> idom(n);
  if (!fn.entry.valid() || fn.entry.index() >= n) return idom;
  Graph graph(n);
  for (const Block& block : fn.blocks) {
    for (BlockId succ : block.succs) {
      if (succ.valid() && succ.index() < n) boost::add_edge(block.id.index(), succ.index(), graph);
    }
  }
  // The full overload, because the convenience one starts every DFS number at 0, so an
  // unreachable predecessor looks like a spanning-tree ancestor and corrupts the semidominators
  // of the reachable block it jumps to. Boost skips predecessors whose number is out of range,
  // which is what max() marks.
  const auto index = boost::get(boost::vertex_index, graph);
  std::vector<size_t> dfnum(n, std::numeric_limits<size_t>::max());
  std::vector<Vertex> parent(n, boost::graph_traits<Graph>::null_vertex());
  std::vector<Vertex> by_dfnum(n, boost::graph_traits<Graph>::null_vertex());
  std::vector<Vertex> dom(n, boost::graph_traits<Graph>::null_vertex());
  boost::lengauer_tarjan_dominator_tree(
      graph, boost::vertex(fn.entry.index(), graph), index,
      boost::make_iterator_property_map(dfnum.begin(), index),
      boost::make_iterator_property_map(parent.begin(), index), by_dfnum,
      boost::make_iterator_property_map(dom.begin(), index));
  for (size_t v = 0; v < n; ++v) {
    if (dom[v] != boost::graph_traits<Graph>::null_vertex()) {
      idom[v] = BlockId(static_cast<int32_t>(dom[v]));
    }
  }
  return idom;
}

// Boost's path compression (ancestor_with_lowest_semi_) recurses once per spanning-tree ancestor,
// so a function of n blocks may need ~n frames (about 40 bytes each in an optimized build, more
// in a debug one). Small CFGs run on the caller's stack; big ones (a 10 MiB generated module can
// have millions of blocks) run on a thread whose stack is sized for the worst case.
constexpr size_t kBlocksOnCallerStack = 16384;
constexpr size_t kStackBytesPerBlock = 256;
constexpr size_t kStackSlack = size_t{1} << 20;

struct DominatorJob {
  const Function* fn;
  std::vector<BlockId> idom;
};

void* RunDominatorJob(void* arg) {
  auto* job = static_cast<DominatorJob*>(arg);
  job->idom = ImmediateDominators(*job->fn);
  return nullptr;
}

std::vector<BlockId> ImmediateDominatorsAnySize(const Function& fn) {
  if (fn.blocks.size() <= kBlocksOnCallerStack) return ImmediateDominators(fn);
  DominatorJob job{&fn, {}};
  pthread_attr_t attr;
  if (pthread_attr_init(&attr) != 0) return ImmediateDominators(fn);
  pthread_t thread;
  const size_t stack = kStackSlack + kStackBytesPerBlock * fn.blocks.size();
  const bool started = pthread_attr_setstacksize(&attr, stack) == 0 &&
                       pthread_create(&thread, &attr, &RunDominatorJob, &job) == 0;
  pthread_attr_destroy(&attr);
  if (!started) return ImmediateDominators(fn);  // no thread to be had: try the caller's stack
  pthread_join(thread, nullptr);
  return std::move(job.idom);
}

}  // namespace

DominatorTree::DominatorTree(const Function& fn)
    : idom_(ImmediateDominatorsAnySize(fn)),
      children_(fn.blocks.size()),
      pre_(fn.blocks.size(), -1),
      post_(fn.blocks.size(), -1) {
  for (size_t b = 0; b < idom_.size(); ++b) {
    if (idom_[b].valid()) children_[idom_[b].index()].push_back(BlockId(static_cast<int32_t>(b)));
  }
  if (!fn.entry.valid() || fn.entry.index() >= fn.blocks.size()) return;
  // Iterative DFS over the tree (functions can have tens of thousands of blocks).
  int32_t pre_clock = 0;
  int32_t post_clock = 0;
  std::vector<std::pair<BlockId, size_t>> stack;
  stack.emplace_back(fn.entry, 0);
  pre_[fn.entry.index()] = pre_clock++;
  preorder_.push_back(fn.entry);
  while (!stack.empty()) {
    auto& [block, next_child] = stack.back();
    const std::vector<BlockId>& kids = children_[block.index()];
    if (next_child < kids.size()) {
      const BlockId child = kids[next_child++];
      pre_[child.index()] = pre_clock++;
      preorder_.push_back(child);
      stack.emplace_back(child, 0);
    } else {
      post_[block.index()] = post_clock++;
      stack.pop_back();
    }
  }
}

bool DominatorTree::Dominates(BlockId a, BlockId b) const {
  if (!a.valid() || !b.valid() || a.index() >= pre_.size() || b.index() >= pre_.size()) return false;
  if (pre_[a.index()] < 0 || pre_[b.index()] < 0) return false;
  return pre_[a.index()] <= pre_[b.index()] && post_[b.index()] <= post_[a.index()];
}

std::vector<std::vector<BlockId>> DominatorTree::Frontiers(const Function& fn) const {
  // Cooper, Harvey & Kennedy: a join point b is in the frontier of every block on the dominator
  // tree path from each predecessor up to (excluding) idom(b).
  std::vector<std::vector<BlockId>> frontiers(idom_.size());
  for (const Block& block : fn.blocks) {
    // A block with one predecessor is only in a frontier when it is the entry (a loop back to it):
    // otherwise that predecessor is its idom and the walk below is empty.
    if (!Reachable(block.id)) continue;
    for (BlockId pred : block.preds) {
      if (!pred.valid() || pred.index() >= idom_.size() || !Reachable(pred)) continue;
      for (BlockId runner = pred; runner.valid() && runner != idom_[block.id.index()];
           runner = idom_[runner.index()]) {
        std::vector<BlockId>& df = frontiers[runner.index()];
        if (df.empty() || df.back() != block.id) df.push_back(block.id);
      }
    }
  }
  // Blocks are visited in id order, so each list is already sorted; the dedup above only sees
  // repeats of the block being processed.
  return frontiers;
}

}  // namespace flopscope::ir
