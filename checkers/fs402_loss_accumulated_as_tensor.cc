// FS402 loss-accumulated-as-tensor: a graph-attached loss is added to a running total (a
// loop-carried local or an attribute/global) that never feeds backward(), so every step's graph
// stays alive for a number that is only logged.
// User documentation: docs/rules/fs402_loss_accumulated_as_tensor.md
#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "checkers/checker.h"
#include "checkers/graph_attachment.h"
#include "checkers/tensor_rule_support.h"
#include "dataflow/analysis.h"
#include "dataflow/support/backward_reach.h"
#include "dataflow/support/def_use.h"
#include "ir/passes.h"

namespace flopscope::checkers {
namespace {

namespace tr = tensor_rules;
namespace sp = dataflow::support;
using dataflow::AbstractValue;
using dataflow::ContextId;
using ir::Opcode;

// `acc += term`, `acc = acc + term`: the running total and the added term.
struct Accumulation {
  ir::InstrId instr;       // the InplaceOp / BinaryOp
  size_t term_operand = 1;
  ir::InstrId accumulator; // the phi or location load read by the addition
  bool location = false;   // an attribute or global (kept across calls)
};

class LossAccumulatedAsTensorChecker final : public Checker {
 public:
  void Run(const CheckContext& ctx, DiagnosticSink& sink) const override {
    const dataflow::Analysis& analysis = ctx.analysis();
    if (analysis.forward_calls().empty() || !tr::UsesTorch(ctx.program())) return;
    const tr::GraphAttachment attachment(ctx);
    for (const ir::Function& fn : ctx.program().functions()) {
      if (analysis.ContextsOf(fn.id).empty()) continue;
      for (const ir::Block& block : fn.blocks) {
        for (ir::InstrId id : block.instrs) {
          if (std::optional<Accumulation> acc = AccumulationAt(ctx, fn, id)) {
            Check(ctx, attachment, fn, *acc, sink);
          }
        }
      }
    }
  }

 private:
  // `result` flows (through phis only) back into `phi`: a loop-carried running value.
  static bool FlowsInto(const sp::DefUse& du, ir::FuncId fn, ir::InstrId result, ir::InstrId phi) {
    std::vector<ir::InstrId> work = {result};
    absl::flat_hash_set<ir::InstrId> seen = {result};
    const ir::Function& f = du.program().function(fn);
    while (!work.empty() && seen.size() < 256) {
      const ir::InstrId v = work.back();
      work.pop_back();
      for (const sp::Use& use : du.Uses({fn, v})) {
        if (use.user == phi) return true;
        if (f.instr(use.user).op == Opcode::kPhi && seen.insert(use.user).second) {
          work.push_back(use.user);
        }
      }
    }
    return false;
  }

  // `value` is computed from `acc` inside fn (the term of `x = x + f(x)` is not a loss but the
  // next state of a recurrence: residual streams, running products).
  static bool DependsOn(const ir::Function& fn, ir::InstrId value, ir::InstrId acc) {
    std::vector<ir::InstrId> work = {value};
    absl::flat_hash_set<ir::InstrId> seen = {value};
    while (!work.empty() && seen.size() < 512) {
      const ir::InstrId v = work.back();
      work.pop_back();
      if (v == acc) return true;
      const ir::Instr& instr = fn.instr(v);
      if (instr.op == Opcode::kPhi) continue;  // loop-carried inputs are other iterations
      for (ir::InstrId op : instr.operands) {
        if (op.valid() && seen.insert(op).second) work.push_back(op);
      }
    }
    return false;
  }

  // Two subscript keys name the same entry: one SSA value, or equal literals.
  static bool SameKey(const ir::Function& fn, ir::InstrId a, ir::InstrId b) {
    if (a == b) return true;
    const ir::Instr& x = fn.instr(a);
    const ir::Instr& y = fn.instr(b);
    return x.op == Opcode::kConst && y.op == Opcode::kConst && x.aux == y.aux &&
           x.text == y.text;
  }

