// Verify: the IR's structural invariants, checked after lowering and after every pass in tests.
// A failure is a flopscope bug (InternalError) and names the function, block and instruction so
// the broken spot can be found in `flopscope ir` output.
//
// Accepted shapes: an empty block is fine when nothing reaches it (BuildSsa empties unreachable
// blocks); instructions not listed in any block are tombstones and are not checked.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "ir/dominators.h"
#include "ir/ir.h"
#include "ir/passes.h"

namespace flopscope::ir {
namespace {

constexpr int32_t kNotListed = -1;

class Verifier {
 public:
  explicit Verifier(const Function& fn) : fn_(fn) {}

  absl::Status Run() {
    if (fn_.blocks.empty()) return absl::OkStatus();
    if (!ValidBlock(fn_.entry)) return Fail("entry block ", fn_.entry.value(), " does not exist");
    if (absl::Status s = CheckListing(); !s.ok()) return s;
    if (absl::Status s = CheckCfgEdges(); !s.ok()) return s;
    const DominatorTree dom(fn_);
    for (const Block& block : fn_.blocks) {
      if (absl::Status s = CheckBlockShape(block, dom); !s.ok()) return s;
      for (size_t i = 0; i < block.instrs.size(); ++i) {
        if (absl::Status s = CheckInstr(block, i, dom); !s.ok()) return s;
      }
    }
    return CheckSideTables();
  }

 private:
  template <typename... Args>
  absl::Status Fail(const Args&... args) const {
    return absl::InternalError(absl::StrCat("ir verifier: function ", fn_.qualname, ": ", args...));
  }

  std::string Where(BlockId block, InstrId id) const {
    std::string out = absl::StrCat("bb", block.value(), " %", id.value());
    if (ValidInstr(id)) absl::StrAppend(&out, " (", OpcodeName(fn_.instr(id).op), ")");
    return out;
  }

  bool ValidBlock(BlockId b) const { return b.valid() && b.index() < fn_.blocks.size(); }
  bool ValidInstr(InstrId i) const { return i.valid() && i.index() < fn_.instrs.size(); }

  // Every listed instruction exists, is listed once, and knows its block.
  absl::Status CheckListing() {
    position_.assign(fn_.instrs.size(), kNotListed);
    for (const Block& block : fn_.blocks) {
      for (size_t i = 0; i < block.instrs.size(); ++i) {
        const InstrId id = block.instrs[i];
        if (!ValidInstr(id)) return Fail(Where(block.id, id), ": no such instruction");
        if (position_[id.index()] != kNotListed) {
          return Fail(Where(block.id, id), ": listed in more than one place");
        }
        position_[id.index()] = static_cast<int32_t>(i);
        if (fn_.instr(id).block != block.id) {
          return Fail(Where(block.id, id), ": Instr::block says bb", fn_.instr(id).block.value());
        }
      }
    }
    return absl::OkStatus();
  }

  // succs/preds must be what ComputeCfg derives, or every later pass reads a different graph.
  absl::Status CheckCfgEdges() const {
    for (const Block& block : fn_.blocks) {
      std::vector<BlockId> expected;
      if (!block.instrs.empty() && IsTerminator(fn_.instr(block.instrs.back()).op)) {
        for (BlockId t : fn_.instr(block.instrs.back()).targets) expected.push_back(t);
      }
      for (BlockId h : block.exception_targets) {
        if (std::find(expected.begin(), expected.end(), h) == expected.end()) expected.push_back(h);
      }
      for (BlockId t : expected) {
        if (!ValidBlock(t)) return Fail("bb", block.id.value(), ": edge to missing block ", t.value());
      }
      if (expected != block.succs) {
        return Fail("bb", block.id.value(), ": succs are stale (ComputeCfg not run after an edit)");
      }
      for (BlockId s : block.succs) {
        const std::vector<BlockId>& preds = fn_.block(s).preds;
        if (std::find(preds.begin(), preds.end(), block.id) == preds.end()) {
          return Fail("bb", s.value(), ": missing predecessor bb", block.id.value());
        }
      }
      for (BlockId p : block.preds) {
        if (!ValidBlock(p)) return Fail("bb", block.id.value(), ": predecessor ", p.value(), " missing");
        const std::vector<BlockId>& succs = fn_.block(p).succs;
        if (std::find(succs.begin(), succs.end(), block.id) == succs.end()) {
          return Fail("bb", block.id.value(), ": bb", p.value(), " is a predecessor without an edge");
        }
      }
    }
    return absl::OkStatus();
  }

  absl::Status CheckBlockShape(const Block& block, const DominatorTree& dom) const {
    if (block.instrs.empty()) {
      if (dom.Reachable(block.id)) return Fail("bb", block.id.value(), ": reachable block is empty");
      return absl::OkStatus();
    }
    const InstrId last = block.instrs.back();
    if (!IsTerminator(fn_.instr(last).op)) {
      return Fail(Where(block.id, last), ": block does not end in a terminator");
    }
    bool phis_done = false;
    for (size_t i = 0; i < block.instrs.size(); ++i) {
      const InstrId id = block.instrs[i];
      const Opcode op = fn_.instr(id).op;
      if (i + 1 < block.instrs.size() && IsTerminator(op)) {
        return Fail(Where(block.id, id), ": terminator in the middle of the block");
      }
      if (op != Opcode::kPhi) {
        phis_done = true;
      } else if (phis_done) {
        return Fail(Where(block.id, id), ": phi after a non-phi instruction");
      }
    }
    return absl::OkStatus();
  }

