// The intraprocedural worklist solver: a generic fixpoint over one function's SSA CFG. A problem
// describes *what* a block does to the facts (TransferBlock); the solver owns *when* blocks run
// (reverse post-order priority, widening at loop headers after a few visits, a visit budget that
// makes termination certain even if a domain were to misbehave).
//
// Facts come in two kinds, matching an SSA IR:
//  - a small flow-sensitive State per program point (grad mode, in-place refinements), joined
//    at block entries from the predecessors' exit states;
//  - sparse per-value facts that the problem keeps in its own table. When TransferBlock changes
//    the fact of a value it reports the value, and the solver revisits every block that uses it
//    (phis across back edges included).
//
// Users: dataflow/interproc.cc; tests build their own problems.
#ifndef FLOPSCOPE_DATAFLOW_SOLVER_H_
#define FLOPSCOPE_DATAFLOW_SOLVER_H_

#include <concepts>
#include <queue>
#include <utility>
#include <vector>

#include "absl/types/span.h"
#include "dataflow/lattice.h"
#include "ir/ir.h"

namespace flopscope::dataflow {

// CFG facts the solver needs, computed once per function (successors/preds must be computed).
struct CfgOrder {
  std::vector<ir::BlockId> rpo;            // blocks reachable from the entry, reverse post-order
  std::vector<int> rpo_index;              // per block; -1 when unreachable
  std::vector<bool> is_loop_header;        // target of a retreating edge
  // Per instruction: the blocks that use it as an operand. One flat array (lists back to back)
  // rather than a vector per instruction: this is built for every function of the program.
  struct UserLists {
    std::vector<uint32_t> start;  // list i is blocks[start[i], start[i + 1])
    std::vector<ir::BlockId> blocks;
    absl::Span<const ir::BlockId> operator[](size_t i) const {
      return absl::MakeConstSpan(blocks.data() + start[i], start[i + 1] - start[i]);
    }
  };
  UserLists users;
};
CfgOrder ComputeCfgOrder(const ir::Function& fn);

template <typename P>
concept IntraproceduralProblem =
    AbstractDomain<typename P::State> &&
    requires(P& p, ir::BlockId b, const typename P::State& s, int visits,
             std::vector<ir::InstrId>& changed) {
      // The state at the function's entry (Bottom means "never runs").
      { p.EntryState() } -> std::same_as<typename P::State>;
      // Hoare triple: {in} block b {result}. Appends to `changed` every value whose sparse fact
      // grew. `visits` counts how often b ran (1 on the first visit): problems widen their
      // loop-header phis once it passes the solver's widening threshold.
      { p.TransferBlock(b, s, visits, changed) } -> std::same_as<typename P::State>;
    };

struct SolverOptions {
  int widen_after = 3;           // visits of a loop header before its entry state is widened
  int max_visits_per_block = 64;  // then the solve is abandoned (converged = false)
};

template <typename State>
struct SolverResult {
  std::vector<State> in;   // per block (Bottom: unreachable)
  std::vector<State> out;  // per block
  bool converged = true;
  int block_visits = 0;
};

template <IntraproceduralProblem P>
SolverResult<typename P::State> Solve(const ir::Function& fn, const CfgOrder& order, P& problem,
                                      const SolverOptions& options = {}) {
  using State = typename P::State;
  SolverResult<State> result;
  const size_t n = fn.blocks.size();
  result.in.assign(n, State::Bottom());
  result.out.assign(n, State::Bottom());
  if (order.rpo.empty()) return result;

  std::vector<int> visits(n, 0);
  std::vector<bool> queued(n, false);
  std::priority_queue<int, std::vector<int>, std::greater<int>> queue;  // RPO indices
  auto push = [&](ir::BlockId b) {
    const int index = order.rpo_index[b.index()];
    if (index < 0 || queued[b.index()]) return;
    queued[b.index()] = true;
    queue.push(index);
  };
  for (ir::BlockId b : order.rpo) push(b);

  const State entry_state = problem.EntryState();
  std::vector<ir::InstrId> changed;
  while (!queue.empty()) {
    const ir::BlockId b = order.rpo[queue.top()];
    queue.pop();
    queued[b.index()] = false;

    State in = b == fn.entry ? entry_state : State::Bottom();
    for (ir::BlockId pred : fn.block(b).preds) in = in.Join(result.out[pred.index()]);
    if (in.IsBottom()) continue;  // not reached (yet)
    if (order.is_loop_header[b.index()] && visits[b.index()] >= options.widen_after) {
      in = result.in[b.index()].Widen(in);
    }
    if (++visits[b.index()] > options.max_visits_per_block) {
      result.converged = false;
      break;
    }
    ++result.block_visits;
    result.in[b.index()] = std::move(in);

    changed.clear();
    State out = problem.TransferBlock(b, result.in[b.index()], visits[b.index()], changed);
    for (ir::InstrId value : changed) {
      for (ir::BlockId user : order.users[value.index()]) push(user);
    }
    if (!(out == result.out[b.index()])) {
      result.out[b.index()] = std::move(out);
      for (ir::BlockId succ : fn.block(b).succs) push(succ);
    }
  }
  return result;
}

}  // namespace flopscope::dataflow

#endif  // FLOPSCOPE_DATAFLOW_SOLVER_H_
