// FS103 duplicate-model-load: one execution loads the same checkpoint twice. Reported at the
// second load's own call site (the deepest call on its path the first load's path does not share).
// User documentation: docs/rules/fs103_duplicate_model_load.md
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "checkers/checker.h"
#include "checkers/model_rule_support.h"
#include "checkers/tensor_rule_support.h"
#include "dataflow/analysis.h"
#include "dataflow/support/call_paths.h"
#include "dataflow/support/exclusive_branches.h"
#include "ir/ir.h"

namespace flopscope::checkers {
namespace {

using dataflow::ModelLoad;
using model_rules::Frame;

// Keyword arguments that select other weights under the same name.
constexpr const char* kWeightSelectors[] = {"revision", "subfolder"};

// One way a load runs: the load and the frames leading to it from a root.
struct Occurrence {
  const ModelLoad* load = nullptr;
  std::vector<Frame> frames;
  // For a checkpoint known only at run time: the one run-time value both loads read
  // ("`args.model`"); empty for constant checkpoints.
  std::string runtime_source;
};

bool SameStep(const Frame& a, const Frame& b) { return a.fn == b.fn && a.site == b.site; }

// "name" plus the constant weight selectors, or nullopt when the checkpoint is not one fully
// known constant (two unknown names are never known to be equal).
std::optional<std::string> CheckpointKey(const CheckContext& ctx, const ModelLoad& load) {
  const dataflow::Site& site = model_rules::SiteOf(ctx.analysis(), load);
  std::optional<std::string> name = model_rules::SingleCheckpoint(site.checkpoint);
  if (!name) return std::nullopt;
  std::string key = absl::StrCat(dataflow::LoaderKindName(site.loader), ":", *name);
  const ir::Instr& call = ctx.program().function(load.fn).instr(load.site);
  for (size_t i = 1; i < call.operands.size(); ++i) {
    const size_t arg = i - 1;
    if (arg >= call.arg_names.size()) break;
    for (const char* selector : kWeightSelectors) {
      if (call.arg_names[arg] != selector) continue;
      const dataflow::AbstractValue value = ctx.analysis().OperandIn(load.context, load.site, i);
      std::optional<std::string> text = model_rules::SingleCheckpoint(value.strings);
      if (!text) return std::nullopt;
      absl::StrAppend(&key, "@", selector, "=", *text);
    }
    // `**kwargs` may carry a revision the analysis cannot see.
    if (call.arg_names[arg] == "**") return std::nullopt;
  }
  return key;
}

// The operand of a loader call that names the checkpoint: the first positional argument or its
// keyword.
std::optional<size_t> CheckpointOperand(const ir::Instr& call) {
  for (size_t i = 1; i < call.operands.size(); ++i) {
    const absl::string_view name = i - 1 < call.arg_names.size() ? call.arg_names[i - 1] : "";
    if (name.empty()) return i;
    if (name == "pretrained_model_name_or_path" || name == "model_name" || name == "f") return i;
  }
  return std::nullopt;
}

// Where an unknown checkpoint name comes from on one call path, when that is one value for the
// whole run: an attribute of the namespace argparse returns (`args.model`, one value per run),
// followed back through the parameters the path binds. nullopt for anything else (a loop
// variable, a function's result), since two reads of those may differ.
std::optional<std::pair<std::string, std::string>> RuntimeSource(
    const CheckContext& ctx, const ModelLoad& load, const std::vector<Frame>& frames) {
  const ir::Function* fn = &ctx.program().function(load.fn);
  const std::optional<size_t> operand = CheckpointOperand(fn->instr(load.site));
  if (!operand) return std::nullopt;
  ir::InstrId value = fn->instr(load.site).operands[*operand];
  for (size_t level = frames.size() - 1;;) {
    const ir::Instr& def = fn->instr(value);
    if (def.op == ir::Opcode::kParam) {
      if (level == 0) return std::nullopt;
      const Frame& caller = frames[level - 1];
      std::optional<ir::InstrId> argument;
      for (const auto& arg : ctx.def_use().ArgumentsFor(fn->id, def.aux)) {
        if (arg.site.caller == caller.fn && arg.site.site == caller.site) argument = arg.value;
      }
      if (!argument) return std::nullopt;
      fn = &ctx.program().function(caller.fn);
      value = *argument;
      --level;
      continue;
    }
    if (def.op != ir::Opcode::kLoadAttr || def.operands.size() != 1) return std::nullopt;
    const dataflow::AbstractValue object =
        ctx.analysis().OperandIn(frames[level].context, value, 0);
    if (object.sites.IsTop() || !object.sites.IsSingleton()) return std::nullopt;
    const dataflow::SiteId id = object.sites.elements().front();
    if (ctx.analysis().site(id).kind != dataflow::Site::Kind::kArgParser) return std::nullopt;
    const std::string name = tensor_rules::ExprName(*fn, value);
    return std::make_pair(absl::StrCat("argparse:", id, ".", def.text),
                          absl::StrCat("`", name.empty() ? def.text : name, "`"));
  }
}

dataflow::support::CallPath SupportPath(const std::vector<Frame>& frames) {
  dataflow::support::CallPath path;
  for (const Frame& f : frames) path.push_back(dataflow::support::PathStep{f.fn, f.site});
  return path;
}

// The deepest frame of `second` whose call is not on `first`'s path.
size_t OwnCallSite(const std::vector<Frame>& first, const std::vector<Frame>& second) {
  for (size_t i = second.size(); i-- > 0;) {
    bool shared = false;
    for (const Frame& f : first) shared = shared || SameStep(f, second[i]);
    if (!shared) return i;
  }
  return second.size() - 1;
}

class DuplicateModelLoadChecker final : public Checker {
 public:
  void Run(const CheckContext& ctx, DiagnosticSink& sink) const override {
    const dataflow::Analysis& analysis = ctx.analysis();
    if (analysis.model_loads().empty()) return;
    // Occurrences grouped by checkpoint key (std::map: deterministic order).
    std::map<std::string, std::vector<Occurrence>> by_key;
    for (const ModelLoad& load : analysis.model_loads()) {
      if (load.cached) continue;
      const dataflow::Site& site = model_rules::SiteOf(analysis, load);
      if (site.loader == dataflow::LoaderKind::kFromConfig) continue;
      std::optional<std::string> key = CheckpointKey(ctx, load);
      if (!key && !site.checkpoint.IsTop()) continue;
      for (const dataflow::ContextPath& path : analysis.PathsTo(load.context, 8)) {
        Occurrence occurrence{&load, model_rules::FramesOf(path, load.fn, load.context, load.site)};
        if (key) {
          by_key[*key].push_back(std::move(occurrence));
        } else if (auto source = RuntimeSource(ctx, load, occurrence.frames)) {
          occurrence.runtime_source = source->second;
          by_key[absl::StrCat(dataflow::LoaderKindName(site.loader), ":", source->first)]
              .push_back(std::move(occurrence));
        }
      }
    }
    absl::flat_hash_set<std::pair<int32_t, int32_t>> reported;
    for (const auto& [key, occurrences] : by_key) {
      for (size_t i = 0; i < occurrences.size(); ++i) {
        for (size_t j = i + 1; j < occurrences.size(); ++j) {
          CheckPair(ctx, occurrences[i], occurrences[j], reported, sink);
        }
      }
    }
  }

