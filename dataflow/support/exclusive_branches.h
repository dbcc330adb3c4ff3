// Mutually exclusive branches: two instructions (possibly in different functions reached from a
// common caller) that never both run in one execution because an `if`/`elif` chain picks one arm.
// The common case is `if args.model == "a": load_a() else: load_b()`; FS103 (same checkpoint
// loaded twice) must not count such loads as duplicates.
//
// The question is asked about two call paths from the same root (call_paths.h): where they
// diverge, in some function F, they reach F's instructions x and y. Then:
//   1. x and y are exclusive within one run of F when neither can reach the other in F's CFG
//      (exception edges included: a `try`/`except` pair is NOT exclusive).
//   2. If F can run repeatedly in the execution — x and y sit in a common loop of F (reachable
//      from each other only around it), or some call site of the shared path prefix is inside a
//      loop of its function — both arms may run in different repetitions. They are still
//      exclusive when a deciding branch (a Branch whose one arm reaches x but not y and whose
//      other arm reaches y but not x, without going around a loop) tests a condition that does
//      not change between repetitions: built from constants, module globals/class attributes
//      (config objects like `args` read as `args.model`), values defined before the loop, and
//      parameters whose arguments at the shared path's call sites are themselves such values
//      (followed up the path).
// Paths that diverge at the same call site (one path ends at the call, the other continues into
// it) and paths from different roots are never exclusive.
//
// Does NOT model: conditions that are exclusive by value across separate `if` statements
// (`if m == "a": ...` then `if m == "b": ...`), `match` arms beyond their CFG shape, globals
// mutated between repetitions, early `sys.exit()` (an external call, not a CFG exit).
#ifndef FLOPSCOPE_DATAFLOW_SUPPORT_EXCLUSIVE_BRANCHES_H_
#define FLOPSCOPE_DATAFLOW_SUPPORT_EXCLUSIVE_BRANCHES_H_

#include <optional>
#include <vector>

#include "dataflow/support/call_paths.h"
#include "dataflow/support/def_use.h"

namespace flopscope::dataflow::support {

class ExclusiveBranches {
 public:
  explicit ExclusiveBranches(const DefUse& du) : du_(du) {}

  // True when the instructions at the ends of `a` and `b` never both run in one execution that
  // enters the common root once. Both paths must start at the same function.
  bool MutuallyExclusive(const CallPath& a, const CallPath& b) const;

  // The Branch instruction that decides between the two paths (for explanations), when they are
  // exclusive.
  struct Decision {
    ir::FuncId fn;
    ir::InstrId branch;
  };
  std::optional<Decision> Decide(const CallPath& a, const CallPath& b) const;

  // Same-function form: neither instruction can reach the other in one run of fn.
  bool ExclusiveInOneRun(ir::FuncId fn, ir::InstrId x, ir::InstrId y) const;

 private:
  std::optional<Decision> DecideImpl(const CallPath& a, const CallPath& b) const;
  // `x` (block-level) reaches `y` in fn; `acyclic` ignores loop back edges.
  bool Reaches(const ir::Function& fn, ir::InstrId x, ir::InstrId y, bool acyclic) const;
  // Deciding branches of x vs y in fn, innermost (closest to them) first, at most a few.
  std::vector<ir::InstrId> Deciders(const ir::Function& fn, ir::InstrId x, ir::InstrId y) const;
  // Whether `value` of the path's function at `level` stays the same across repetitions, given the
  // shared prefix path[0..level).
  bool Stable(const CallPath& prefix, size_t level, ir::InstrId value, ir::LoopId loop,
              int budget) const;

  const DefUse& du_;
};

}  // namespace flopscope::dataflow::support

#endif  // FLOPSCOPE_DATAFLOW_SUPPORT_EXCLUSIVE_BRANCHES_H_
