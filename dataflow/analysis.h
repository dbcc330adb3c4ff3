// The dataflow analysis of a whole program, and the read-only query API checkers use.
//
// Build() runs once per program: an abstract interpreter over every function's SSA CFG
// (dataflow/solver.h) with the ML domains of dataflow/value.h, made interprocedural by
// per-function summaries (abstract return value + in-place effects on parameters) kept per
// *context*. A context is (function, grad mode at entry, abstract arguments): a helper called
// with "gpt2" and with "llama-7b", or from a no_grad and a grad-enabled caller, is analyzed once
// per combination, up to a bound per function after which the extra callers share one joined
// context. Module globals, class attributes, closure cells, default arguments and the heap of
// abstract objects (dicts, lists, instances, argparse namespaces) are flow-insensitive cells
// shared by all contexts. Recursion (call-graph SCCs, Boost strong_components via ir::CallGraph)
// iterates to a fixpoint with widening; a global work budget makes termination certain, and a
// function whose facts were cut short reports Top and a notification.
//
// Grad mode is flow-sensitive: `with torch.no_grad()` regions (ir::WithRegion), the
// @torch.no_grad()/@torch.inference_mode() decorators, torch.set_grad_enabled(b) statements, and
// the calling context. A forward hook runs in the grad mode of the forward passes of the module
// it is attached to (the join over every forward call on that module's identity); when no
// forward call on it is known, the mode at the registration site.
//
// Every fact carries provenance (dataflow/provenance.h) recorded while it propagated.
//
// Users: checkers (through CheckContext), `flopscope facts`, tests.
#ifndef FLOPSCOPE_DATAFLOW_ANALYSIS_H_
#define FLOPSCOPE_DATAFLOW_ANALYSIS_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "dataflow/value.h"
#include "ir/call_graph.h"
#include "ir/ir.h"
#include "ir/resolve.h"

