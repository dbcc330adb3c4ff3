// FS105 concurrent-large-models: a large model (>= 1B parameters by its checkpoint name) is loaded
// while another large model is still referenced. Reported at the statement that brings the second
// model into being, in the frame that still holds the first.
// User documentation: docs/rules/fs105_concurrent_large_models.md
#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "checkers/checker.h"
#include "checkers/model_rule_support.h"
#include "dataflow/analysis.h"
#include "dataflow/support/liveness.h"
#include "ir/ir.h"

namespace flopscope::checkers {
namespace {

using dataflow::ModelLoad;
using dataflow::Site;
using dataflow::SiteId;
using dataflow::support::Liveness;
using dataflow::support::ValueRef;

// What the loads behind one object (a load, or a call result that returns a loaded model) are:
// every checkpoint they may read and the size of the smallest of them.
struct ModelFacts {
  std::vector<const Site*> sites;
  std::optional<double> min_parameters;  // nullopt when some size is unknown
  double bytes_per_parameter = 2.0;
  std::string bytes_name = "bf16";
};

// The model loads an SSA value may be (its identity in the dataflow domain), restricted to
// `loads` (the large loads under consideration).
ModelFacts FactsOf(const dataflow::Analysis& analysis, ValueRef value,
                   const absl::flat_hash_map<SiteId, const ModelLoad*>& loads) {
  ModelFacts facts;
  const dataflow::AbstractValue v = analysis.Value(value.fn, value.value);
  if (v.sites.IsTop()) return facts;
  bool all_known = true;
  double smallest = 0;
  for (SiteId id : v.sites.elements()) {
    auto it = loads.find(id);
    if (it == loads.end()) continue;
    const Site& site = analysis.site(id);
    facts.sites.push_back(&site);
    if (!site.parameters) {
      all_known = false;
      continue;
    }
    smallest = facts.sites.size() == 1 ? *site.parameters : std::min(smallest, *site.parameters);
    const dataflow::DTypeDomain& dtype = it->second->dtype;
    if (dtype.HasValue()) {
      if (std::optional<double> b = dataflow::BytesPerElement(dtype.value())) {
        facts.bytes_per_parameter = *b;
        facts.bytes_name = dataflow::ElementToString(dtype.value());
      }
    }
  }
  if (!facts.sites.empty() && all_known) facts.min_parameters = smallest;
  return facts;
}

bool Large(const ModelFacts& facts) {
  return facts.min_parameters && *facts.min_parameters >= model_rules::kLargeModelParameters;
}

// Two objects are the same checkpoint (FS103's concern, not this rule's) when both are one
// known constant name.
bool SameCheckpoint(const ModelFacts& a, const ModelFacts& b) {
  if (a.sites.size() != 1 || b.sites.size() != 1) return false;
  auto an = model_rules::SingleCheckpoint(a.sites[0]->checkpoint);
  auto bn = model_rules::SingleCheckpoint(b.sites[0]->checkpoint);
  return an && bn && *an == *bn;
}

std::string NamesOf(const ModelFacts& facts) {
  dataflow::ConstStrings all = dataflow::ConstStrings::Bottom();
  for (const Site* site : facts.sites) all = all.Join(site->checkpoint);
  return model_rules::CheckpointText(all);
}

std::string HolderText(const Liveness::Holder& holder) {
  switch (holder.kind) {
    case Liveness::HolderKind::kUse:
      return "it is used again later";
    case Liveness::HolderKind::kContainer:
      return "it is kept in a container that is still referenced";
    case Liveness::HolderKind::kLocation:
      return "it is stored in a global or an attribute";
    case Liveness::HolderKind::kCaller:
      return "it is a parameter, which the caller holds for the whole call";
    case Liveness::HolderKind::kName:
      return absl::StrCat("the local variable `", holder.name,
                          "` is still bound to it (CPython frees a model only when no name "
                          "refers to it, whether or not the name is used again)");
    case Liveness::HolderKind::kCache:
      return absl::StrCat("`", holder.name,
                          "()` is memoized (functools.lru_cache/cache): its cache keeps every "
                          "model it returned alive for the whole process");
  }
  return "it is still referenced";
}

// The fix that releases the first model, by what holds it.
std::string HelpText(const Liveness::Holder& holder) {
  switch (holder.kind) {
    case Liveness::HolderKind::kName:
      return absl::StrCat("`del ", holder.name,
                          "` (then `torch.cuda.empty_cache()`) before loading the next model, or "
                          "evaluate the first model in a function that returns only its outputs");
    case Liveness::HolderKind::kCache:
      return absl::StrCat("do not memoize a loader of large models: load, use and `del` each "
                          "model, or call `",
                          holder.name, ".cache_clear()` before loading the next one");
    default:
      return "evaluate one model, keep its outputs, free it (`del model`, "
             "`torch.cuda.empty_cache()`), then load the next";
  }
}

// Functions whose results a cache keeps for the whole process.
absl::flat_hash_set<ir::FuncId> MemoizedFunctions(const CheckContext& ctx) {
  absl::flat_hash_set<ir::FuncId> out;
  for (const ir::Function& fn : ctx.program().functions()) {
    if (ctx.analysis().IsCacheDecorated(fn.id)) out.insert(fn.id);
  }
  return out;
}

class ConcurrentLargeModelsChecker final : public Checker {
 public:
  void Run(const CheckContext& ctx, DiagnosticSink& sink) const override {
    const dataflow::Analysis& analysis = ctx.analysis();
    // Large model loads (by every checkpoint their site may read) and their values.
    absl::flat_hash_map<SiteId, const ModelLoad*> loads;
    std::vector<ValueRef> models;
    absl::flat_hash_set<ValueRef> seen;
    for (const ModelLoad& load : analysis.model_loads()) {
      const Site& site = model_rules::SiteOf(analysis, load);
      if (!site.is_model || !site.parameters) continue;
      if (*site.parameters < model_rules::kLargeModelParameters) continue;
      loads.emplace(load.model_site, &load);
      const ValueRef value{load.fn, load.site};
      if (seen.insert(value).second) models.push_back(value);
    }
    if (models.empty()) return;
    absl::flat_hash_set<std::pair<int32_t, int32_t>> reported;
    const absl::flat_hash_set<ir::FuncId> memoized = MemoizedFunctions(ctx);
    for (const Liveness::Overlap& overlap : ctx.liveness().FindOverlaps(models, memoized)) {
      const ValueRef point{overlap.point.caller, overlap.point.site};
      const ModelFacts first = FactsOf(analysis, overlap.first, loads);
      // What the point brings into being: its own result when it returns the model, else
      // whatever the load behind it may read.
      ModelFacts second = FactsOf(analysis, point, loads);
      if (second.sites.empty()) second = FactsOf(analysis, overlap.second, loads);
      if (!Large(first) || !Large(second)) continue;
      if (!overlap.across_iterations && SameCheckpoint(first, second)) continue;
      if (overlap.across_iterations && first.sites.size() == 1 &&
          model_rules::SingleCheckpoint(first.sites[0]->checkpoint)) {
        continue;  // the same checkpoint again and again: a reload (FS101/FS103), not a pair
      }
      if (!reported.insert({point.fn.value(), point.value.value()}).second) continue;
      Report(ctx, overlap, first, second, sink);
    }
  }

