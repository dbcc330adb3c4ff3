// Passes that turn lowered functions into analyzable ones, plus the printer and verifier.
// Order for every function: ComputeCfg (ir.h), BuildSsa, FindLoops, then Verify in debug builds.
#ifndef FLOPSCOPE_IR_PASSES_H_
#define FLOPSCOPE_IR_PASSES_H_

#include <string>

#include "absl/status/status.h"
#include "ir/ir.h"

namespace flopscope::ir {

// Promotes kLocal LoadVar/StoreVar to SSA values with Phi nodes placed on iterated dominance
// frontiers (dominators from Boost.Graph's lengauer_tarjan_dominator_tree). Blocks unreachable
// from the entry are emptied (left as `unreachable`). In a module body, kGlobal loads, and in a
// class body kClass loads, are forwarded from the dominating store in the same body while the
// stores themselves stay (other functions read them). Sets fn.in_ssa.
void BuildSsa(Function& fn);

// Natural loops from back edges, matched to the lowering's loops by header; fills Function::loops
// (nesting, blocks, exits) and Block::loop.
void FindLoops(Function& fn);

// Internal consistency: one terminator per block at the end, phis first, operands defined,
// in SSA every use dominated by its definition, no kLocal LoadVar/StoreVar left.
absl::Status Verify(const Function& fn);

// Stable text form, used by `flopscope ir` and golden tests.
std::string PrintFunction(const Program& program, const Function& fn);
std::string PrintModule(const Program& program, ModuleId module);

}  // namespace flopscope::ir

#endif  // FLOPSCOPE_IR_PASSES_H_