namespace flopscope::dataflow {

namespace internal {
struct Engine;
}  // namespace internal

using ContextId = int32_t;

struct AnalysisOptions {
  int max_contexts_per_function = 8;  // then callers share one joined context
  // Total instruction transfers allowed, as a multiple of the program's instruction count (plus
  // a constant); when spent, unfinished functions go to Top with a notification.
  int64_t budget_per_instruction = 200;
  int64_t budget_base = 2'000'000;
  int summary_widen_after = 4;   // summary updates of one context before widening
  int max_call_depth = 48;       // nested on-demand callee analyses before deferring
};

// An abstract object: where it was created and, for models, what was loaded.
struct Site {
  enum class Kind : uint8_t {
    kModelLoad,     // a loader call (LoadInfo filled)
    kNnModule,      // an external torch.nn.* module constructed (nn.Linear(...), a loss module)
    kInstance,      // instances of one in-repo class (one site per class)
    kContainer,     // a dict/list/tuple/set literal or constructor
    kArgParser,     // argparse.ArgumentParser(...) and the namespace parse_args() returns
    kOptimizer,     // torch.optim.* constructor
    kHookHandle,    // the handle a register_*hook call returns
    kUnknownParam,  // parameter `param_index` of `fn`, which no analyzed caller binds
    kOther,         // another external object with attributes (configs, tokenizers)
  };
  Kind kind = Kind::kOther;
  ir::FuncId fn;        // where it is created
  ir::InstrId instr;    // the creating instruction
  ir::ClassId cls;      // kInstance
  int param_index = -1; // kUnknownParam
  std::string name;     // the creating callee's qualified name ("torch.nn.Linear", loader name)
  // kModelLoad only:
  LoaderKind loader = LoaderKind::kNone;
  ConstStrings checkpoint = ConstStrings::Bottom();
  ProvId checkpoint_prov = kNoProv;
  std::optional<double> parameters;  // estimated from the checkpoint name
  bool is_model = false;             // instances of nn.Module subclasses, loads, nn modules
  bool is_loss_module = false;       // nn.CrossEntropyLoss() and friends
};

// One step of a context's call path: `caller` (in context `caller_context`) calls at `site`.
struct CallStep {
  ir::FuncId caller;
  ContextId caller_context = -1;
  ir::InstrId site;
};
// Root first; empty for a root context.
using ContextPath = std::vector<CallStep>;

struct ContextInfo {
  ContextId id = -1;
  ir::FuncId fn;
  GradMode entry_mode = GradMode::Bottom();
  bool is_root = false;     // a module body, a function no analyzed code calls
  bool is_hook = false;     // entered as a hook callback at a register_*hook site
  bool joined = false;      // the overflow context sharing callers past the bound
  bool gave_up = false;     // budget or solver limit hit: its facts are Top
  std::vector<AbstractValue> args;  // per parameter, at entry
  // For a nested function called directly by the function that owns its closure variables (a
  // comprehension, an inner helper): those variables as they were at the call, by name. Reads
  // of the closure then see the owner's latest value (`model = model.cuda()` before `[model(b)
  // for b in batches]`) instead of the join of everything ever stored in the cell.
  std::vector<std::pair<std::string, AbstractValue>> cell_values;
};

// A model comes into being: a loader call executed in some context.
struct ModelLoad {
  ContextId context = -1;
  ir::FuncId fn;
  ir::InstrId site;          // the loader Call
  SiteId model_site = -1;    // Analysis::site() has loader, checkpoint, size
  DTypeDomain dtype = DTypeDomain::Bottom();  // as loaded (fp32 default of from_pretrained)
  ProvId dtype_prov = kNoProv;
  DeviceDomain device = DeviceDomain::Bottom();
  GradMode mode = GradMode::Bottom();
  // Loaded through a cache: the load runs in (or under a call of) a functools.lru_cache/cache
  // decorated function, or its result is stored in a module-level singleton / memo dict / self
  // attribute guarded by an "already loaded?" test.
  bool cached = false;
  std::string cache_reason;
};

// A forward pass: calling a model value, `.forward(...)`, or `.generate(...)`.
struct ForwardCall {
  ContextId context = -1;
  ir::FuncId fn;
  ir::InstrId site;
  SiteSet model_sites = SiteSet::Bottom();
  bool known_model = false;  // the callee is known to be a model (else: unknown value called)
  bool is_generate = false;  // generate() disables grad itself
  GradMode mode = GradMode::Bottom();
};

struct HookRegistration {
  ContextId context = -1;
  ir::FuncId fn;
  ir::InstrId site;
  std::string method;               // "register_forward_hook", "register_hook", ...
  SiteSet module_sites = SiteSet::Bottom();
  std::vector<ir::FuncId> callbacks;
  std::vector<ContextId> callback_contexts;
  GradMode hook_mode = GradMode::Bottom();  // the mode the callback runs in
  SiteId handle_site = -1;
};

// A model's weights cast or moved in place: model.half(), model.to(torch.bfloat16), .cuda().
struct ModelCast {
  ContextId context = -1;
  ir::FuncId fn;
  ir::InstrId site;
  SiteSet model_sites = SiteSet::Bottom();
  DTypeDomain dtype = DTypeDomain::Bottom();    // Bottom when the call does not change it
  DeviceDomain device = DeviceDomain::Bottom();
};

// An optimizer built over a model's parameters (training use of those weights).
struct OptimizerUse {
  ContextId context = -1;
  ir::FuncId fn;
  ir::InstrId site;
  SiteSet model_sites = SiteSet::Bottom();
};

struct Notification {
  ir::FuncId fn;
  std::string message;
};

struct AnalysisStats {
  int64_t contexts = 0;
  int64_t live_contexts = 0;
  int64_t instruction_transfers = 0;
  int64_t context_analyses = 0;
  bool budget_exhausted = false;
};

class Analysis {
 public:
  // Runs the whole analysis. The program must be in SSA; resolver and call graph are built on it
  // and must outlive the Analysis.
  static std::unique_ptr<Analysis> Build(const ir::Program& program, const ir::Resolver& resolver,
                                         const ir::CallGraph& calls,
                                         const AnalysisOptions& options = {});
  ~Analysis();
  Analysis(const Analysis&) = delete;
  Analysis& operator=(const Analysis&) = delete;

