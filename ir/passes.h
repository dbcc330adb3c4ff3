// Passes that turn lowered functions into analyzable ones, plus the printer and verifier.
// Order for every function: ComputeCfg (ir.h), BuildSsa, FindLoops, then Verify in debug builds.
#ifndef FLOPSCOPE_IR_PASSES_H_
#define FLOPSCOPE_IR_PASSES_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "ir/ir.h"

namespace flopscope::ir {

// Promotes kLocal LoadVar/StoreVar to SSA values with Phi nodes placed on iterated dominance
// frontiers (dominators from Boost.Graph's lengauer_tarjan_dominator_tree). Blocks unreachable
// from the entry are emptied (left as `unreachable`). In a module body, kGlobal loads, and in a
// class body kClass loads, are forwarded from the dominating store in the same body while the
// stores themselves stay (other functions read them). Sets fn.in_ssa. Runs ComputeCfg itself.
//
// Instruction ids are never renumbered: removed instructions (kLocal LoadVar/StoreVar, forwarded
// loads, everything in unreachable blocks) stay in fn.instrs as tombstones with an invalid
// Instr::block and are no longer listed in any Block::instrs; iterate blocks, not fn.instrs.
// Unreachable blocks are left empty (no instrs, succs, preds). A kLocal read with no assignment
// on some path reads an `Undefined` instruction at the start of the entry block; a kLocal DelVar
// keeps operands = [deleted value]. Phi::text names the variable. If the entry block had
// predecessors, a new entry block (jumping to the old one) is appended and fn.entry changes.
void BuildSsa(Function& fn);

struct SsaOptions {
  // Module globals that some function of the module rebinds through a `global` declaration. A
  // call anywhere may change them, so a module body's loads of these are never forwarded.
  absl::flat_hash_set<std::string> rebound_globals;
};
void BuildSsa(Function& fn, const SsaOptions& options);
// The options BuildSsa needs for `fn` inside `program` (for a module body: the `global`
// declarations of the module's other functions; empty otherwise). Reads only Function::kind,
// ::module and ::global_decls, so it may run while other functions are being converted.
SsaOptions SsaOptionsFor(const Program& program, const Function& fn);

// Natural loops from back edges, matched to the lowering's loops by header; fills Function::loops
// (nesting, blocks, exits) and Block::loop. Needs current succs/preds (ComputeCfg or BuildSsa).
// A lowered loop with no back edge (its body runs at most once) gets empty blocks/exits; a
// natural loop the lowering did not announce is appended with an invalid range.
void FindLoops(Function& fn);

// --- Queries over FindLoops' and the lowering's results (cheap walks, no allocation but the
// returned vector). ---

// Innermost natural loop containing `block` (Block::loop), invalid when none or out of range.
LoopId InnermostLoop(const Function& fn, BlockId block);
// Innermost loop around the (live) instruction `instr`, invalid when none.
LoopId InnermostLoopOfInstr(const Function& fn, InstrId instr);
// True when `inner` is `outer` or nested (through Loop::parent) inside it.
bool LoopContains(const Function& fn, LoopId outer, LoopId inner);
// True when `block` is one of `loop`'s blocks (Loop::blocks is sorted).
bool LoopHasBlock(const Loop& loop, BlockId block);
// True when the live instruction `instr` sits in a block of `loop`; false for invalid ids.
bool InstrInLoop(const Function& fn, LoopId loop, InstrId instr);
// The `with` regions around `block`, innermost first (Block::with_region, then parents).
std::vector<RegionId> EnclosingWithRegions(const Function& fn, BlockId block);

// Internal consistency: one terminator per block at the end, phis first, operands defined,
// in SSA every use dominated by its definition, no kLocal LoadVar/StoreVar left.
absl::Status Verify(const Function& fn);

// Stable text form, used by `flopscope ir` and golden tests.
std::string PrintFunction(const Program& program, const Function& fn);
std::string PrintModule(const Program& program, ModuleId module);

}  // namespace flopscope::ir

#endif  // FLOPSCOPE_IR_PASSES_H_