 private:
  void CheckPair(const CheckContext& ctx, const Occurrence& a, const Occurrence& b,
                 absl::flat_hash_set<std::pair<int32_t, int32_t>>& reported,
                 DiagnosticSink& sink) const {
    // One execution: the same root (function and context).
    if (a.frames.front().fn != b.frames.front().fn ||
        a.frames.front().context != b.frames.front().context) {
      return;
    }
    size_t d = 0;
    while (d < a.frames.size() && d < b.frames.size() && SameStep(a.frames[d], b.frames[d])) ++d;
    // Identical call sites all the way: one load site run once per execution (or per iteration).
    if (d == a.frames.size() || d == b.frames.size()) return;
    if (a.frames[d].fn != b.frames[d].fn) return;  // a call that may run either of two functions
    const ir::Function& fn = ctx.program().function(a.frames[d].fn);
    const bool a_first = model_rules::ComesBefore(fn, a.frames[d].site, b.frames[d].site);
    const bool b_first = model_rules::ComesBefore(fn, b.frames[d].site, a.frames[d].site);
    if (a_first == b_first) return;  // different arms of a branch, or no order in one run
    if (ctx.exclusive_branches().MutuallyExclusive(SupportPath(a.frames),
                                                   SupportPath(b.frames))) {
      return;
    }
    const Occurrence& first = a_first ? a : b;
    const Occurrence& second = a_first ? b : a;
    const size_t own = OwnCallSite(first.frames, second.frames);
    const Frame& at = second.frames[own];
    if (!reported.insert({at.fn.value(), at.site.value()}).second) return;
    Report(ctx, first, second, own, sink);
  }