 private:
  void Report(const CheckContext& ctx, const Liveness::Overlap& overlap, const ModelFacts& first,
              const ModelFacts& second, DiagnosticSink& sink) const {
    const ValueRef point{overlap.point.caller, overlap.point.site};
    const double a = *first.min_parameters;
    const double b = *second.min_parameters;
    std::string message;
    if (overlap.across_iterations) {
      message = absl::StrCat(
          "each iteration loads another ~", model_rules::ParametersText(b), " model (",
          NamesOf(second), ") while the models of earlier iterations are still held (",
          HolderText(overlap.holder), "): each adds ",
          model_rules::GigabytesText(b, second.bytes_per_parameter), " in ", second.bytes_name);
    } else {
      message = absl::StrCat(
          NamesOf(second), " (~", model_rules::ParametersText(b), ") is loaded while ",
          NamesOf(first), " (~", model_rules::ParametersText(a),
          ") is still alive, because ", HolderText(overlap.holder),
          "; both weights are in memory at once, ",
          model_rules::GigabytesText(
              a * first.bytes_per_parameter + b * second.bytes_per_parameter, 1.0),
          " before activations");
    }
    const bool weak = overlap.holder.kind == Liveness::HolderKind::kLocation;
    Diagnostic diagnostic =
        Diagnostic::For(RuleId::kFS105, ctx.LocationOf(point.fn, point.value))
            .Message(std::move(message))
            .Help(HelpText(overlap.holder))
            .WithConfidence(weak ? 0.6 : 0.85,
                            absl::StrCat("both checkpoints are >= 1B parameters by their names; "
                                         "the first model is alive because ",
                                         HolderText(overlap.holder)))
            .LogicalLocation(ctx.QualifiedName(point.fn));
    AddSecondLoadSteps(ctx, overlap, diagnostic);
    const ValueRef first_at = overlap.first;
    if (!overlap.across_iterations) {
      diagnostic.Related(ctx.LocationOf(first_at.fn, first_at.value),
                         absl::StrCat("the first model (", NamesOf(first), ") comes from here"));
    }
    if (overlap.holder.at.fn.valid() && overlap.holder.at.value.valid()) {
      diagnostic.Related(ctx.LocationOf(overlap.holder.at.fn, overlap.holder.at.value),
                         absl::StrCat("the first model is still held here: ",
                                      HolderText(overlap.holder)));
    }
    sink.Report(std::move(diagnostic));
  }

  // From the reported statement down to the second model's loader call.
  void AddSecondLoadSteps(const CheckContext& ctx, const Liveness::Overlap& overlap,
                          Diagnostic& diagnostic) const {
    const dataflow::Analysis& analysis = ctx.analysis();
    for (const ModelLoad& load : analysis.model_loads()) {
      if (load.fn != overlap.second.fn || load.site != overlap.second.value) continue;
      const Site& site = model_rules::SiteOf(analysis, load);
      const std::string what = absl::StrCat("loads ", model_rules::CheckpointText(site.checkpoint),
                                            " with ", dataflow::LoaderKindName(site.loader));
      for (const dataflow::ContextPath& path : analysis.PathsTo(load.context, 8)) {
        const std::vector<model_rules::Frame> frames =
            model_rules::FramesOf(path, load.fn, load.context, load.site);
        for (size_t i = 0; i < frames.size(); ++i) {
          if (frames[i].fn == overlap.point.caller && frames[i].site == overlap.point.site) {
            model_rules::AddFrameSteps(ctx, frames, i, what, diagnostic);
            return;
          }
        }
      }
    }
  }
};

}  // namespace

std::unique_ptr<Checker> MakeConcurrentLargeModelsChecker() {
  return std::make_unique<ConcurrentLargeModelsChecker>();
}

}  // namespace flopscope::checkers
