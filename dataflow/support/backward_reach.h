// "Is this value used for training?": does a value (a forward-pass output, a loss) reach a
// `.backward()` call, `torch.autograd.backward`/`grad`, or a framework's backward hook-in, through
// the values computed from it; and "is this function part of training": can a backward call run
// during a call of it. FS201 (forward pass with grad enabled outside training), FS402 (loss
// accumulated without `.item()` unless the sum feeds backward) and FS401 (fp32 that feeds an
// optimizer) ask these.
//
// Reaching backward (ReachesBackward) is a ValueFlow walk with every derivation on (arithmetic,
// attributes like `.loss`, subscripts, method results like `.mean()`, external calls like
// `scaler.scale(loss)`, `sum(losses)`, `torch.stack(losses)`), interprocedural through arguments,
// returns (a helper returning the loss to a caller that calls backward), containers and
// locations (`self.loss`, a list of losses), with accumulation (`total = total + loss`) through
// phis. The walk is cut at values that cannot carry a graph: `.item()`, `.detach()`, `.tolist()`,
// `.numpy()`, `.data`, `.grad`, shape/size/dtype/device queries, comparisons, f-strings, and the
// builtins float/int/bool/str/len/repr/round/print/isinstance.
//
// Backward sinks, where a value is "used for backward":
//   - the receiver of a `.backward()` call (any receiver: `loss.backward()`, `(l / n).backward()`);
//   - an argument of a call of a method named `backward` / `manual_backward`
//     (`accelerator.backward(loss)`, `self.manual_backward(loss)`, `engine.backward(loss)`);
//   - an argument of `torch.autograd.backward` / `torch.autograd.grad` (also via an alias);
//   - the return value of a method named `training_step` (Lightning runs backward on it), also
//     inside the dict or tuple it returns (`{"loss": loss, ...}`).
// A function is part of training when a backward call site (the first three kinds, or an
// `optimizer.step()`: a `.step()` whose receiver resolves to a `torch.optim` object or is named
// like an optimizer) is in it or in a function it may call (call graph edges except hook
// callbacks, which run at forward time).
//
// Does NOT model: optimizer closures (`optimizer.step(closure)`), backward hidden in an external
// training loop other than Lightning's `training_step` (HF `Trainer` computes its own loss and is
// not our values), gradient checkpointing.
#ifndef FLOPSCOPE_DATAFLOW_SUPPORT_BACKWARD_REACH_H_
#define FLOPSCOPE_DATAFLOW_SUPPORT_BACKWARD_REACH_H_

#include <optional>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "dataflow/support/def_use.h"
#include "dataflow/support/value_flow.h"

namespace flopscope::dataflow::support {

class BackwardReach {
 public:
  // Scans every function once for backward sites and propagates "part of training" over the
  // call graph bottom-up (linear).
  explicit BackwardReach(const DefUse& du);

  struct Witness {
    ValueRef sink;              // the backward call (or the Return of a training_step)
    std::vector<FlowHop> path;  // from the start value to the sink's operand, start first
  };
  // Whether `value` reaches a backward sink, when its function runs under `context` (outermost
  // call first, last element = the call that invoked value.fn; empty = any caller). nullopt when
  // it does not (or the walk's budget ran out: `budget_exhausted` then says so).
  std::optional<Witness> ReachesBackward(ValueRef value,
                                         const std::vector<CallSite>& context = {},
                                         bool* budget_exhausted = nullptr) const;

  // A backward call site can run during a call of `fn` (in fn or in a transitive callee).
  bool IsTrainingFunction(ir::FuncId fn) const { return training_[fn.index()]; }
  // The call chain from fn to a backward site: fn's call site, the callee's call site, ..., the
  // backward site itself last. Empty when fn is not part of training.
  std::vector<CallSite> TrainingWitness(ir::FuncId fn) const;
  // Every backward call site of the program (the kinds listed in the file comment, including
  // optimizer steps), in function then instruction order.
  const std::vector<ValueRef>& BackwardSites() const { return sites_; }

  // True when `site` is one of the sinks above for operand `operand` (0 = the receiver of a
  // `.backward()` method). Exposed for checkers that look at single instructions.
  bool IsBackwardUse(ValueRef user, uint32_t operand) const;

 private:
  bool IsBackwardSite(ValueRef call) const;
  bool IsOptimizerStep(ValueRef call) const;
  bool Cut(ValueRef user) const;

  const DefUse& du_;
  std::vector<ValueRef> sites_;
  // Backward calls (not optimizer steps): a value used as their argument or receiver is used for
  // backward.
  absl::flat_hash_set<ValueRef> value_sinks_;
  bool has_training_step_ = false;
  std::vector<bool> training_;
  // For the witness: the call site (or backward site) that makes fn part of training.
  std::vector<CallSite> next_;
};

}  // namespace flopscope::dataflow::support

#endif  // FLOPSCOPE_DATAFLOW_SUPPORT_BACKWARD_REACH_H_
