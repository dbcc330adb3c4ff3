#include "dataflow/support/exclusive_branches.h"

#include <algorithm>
#include <deque>

#include "ir/passes.h"

namespace flopscope::dataflow::support {
namespace {

using ir::Opcode;

// Candidate deciding branches examined per query (closest to the instructions first).
constexpr size_t kMaxDeciders = 16;
// Values examined when proving a condition stable.
constexpr int kStableBudget = 64;

// An edge that closes a loop: into a loop header from inside that loop.
bool IsBackEdge(const ir::Function& fn, ir::BlockId from, ir::BlockId to) {
  for (const ir::Loop& loop : fn.loops) {
    if (loop.header == to && ir::LoopHasBlock(loop, from)) return true;
  }
  return false;
}

// Blocks reachable from `start` (inclusive) along succs (or preds when `backward`), optionally
// without back edges.
std::vector<bool> ReachableBlocks(const ir::Function& fn, ir::BlockId start, bool backward,
                                  bool acyclic) {
  std::vector<bool> seen(fn.blocks.size(), false);
  if (!start.valid() || start.index() >= fn.blocks.size()) return seen;
  std::deque<ir::BlockId> work = {start};
  seen[start.index()] = true;
  while (!work.empty()) {
    const ir::BlockId b = work.front();
    work.pop_front();
    const ir::Block& block = fn.block(b);
    for (ir::BlockId next : backward ? block.preds : block.succs) {
      if (!next.valid() || next.index() >= seen.size() || seen[next.index()]) continue;
      if (acyclic && (backward ? IsBackEdge(fn, next, b) : IsBackEdge(fn, b, next))) continue;
      seen[next.index()] = true;
      work.push_back(next);
    }
  }
  return seen;
}

ir::BlockId BlockOf(const ir::Function& fn, ir::InstrId id) {
  if (!id.valid() || id.index() >= fn.instrs.size()) return ir::BlockId();
  return fn.instr(id).block;
}

int32_t PositionOf(const ir::Function& fn, ir::InstrId id) {
  const ir::BlockId b = BlockOf(fn, id);
  if (!b.valid()) return -1;
  const std::vector<ir::InstrId>& list = fn.block(b).instrs;
  auto it = std::find(list.begin(), list.end(), id);
  return it == list.end() ? -1 : static_cast<int32_t>(it - list.begin());
}

// The innermost loop of fn containing both blocks, or invalid.
ir::LoopId CommonLoop(const ir::Function& fn, ir::BlockId a, ir::BlockId b) {
  ir::LoopId l = fn.block(a).loop;
  for (int guard = 0; l.valid() && guard < 1024; ++guard) {
    const ir::Loop& loop = fn.loops[l.index()];
    if (ir::LoopHasBlock(loop, b)) return l;
    l = loop.parent;
  }
  return ir::LoopId();
}

}  // namespace

bool ExclusiveBranches::Reaches(const ir::Function& fn, ir::InstrId x, ir::InstrId y,
                                bool acyclic) const {
  const ir::BlockId bx = BlockOf(fn, x);
  const ir::BlockId by = BlockOf(fn, y);
  if (!bx.valid() || !by.valid()) return false;
  if (bx == by && PositionOf(fn, x) < PositionOf(fn, y)) return true;
  for (ir::BlockId s : fn.block(bx).succs) {
    if (acyclic && IsBackEdge(fn, bx, s)) continue;
    if (ReachableBlocks(fn, s, /*backward=*/false, acyclic)[by.index()]) return true;
  }
  return false;
}

bool ExclusiveBranches::ExclusiveInOneRun(ir::FuncId fn, ir::InstrId x, ir::InstrId y) const {
  const ir::Function& f = du_.program().function(fn);
  if (!BlockOf(f, x).valid() || !BlockOf(f, y).valid() || BlockOf(f, x) == BlockOf(f, y)) {
    return false;
  }
  return !Reaches(f, x, y, false) && !Reaches(f, y, x, false);
}

std::vector<ir::InstrId> ExclusiveBranches::Deciders(const ir::Function& fn, ir::InstrId x,
                                                     ir::InstrId y) const {
  std::vector<ir::InstrId> out;
  const ir::BlockId bx = BlockOf(fn, x);
  const ir::BlockId by = BlockOf(fn, y);
  const std::vector<bool> anc_x = ReachableBlocks(fn, bx, /*backward=*/true, /*acyclic=*/true);
  const std::vector<bool> anc_y = ReachableBlocks(fn, by, /*backward=*/true, /*acyclic=*/true);
  // Walk ancestors of x closest first so the innermost decider comes first.
  std::vector<bool> seen(fn.blocks.size(), false);
  std::deque<ir::BlockId> work = {bx};
  seen[bx.index()] = true;
  while (!work.empty() && out.size() < kMaxDeciders) {
    const ir::BlockId b = work.front();
    work.pop_front();
    const ir::Block& block = fn.block(b);
    if (anc_y[b.index()] && !block.instrs.empty()) {
      const ir::InstrId term = block.instrs.back();
      const ir::Instr& t = fn.instr(term);
      if (t.op == Opcode::kBranch && t.targets.size() == 2 && t.targets[0] != t.targets[1]) {
        const std::vector<bool> r0 = ReachableBlocks(fn, t.targets[0], false, true);
        const std::vector<bool> r1 = ReachableBlocks(fn, t.targets[1], false, true);
        const bool split = (r0[bx.index()] && !r1[bx.index()] && r1[by.index()] &&
                            !r0[by.index()]) ||
                           (r1[bx.index()] && !r0[bx.index()] && r0[by.index()] &&
                            !r1[by.index()]);
        if (split) out.push_back(term);
      }
    }
    for (ir::BlockId p : block.preds) {
      if (!p.valid() || p.index() >= seen.size() || seen[p.index()] || !anc_x[p.index()]) continue;
      if (IsBackEdge(fn, p, b)) continue;
      seen[p.index()] = true;
      work.push_back(p);
    }
  }
  return out;
}

bool ExclusiveBranches::Stable(const CallPath& path, size_t level, ir::InstrId value,
                               ir::LoopId loop, int budget) const {
  if (budget <= 0 || !value.valid()) return false;
  const ir::Function& fn = du_.program().function(path[level].fn);
  const ir::Instr& instr = fn.instr(value);
  switch (instr.op) {
    case Opcode::kConst:
    case Opcode::kImport:
    case Opcode::kMakeFunction:
    case Opcode::kMakeClass:
      return true;
    case Opcode::kLoadVar:
      // Module globals, class attributes and closure cells: configuration read where decided
      // (`args.model`, `CONFIG["model"]`); assumed not to change between repetitions.
      return true;
    case Opcode::kCompare:
    case Opcode::kBinaryOp:
    case Opcode::kUnaryOp:
    case Opcode::kLoadAttr:
    case Opcode::kLoadSubscript:
    case Opcode::kBuildTuple:
    case Opcode::kBuildList:
    case Opcode::kBuildSet:
    case Opcode::kFormatString:
      for (ir::InstrId op : instr.operands) {
        if (!Stable(path, level, op, loop, budget - 1)) return false;
      }
      return true;
    case Opcode::kParam: {
      if (level == 0) return true;  // the root runs once
      const CallSite site{path[level - 1].fn, path[level - 1].site};
      const ir::Function& caller = du_.program().function(site.caller);
      const ir::LoopId caller_loop = caller.block(BlockOf(caller, site.site)).loop;
      const auto index = static_cast<uint32_t>(instr.aux);
      const ir::Instr& call = caller.instr(site.site);
      bool bound = false;
      for (uint32_t k = 1; k < call.operands.size(); ++k) {
        for (const ParamBinding& b : du_.BindOperand(site, k)) {
          if (b.callee != path[level].fn || b.param_index != index) continue;
          bound = true;
          if (!Stable(path, level - 1, call.operands[k], caller_loop, budget - 1)) return false;
        }
      }
      if (index == 0) {
        for (const ParamBinding& b : du_.BindReceiver(site)) {
          if (b.callee != path[level].fn) continue;
          bound = true;
          const ir::InstrId receiver = du_.Receiver(site);
          if (!receiver.valid() ||
              !Stable(path, level - 1, receiver, caller_loop, budget - 1)) {
            return false;
          }
        }
      }
      // An omitted argument takes the default, evaluated once at definition.
      return bound || index < fn.params.size();
    }
    default: {
      // Computed here (a call, a phi, a loop variable): the same only when this function runs
      // once and the value is computed outside the repeating loop.
      for (size_t j = 0; j < level; ++j) {
        const ir::Function& f = du_.program().function(path[j].fn);
        const ir::BlockId b = BlockOf(f, path[j].site);
        if (b.valid() && f.block(b).loop.valid()) return false;
      }
      if (!loop.valid()) return true;
      const ir::BlockId def = BlockOf(fn, value);
      return def.valid() && !ir::LoopHasBlock(fn.loops[loop.index()], def);
    }
  }
}

std::optional<ExclusiveBranches::Decision> ExclusiveBranches::DecideImpl(const CallPath& a,
                                                                          const CallPath& b) const {
  if (a.empty() || b.empty() || a[0].fn != b[0].fn) return std::nullopt;
  size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
  if (i == a.size() || i == b.size()) return std::nullopt;  // one continues into the other
  if (a[i].fn != b[i].fn) return std::nullopt;  // one call site, different targets
  const ir::FuncId fid = a[i].fn;
  const ir::Function& fn = du_.program().function(fid);
  const ir::InstrId x = a[i].site;
  const ir::InstrId y = b[i].site;
  const ir::BlockId bx = BlockOf(fn, x);
  const ir::BlockId by = BlockOf(fn, y);
  if (!bx.valid() || !by.valid() || bx == by) return std::nullopt;
  const bool one_run = !Reaches(fn, x, y, false) && !Reaches(fn, y, x, false);
  ir::LoopId loop;
  if (!one_run) {
    if (Reaches(fn, x, y, true) || Reaches(fn, y, x, true)) return std::nullopt;  // in sequence
    loop = CommonLoop(fn, bx, by);  // only around a loop: both arms across iterations
    if (!loop.valid()) return std::nullopt;
  }
  bool repeated = loop.valid();
  for (size_t j = 0; j < i && !repeated; ++j) {
    const ir::Function& f = du_.program().function(a[j].fn);
    const ir::BlockId blk = BlockOf(f, a[j].site);
    repeated = blk.valid() && f.block(blk).loop.valid();
  }
  const std::vector<ir::InstrId> deciders = Deciders(fn, x, y);
  if (!repeated) return Decision{fid, deciders.empty() ? ir::InstrId() : deciders.front()};
  CallPath prefix(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(i + 1));
  for (ir::InstrId d : deciders) {
    const ir::Instr& branch = fn.instr(d);
    if (branch.operands.empty()) continue;
    if (Stable(prefix, i, branch.operands[0], loop, kStableBudget)) return Decision{fid, d};
  }
  return std::nullopt;
}

bool ExclusiveBranches::MutuallyExclusive(const CallPath& a, const CallPath& b) const {
  return DecideImpl(a, b).has_value();
}

std::optional<ExclusiveBranches::Decision> ExclusiveBranches::Decide(const CallPath& a,
                                                                      const CallPath& b) const {
  return DecideImpl(a, b);
}

}  // namespace flopscope::dataflow::support