  // `stats[key] += term` (or `stats.get(key, 0) + term`): the sum `sum` of entry `read` is
  // stored back into the same entry of the same container, and that container keeps it from one
  // step to the next: it outlives the call, or the statement runs in a loop the container was
  // created before.
  static bool WrittenBackToEntry(const CheckContext& ctx, const ir::Function& fn, ir::InstrId sum,
                                 ir::InstrId read) {
    const sp::DefUse& du = ctx.def_use();
    const ir::Instr& r = fn.instr(read);
    ir::InstrId container;
    ir::InstrId key;
    if (r.op == Opcode::kLoadSubscript && r.operands.size() == 2) {
      container = r.operands[0];
      key = r.operands[1];
    } else if (r.op == Opcode::kCall && r.operands.size() >= 2 &&
               du.MethodName({fn.id, read}) == "get" && du.TargetsAt({fn.id, read}).empty()) {
      // `stats[k] = stats.get(k, 0) + loss`
      container = du.Receiver({fn.id, read});
      key = r.operands[1];
    }
    if (!container.valid() || !key.valid()) return false;
    bool stored = false;
    for (const sp::Use& use : du.Uses({fn.id, sum})) {
      const ir::Instr& u = fn.instr(use.user);
      stored = stored || (u.op == Opcode::kStoreSubscript && use.operand == 2 &&
                          u.operands.size() == 3 && u.operands[0] == container &&
                          SameKey(fn, u.operands[1], key));
    }
    if (!stored) return false;
    const ir::LoopId loop = ir::InnermostLoopOfInstr(fn, sum);
    if (loop.valid() && !ir::LoopContains(fn, loop, ir::InnermostLoopOfInstr(fn, container))) {
      return true;
    }
    return tr::ContainerOutlivesCall(du, fn.id, container).has_value();
  }

  std::optional<Accumulation> AccumulationAt(const CheckContext& ctx, const ir::Function& fn,
                                             ir::InstrId id) const {
    const sp::DefUse& du = ctx.def_use();
    const ir::Instr& instr = fn.instr(id);
    if ((instr.op != Opcode::kInplaceOp && instr.op != Opcode::kBinaryOp) || instr.text != "+" ||
        instr.operands.size() != 2) {
      return std::nullopt;
    }
    for (size_t side = 0; side < 2; ++side) {
      if (instr.op == Opcode::kInplaceOp && side == 1) break;  // `acc += term` only
      const ir::InstrId acc = instr.operands[side];
      const ir::InstrId term = instr.operands[1 - side];
      const ir::Instr& a = fn.instr(acc);
      Accumulation out{id, 1 - side, acc, false};
      if (a.op == Opcode::kPhi && FlowsInto(du, fn.id, id, acc)) {
        if (DependsOn(fn, term, acc)) continue;
        return out;
      }
      if ((a.op == Opcode::kLoadSubscript || a.op == Opcode::kCall) &&
          WrittenBackToEntry(ctx, fn, id, acc) &&
          !DependsOn(fn, term, acc)) {
        return out;
      }
      if (a.op == Opcode::kLoadAttr || a.op == Opcode::kLoadVar) {
        // `self.total += x`: the sum is stored back where it was read from.
        const sp::LocationId loc = du.LoadedLocation({fn.id, acc});
        if (!loc.valid()) continue;
        for (const sp::Use& use : du.Uses({fn.id, id})) {
          const ir::Instr& u = fn.instr(use.user);
          const bool store = (u.op == Opcode::kStoreAttr && use.operand == 1) ||
                             (u.op == Opcode::kStoreVar && use.operand == 0);
          if (store && du.StoredLocation({fn.id, use.user}) == loc && !DependsOn(fn, term, acc)) {
            out.location = true;
            return out;
          }
        }
      }
    }
    return std::nullopt;
  }