  absl::Status CheckTargets(const Block& block, InstrId id) const {
    const Instr& instr = fn_.instr(id);
    size_t want = 0;
    switch (instr.op) {
      case Opcode::kJump: want = 1; break;
      case Opcode::kBranch:
      case Opcode::kForIter: want = 2; break;
      case Opcode::kPhi: return CheckPhi(block, id);
      default: want = 0; break;
    }
    if (instr.targets.size() != want) {
      return Fail(Where(block.id, id), ": has ", instr.targets.size(), " targets, expected ", want);
    }
    return absl::OkStatus();
  }

  absl::Status CheckPhi(const Block& block, InstrId id) const {
    const Instr& phi = fn_.instr(id);
    if (phi.operands.size() != block.preds.size() || phi.targets.size() != block.preds.size()) {
      return Fail(Where(block.id, id), ": phi has ", phi.operands.size(), " operands and ",
                  phi.targets.size(), " incoming blocks for ", block.preds.size(), " predecessors");
    }
    for (BlockId pred : block.preds) {
      if (std::count(phi.targets.begin(), phi.targets.end(), pred) != 1) {
        return Fail(Where(block.id, id), ": phi incoming blocks do not match predecessor bb",
                    pred.value());
      }
    }
    return absl::OkStatus();
  }

  absl::Status CheckInstr(const Block& block, size_t index, const DominatorTree& dom) const {
    const InstrId id = block.instrs[index];
    const Instr& instr = fn_.instr(id);
    if (absl::Status s = CheckTargets(block, id); !s.ok()) return s;
    for (size_t k = 0; k < instr.operands.size(); ++k) {
      const InstrId op = instr.operands[k];
      if (!ValidInstr(op)) return Fail(Where(block.id, id), ": operand ", k, " does not exist");
      if (!HasResult(fn_.instr(op).op)) {
        return Fail(Where(block.id, id), ": operand %", op.value(), " has no result");
      }
      if (position_[op.index()] == kNotListed) {
        return Fail(Where(block.id, id), ": operand %", op.value(), " was removed");
      }
      if (fn_.in_ssa && dom.Reachable(block.id)) {
        const BlockId use_at = instr.op == Opcode::kPhi ? instr.targets[k] : block.id;
        if (!DefReaches(op, use_at, instr.op == Opcode::kPhi ? -1 : static_cast<int32_t>(index),
                        dom)) {
          return Fail(Where(block.id, id), ": operand %", op.value(),
                      " does not dominate its use", instr.op == Opcode::kPhi ? " (phi edge from bb" : "",
                      instr.op == Opcode::kPhi ? absl::StrCat(use_at.value(), ")") : "");
        }
      }
    }
    if (fn_.in_ssa) return CheckSsaOnly(block, id);
    return absl::OkStatus();
  }

  // Whether the definition `def` is available at position `index` of block `use_at`
  // (index -1: at the block's end, for a phi's incoming edge).
  bool DefReaches(InstrId def, BlockId use_at, int32_t index, const DominatorTree& dom) const {
    const BlockId def_block = fn_.instr(def).block;
    if (def_block == use_at) return index < 0 || position_[def.index()] < index;
    return dom.Dominates(def_block, use_at);
  }

  absl::Status CheckSsaOnly(const Block& block, InstrId id) const {
    const Instr& instr = fn_.instr(id);
    const bool local = instr.aux == static_cast<int32_t>(VarScope::kLocal);
    if ((instr.op == Opcode::kLoadVar || instr.op == Opcode::kStoreVar) && local) {
      return Fail(Where(block.id, id), ": kLocal variable access \"", instr.text, "\" left in SSA");
    }
    if (instr.op == Opcode::kDelVar && local && instr.operands.size() != 1) {
      return Fail(Where(block.id, id), ": kLocal del of \"", instr.text,
                  "\" must name the deleted value");
    }
    return absl::OkStatus();
  }

  absl::Status CheckSideTables() const {
    for (const Block& block : fn_.blocks) {
      if (block.loop.valid() && block.loop.index() >= fn_.loops.size()) {
        return Fail("bb", block.id.value(), ": loop ", block.loop.value(), " does not exist");
      }
      if (block.with_region.valid() && block.with_region.index() >= fn_.with_regions.size()) {
        return Fail("bb", block.id.value(), ": with region ", block.with_region.value(),
                    " does not exist");
      }
    }
    for (const Loop& loop : fn_.loops) {
      if (!ValidBlock(loop.header)) return Fail("loop ", loop.id.value(), ": header missing");
      if (loop.for_iter.valid() && !ValidInstr(loop.for_iter)) {
        return Fail("loop ", loop.id.value(), ": for_iter %", loop.for_iter.value(), " missing");
      }
      if (loop.parent.valid() && loop.parent.index() >= fn_.loops.size()) {
        return Fail("loop ", loop.id.value(), ": parent ", loop.parent.value(), " missing");
      }
      for (BlockId b : loop.blocks) {
        if (!ValidBlock(b)) return Fail("loop ", loop.id.value(), ": block ", b.value(), " missing");
      }
    }
    for (const WithRegion& region : fn_.with_regions) {
      if (region.enter.valid() && !ValidInstr(region.enter)) {
        return Fail("with ", region.id.value(), ": enter %", region.enter.value(), " missing");
      }
      if (region.parent.valid() && region.parent.index() >= fn_.with_regions.size()) {
        return Fail("with ", region.id.value(), ": parent ", region.parent.value(), " missing");
      }
    }
    return absl::OkStatus();
  }

  const Function& fn_;
  std::vector<int32_t> position_;  // index within its block's list, or kNotListed
};

}  // namespace

absl::Status Verify(const Function& fn) { return Verifier(fn).Run(); }

}  // namespace flopscope::ir