  void Report(const CheckContext& ctx, const Occurrence& first, const Occurrence& second,
              size_t own, DiagnosticSink& sink) const {
    const dataflow::Analysis& analysis = ctx.analysis();
    const dataflow::Site& site = model_rules::SiteOf(analysis, *second.load);
    const Frame& at = second.frames[own];
    const bool runtime = !second.runtime_source.empty();
    const std::string checkpoint =
        runtime ? absl::StrCat("the checkpoint named by ", second.runtime_source)
                : model_rules::CheckpointText(site.checkpoint);
    const bool direct = own + 1 == second.frames.size();
    std::string message =
        direct ? absl::StrCat(checkpoint, " is loaded a second time in the same run")
               : absl::StrCat("`", model_rules::CalleeText(ctx, at.fn, at.site), "` loads ",
                              checkpoint, " a second time in the same run");
    if (site.parameters) {
      std::optional<double> bytes = second.load->dtype.HasValue()
                                        ? dataflow::BytesPerElement(second.load->dtype.value())
                                        : std::nullopt;
      absl::StrAppend(&message, ": another full read of a ~",
                      model_rules::ParametersText(*site.parameters), " model (",
                      model_rules::GigabytesText(*site.parameters, bytes.value_or(2.0)), " in ",
                      bytes ? dataflow::ElementToString(second.load->dtype.value()) : "bf16",
                      ")");
    } else {
      absl::StrAppend(&message, ": the whole checkpoint is read and materialised again");
    }
    const bool overridable = site.checkpoint.overridable();
    Diagnostic diagnostic =
        Diagnostic::For(RuleId::kFS103, ctx.LocationOf(at.fn, at.site))
            .Message(std::move(message))
            .Help("load the model once and pass it to the code that needs it, or cache the "
                  "loader with functools.cache")
            .WithConfidence(runtime ? 0.7 : overridable ? 0.8 : 0.9,
                            runtime
                                ? absl::StrCat("both loads read ", second.runtime_source,
                                               " (one command-line value per run) on one "
                                               "execution path; the checkpoint and its size "
                                               "are known only at run time")
                            : overridable
                                ? "both loads read the same default checkpoint (overridable at "
                                  "run time, but one value per run) on one execution path"
                                : "both loads name the same constant checkpoint on one "
                                  "execution path, without a cache")
            .LogicalLocation(ctx.QualifiedName(at.fn));
    model_rules::AddFrameSteps(
        ctx, second.frames, own,
        absl::StrCat("loads ", checkpoint, " with ", dataflow::LoaderKindName(site.loader)),
        diagnostic);
    const size_t first_own = OwnCallSite(second.frames, first.frames);
    const Frame& first_at = first.frames[first_own];
    diagnostic.Related(ctx.LocationOf(first_at.fn, first_at.site),
                       absl::StrCat("first load of ", checkpoint, " in this run"));
    // Where the two paths part: the function that runs both, the first one earlier.
    size_t common = 0;
    while (common < first.frames.size() && common < second.frames.size() &&
           SameStep(first.frames[common], second.frames[common])) {
      ++common;
    }
    if (common < second.frames.size() && common != own) {
      const Frame& split = second.frames[common];
      diagnostic.Related(ctx.LocationOf(split.fn, split.site),
                         absl::StrCat(ctx.DisplayName(split.fn),
                                      "() runs this after the first load"));
    }
    model_rules::AddCheckpointOrigin(ctx, site, diagnostic);
    sink.Report(std::move(diagnostic));
  }

};

}  // namespace

std::unique_ptr<Checker> MakeDuplicateModelLoadChecker() {
  return std::make_unique<DuplicateModelLoadChecker>();
}

}  // namespace flopscope::checkers