  void Check(const CheckContext& ctx, const tr::GraphAttachment& attachment,
             const ir::Function& fn, const Accumulation& acc, DiagnosticSink& sink) const {
    const dataflow::Analysis& analysis = ctx.analysis();
    const sp::BackwardReach& reach = ctx.backward_reach();
    for (ContextId context : analysis.ContextsOf(fn.id)) {
      if (analysis.context(context).gave_up) continue;
      const ir::InstrId term_value = fn.instr(acc.instr).operands[acc.term_operand];
      const tr::GraphAttachment::Result term = attachment.Of(fn.id, context, term_value);
      if (!term.attached) continue;
      std::vector<dataflow::ContextPath> paths = analysis.PathsTo(context, 8);
      if (paths.empty()) paths.emplace_back();
      for (const dataflow::ContextPath& path : paths) {
        bool exhausted = false;
        // The sum itself (and everything computed from it) must not be backpropagated:
        // gradient accumulation and multi-task objectives are what `+=` on a loss is for.
        const auto witness =
            reach.ReachesBackward({fn.id, acc.instr}, tr::CallString(path), &exhausted);
        if (witness || exhausted) continue;
        Report(ctx, fn, acc, context, term, path, sink);
        return;
      }
    }
  }

  void Report(const CheckContext& ctx, const ir::Function& fn, const Accumulation& acc,
              ContextId context, const tr::GraphAttachment::Result& term,
              const dataflow::ContextPath& path, DiagnosticSink& sink) const {
    const dataflow::Analysis& analysis = ctx.analysis();
    const ir::Instr& instr = fn.instr(acc.instr);
    const ir::InstrId term_value = instr.operands[acc.term_operand];
    const std::string term_name = tr::ExprName(fn, term_value);
    const std::string acc_name = tr::ExprName(fn, acc.accumulator);
    const std::string shown_term =
        term_name.empty() ? "a graph-attached loss" : absl::StrCat("`", term_name, "`");
    const std::string shown_acc =
        acc_name.empty() ? "a running total" : absl::StrCat("`", acc_name, "`");
    const bool is_loss = term.is_loss;
    const ir::Instr& term_def = fn.instr(term_value);
    const bool through_calls = !path.empty() || analysis.context(context).is_hook ||
                               term_def.op == Opcode::kParam ||
                               (term_def.op == Opcode::kCall &&
                                !ctx.call_graph().CalleesAt(fn.id, term_value).empty());
    double score = is_loss ? 0.85 : 0.7;
    std::string why = is_loss ? "loss tensor computed with grad enabled and not detached"
                              : "graph-attached tensor (not known to be a loss) computed with "
                                "grad enabled";
    if (through_calls) {
      score -= 0.1;
      absl::StrAppend(&why, "; it arrives through calls");
    }
    if (term.derived) {
      score -= 0.1;
      absl::StrAppend(&why, "; the forward pass's model is ", term.evidence);
    }
    absl::StrAppend(&why, "; the running total never reaches backward()");
    if (acc.location) absl::StrAppend(&why, "; the total is kept in ", shown_acc, " across calls");

    Diagnostic d = Diagnostic::For(RuleId::kFS402, ctx.LocationOf(fn.id, acc.instr));
    d.Message(absl::StrCat(shown_term, " is added to ", shown_acc,
                           " as a tensor: the running total stays attached to the autograd "
                           "graph, so the graph and activations of every accumulated step are "
                           "kept alive (memory grows with each iteration) for a value that is "
                           "never backpropagated"))
        .Help(absl::StrCat("accumulate a number: `", acc_name.empty() ? "total" : acc_name,
                           " += ", term_name.empty() ? "loss" : term_name,
                           ".item()` (or `.detach()` to stay on the device)"))
        .WithConfidence(score, why)
        .LogicalLocation(ctx.QualifiedName(fn.id));
    tr::AddAttachmentSteps(ctx, term,
                           analysis.OperandIn(context, acc.instr, acc.term_operand).grad_prov,
                           fn.id, acc.instr, d);
    tr::AddCallerSteps(ctx, path, fn.id, "", d);
    tr::DedupeSteps(d);
    sink.Report(std::move(d));
  }
};

}  // namespace

std::unique_ptr<Checker> MakeLossAccumulatedAsTensorChecker() {
  return std::make_unique<LossAccumulatedAsTensorChecker>();
}

}  // namespace flopscope::checkers
