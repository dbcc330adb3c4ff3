// FindLoops: natural loops from dominator back edges, tied to the lowering's syntactic loops.
//
// A back edge is an edge u -> h where h dominates u; the natural loop of h is h plus every block
// that reaches a back-edge source without passing through h. Back edges sharing a header form one
// loop. Natural loops are either disjoint or nested, so nesting follows from body sizes.
//
// A syntactic loop (from lowering) whose header has no back edge (`for x in xs: return x`, a body
// that always breaks, or code nothing reaches) keeps empty blocks/exits: its body runs at most
// once, so nothing inside it is "in a loop". It still gets a parent/depth from the natural loops
// around its header. Natural loops without a syntactic entry (rare) are appended with an invalid
// range. Cycles entered at several points (irreducible control flow: impossible from Python
// source) have no dominating header and are not reported as loops.
#include <algorithm>
#include <utility>
#include <vector>

#include "ir/dominators.h"
#include "ir/ir.h"
#include "ir/passes.h"

namespace flopscope::ir {
namespace {

struct NaturalLoop {
  BlockId header;
  std::vector<BlockId> blocks;  // sorted
};

// One loop per header with at least one back edge, in header id order.
std::vector<NaturalLoop> NaturalLoops(const Function& fn, const DominatorTree& dom) {
  std::vector<NaturalLoop> loops;
  std::vector<int32_t> mark(fn.blocks.size(), -1);  // loop index that already holds a block
  std::vector<BlockId> worklist;
  for (const Block& header : fn.blocks) {
    if (!dom.Reachable(header.id)) continue;
    worklist.clear();
    for (BlockId pred : header.preds) {
      if (dom.Reachable(pred) && dom.Dominates(header.id, pred)) worklist.push_back(pred);
    }
    if (worklist.empty()) continue;
    const auto index = static_cast<int32_t>(loops.size());
    NaturalLoop& loop = loops.emplace_back();
    loop.header = header.id;
    mark[header.id.index()] = index;
    loop.blocks.push_back(header.id);
    for (BlockId b : worklist) {
      if (mark[b.index()] != index) {
        mark[b.index()] = index;
        loop.blocks.push_back(b);
      }
    }
    // Walk predecessors backwards from the latches; the header stops the walk.
    std::vector<BlockId> pending(loop.blocks.begin() + 1, loop.blocks.end());
    while (!pending.empty()) {
      const BlockId b = pending.back();
      pending.pop_back();
      for (BlockId pred : fn.block(b).preds) {
        if (!dom.Reachable(pred) || mark[pred.index()] == index) continue;
        mark[pred.index()] = index;
        loop.blocks.push_back(pred);
        pending.push_back(pred);
      }
    }
    std::sort(loop.blocks.begin(), loop.blocks.end());
  }
  return loops;
}

std::vector<BlockId> Exits(const Function& fn, const std::vector<BlockId>& body) {
  std::vector<BlockId> exits;
  for (BlockId b : body) {
    for (BlockId succ : fn.block(b).succs) {
      if (!std::binary_search(body.begin(), body.end(), succ)) exits.push_back(succ);
    }
  }
  std::sort(exits.begin(), exits.end());
  exits.erase(std::unique(exits.begin(), exits.end()), exits.end());
  return exits;
}

}  // namespace

void FindLoops(Function& fn) {
  for (Block& block : fn.blocks) block.loop = LoopId();
  for (Loop& loop : fn.loops) {
    loop.blocks.clear();
    loop.exits.clear();
    loop.parent = LoopId();
    loop.depth = 1;
  }
  if (fn.blocks.empty() || !fn.entry.valid()) return;
  const DominatorTree dom(fn);
  const std::vector<NaturalLoop> natural = NaturalLoops(fn, dom);

  // Tie each natural loop to the syntactic loop with the same header, or append a new entry.
  std::vector<LoopId> loop_of_header(fn.blocks.size());
  for (const Loop& loop : fn.loops) {
    if (loop.header.valid() && loop.header.index() < fn.blocks.size() &&
        !loop_of_header[loop.header.index()].valid()) {
      loop_of_header[loop.header.index()] = loop.id;
    }
  }
  std::vector<std::pair<LoopId, const NaturalLoop*>> matched;
  for (const NaturalLoop& nl : natural) {
    LoopId id = loop_of_header[nl.header.index()];
    if (!id.valid()) {
      id = LoopId(static_cast<int32_t>(fn.loops.size()));
      Loop& added = fn.loops.emplace_back();
      added.id = id;
      added.header = nl.header;
      added.is_while = true;  // a cycle with no `for` behind it
    }
    matched.emplace_back(id, &nl);
  }

  // Outer loops first (larger bodies), so each block ends up owned by its innermost loop and a
  // loop's parent is whatever already owns its header.
  std::stable_sort(matched.begin(), matched.end(), [](const auto& a, const auto& b) {
    return a.second->blocks.size() > b.second->blocks.size();
  });
  for (const auto& [id, nl] : matched) {
    Loop& loop = fn.loops[id.index()];
    loop.parent = fn.block(nl->header).loop;
    loop.depth = loop.parent.valid() ? fn.loops[loop.parent.index()].depth + 1 : 1;
    loop.blocks = nl->blocks;
    loop.exits = Exits(fn, nl->blocks);
    for (BlockId b : nl->blocks) fn.block(b).loop = id;
  }
  // Syntactic loops that never iterate sit inside whatever natural loop holds their header.
  for (Loop& loop : fn.loops) {
    if (!loop.blocks.empty() || !loop.header.valid() || loop.header.index() >= fn.blocks.size()) {
      continue;
    }
    loop.parent = fn.block(loop.header).loop;
    loop.depth = loop.parent.valid() ? fn.loops[loop.parent.index()].depth + 1 : 1;
  }
}

LoopId InnermostLoop(const Function& fn, BlockId block) {
  if (!block.valid() || block.index() >= fn.blocks.size()) return LoopId();
  return fn.block(block).loop;
}

LoopId InnermostLoopOfInstr(const Function& fn, InstrId instr) {
  if (!instr.valid() || instr.index() >= fn.instrs.size()) return LoopId();
  return InnermostLoop(fn, fn.instr(instr).block);
}

bool LoopHasBlock(const Loop& loop, BlockId block) {
  return block.valid() && std::binary_search(loop.blocks.begin(), loop.blocks.end(), block);
}

bool InstrInLoop(const Function& fn, LoopId loop, InstrId instr) {
  if (!loop.valid() || !instr.valid() || instr.index() >= fn.instrs.size()) return false;
  return LoopHasBlock(fn.loops[loop.index()], fn.instr(instr).block);
}

bool LoopContains(const Function& fn, LoopId outer, LoopId inner) {
  if (!outer.valid()) return false;
  // Depth bounds the walk even if parent links were corrupted into a cycle.
  for (size_t steps = 0; inner.valid() && inner.index() < fn.loops.size() && steps <= fn.loops.size();
       ++steps) {
    if (inner == outer) return true;
    inner = fn.loops[inner.index()].parent;
  }
  return false;
}

std::vector<RegionId> EnclosingWithRegions(const Function& fn, BlockId block) {
  std::vector<RegionId> regions;
  if (!block.valid() || block.index() >= fn.blocks.size()) return regions;
  for (RegionId r = fn.block(block).with_region;
       r.valid() && r.index() < fn.with_regions.size() && regions.size() <= fn.with_regions.size();
       r = fn.with_regions[r.index()].parent) {
    regions.push_back(r);
  }
  return regions;
}

}  // namespace flopscope::ir