  const ir::Program& program() const;
  const ir::Resolver& resolver() const;
  const ir::CallGraph& call_graph() const;

  // --- Contexts. Only live contexts (reachable from a root in the final solution) are listed.
  const std::vector<ContextId>& ContextsOf(ir::FuncId fn) const;
  const ContextInfo& context(ContextId id) const;
  // Call paths into a context, root first, shortest first, at most `limit`, no context repeated.
  std::vector<ContextPath> PathsTo(ContextId id, size_t limit = 8) const;
  // The contexts a call instruction entered when its function ran in `context`: in-repo
  // callees (also those dispatched on the receiver's abstract class where the call graph has no
  // edge) and hook callbacks registered there.
  std::vector<ContextId> CalleeContexts(ContextId context, ir::InstrId call) const;

  // --- Values. `value` is an SSA value (an instruction with a result) of `fn`.
  AbstractValue ValueIn(ContextId context, ir::InstrId value) const;
  AbstractValue Value(ir::FuncId fn, ir::InstrId value) const;  // joined over contexts
  // Operand `index` of `instr` as the instruction sees it (includes in-place refinements such
  // as an earlier `model.half()` on the same value).
  AbstractValue OperandIn(ContextId context, ir::InstrId instr, size_t index) const;
  AbstractValue Operand(ir::FuncId fn, ir::InstrId instr, size_t index) const;

  // --- Grad mode at an instruction (Bottom when it never runs).
  GradMode GradModeIn(ContextId context, ir::InstrId instr) const;
  GradMode GradModeAt(ir::FuncId fn, ir::InstrId instr) const;  // joined over contexts
  // A context in which `instr` may run with grad enabled (the first such, for its call path).
  std::optional<ContextId> ContextWithGradEnabled(ir::FuncId fn, ir::InstrId instr) const;

  // --- Events, in program order (function, instruction, context).
  const std::vector<ModelLoad>& model_loads() const;
  const std::vector<ForwardCall>& forward_calls() const;
  const std::vector<HookRegistration>& hook_registrations() const;
  const std::vector<ModelCast>& model_casts() const;
  const std::vector<OptimizerUse>& optimizer_uses() const;

  const Site& site(SiteId id) const;
  size_t site_count() const;
  // Model sites among `sites` (loads, nn modules, nn.Module subclass instances).
  std::vector<SiteId> ModelSites(const SiteSet& sites) const;

  // The provenance chain of a fact, newest step first.
  std::vector<const ProvStep*> Provenance(ProvId id) const;
  // "models.py:12: default of `name` in models.load()" for one step.
  std::string DescribeStep(const ProvStep& step) const;
  // "models.py:12" for an instruction.
  std::string Location(ir::FuncId fn, ir::InstrId instr) const;

  // The function is decorated with functools.lru_cache / functools.cache (its loads are cached).
  bool IsCacheDecorated(ir::FuncId fn) const;
  // What a call instruction calls, for messages: a qualified name ("torch.load"), an in-repo
  // function ("pkg.models.load"), or "<model>.to" for a method of an abstract value.
  std::string CalleeName(ir::FuncId fn, ir::InstrId call) const;

  const std::vector<Notification>& notifications() const;
  AnalysisStats stats() const;

 private:
  explicit Analysis(std::unique_ptr<internal::Engine> engine);
  std::unique_ptr<internal::Engine> engine_;
};

}  // namespace flopscope::dataflow

#endif  // FLOPSCOPE_DATAFLOW_ANALYSIS_H_
