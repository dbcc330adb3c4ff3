// The interprocedural engine: contexts and their summaries, flow-insensitive cells, the
// worklist over contexts and the global budget.
//
// Order of work. Summaries are demand-driven: a call site analyzes its callee context on the spot
// (nested, up to AnalysisOptions::max_call_depth) and reads its summary, so most contexts are
// solved once, callees before their callers finish (the bottom-up order of the call graph's SCCs
// falls out of the nesting). A call into a context already on the stack (recursion inside an
// SCC) reads the current approximation (initially Bottom) and marks the callee for a re-run; a
// changed summary re-queues its readers, and a summary that keeps changing is widened. Re-queued
// contexts are processed in top-down SCC order (callers first), so a caller's new arguments reach
// a callee before the callee is re-solved. Cells (globals, attributes, defaults, heap) re-queue
// their readers when they grow.
//
// Termination: every component lattice has finite height, summaries widen after a few updates,
// and a global transfer budget bounds the total work; when it is spent, the contexts still
// pending are marked gave_up (their facts read as Top) and a notification names them.
#include "dataflow/engine.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "util/check.h"

namespace flopscope::dataflow::internal {
namespace {

// A device as DeviceDomain::ToString tells it apart: a cuda index only when it is >= 0.
int64_t DeviceCode(const DeviceDomain& d) {
  if (d.IsBottom()) return -3;
  if (d.IsTop()) return -2;
  const Device& device = d.device();
  const int64_t index =
      device.kind == DeviceKind::kCuda ? std::max<int64_t>(device.index, -1) : -1;
  return static_cast<int64_t>(device.kind) + 8 * (index + 1);
}

// The context key of an argument: its facts without provenance. Pseudo-sites of parameters of
// unanalyzed callers are left out: every such caller would otherwise get a context of its own
// (each names a different parameter), crowding out the callers whose arguments are known; they
// share one context instead, where their pseudo-sites are joined.
ArgKey MakeArgKey(const AbstractValue& v, const std::vector<Site>& sites) {
  ArgKey key;
  key.kinds = v.kinds.bits();
  key.strings_top = v.strings.IsTop();
  if (!key.strings_top) key.strings = v.strings;
  key.sites_top = v.sites.IsTop();
  if (!key.sites_top) {
    for (SiteId s : v.sites.elements()) {
      if (sites[static_cast<size_t>(s)].kind != Site::Kind::kUnknownParam) key.sites.push_back(s);
    }
  }
  key.device = DeviceCode(v.device);
  key.dtype = v.dtype;
  key.grad = v.grad;
  key.ctx_mode = v.ctx_mode;
  return key;
}

std::optional<GradMode> GradModeOfDecorator(absl::string_view name) {
  absl::ConsumeSuffix(&name, "()");
  if (name == "torch.no_grad" || name == "torch.inference_mode" ||
      name == "torch.autograd.no_grad" || name == "torch.autograd.grad_mode.no_grad" ||
      name == "torch.autograd.grad_mode.inference_mode") {
    return GradMode::Disabled();
  }
  if (name == "torch.enable_grad" || name == "torch.autograd.enable_grad") {
    return GradMode::Enabled();
  }
  return std::nullopt;
}

bool IsCacheDecorator(absl::string_view name) {
  absl::ConsumeSuffix(&name, "()");
  return name == "functools.lru_cache" || name == "functools.cache" ||
         name == "functools.cached_property" || name == "cachetools.cached";
}

}  // namespace

// --- FlowState ----------------------------------------------------------------------------------

FlowState FlowState::Top() {
  FlowState s;
  s.mode_ = GradMode::Top();
  s.top_ = true;
  return s;
}

FlowState FlowState::Entry(GradMode mode) {
  FlowState s;
  s.mode_ = mode;
  return s;
}

const Refinement* FlowState::Find(int32_t value) const {
  auto it = std::lower_bound(refs_.begin(), refs_.end(), value,
                             [](const Refinement& r, int32_t v) { return r.value < v; });
  return it != refs_.end() && it->value == value ? &*it : nullptr;
}

void FlowState::Refine(int32_t value, AbstractValue refined) {
  auto it = std::lower_bound(refs_.begin(), refs_.end(), value,
                             [](const Refinement& r, int32_t v) { return r.value < v; });
  if (it != refs_.end() && it->value == value) {
    it->refined = std::move(refined);
    it->partial = false;
    return;
  }
  refs_.insert(it, Refinement{value, std::move(refined), false});
}

int32_t FlowState::CellValue(int32_t cell) const {
  for (const auto& [c, v] : cells_) {
    if (c == cell) return v;
  }
  return -1;
}

void FlowState::BindCell(int32_t cell, int32_t value) {
  for (auto& [c, v] : cells_) {
    if (c == cell) {
      v = value;
      return;
    }
  }
  cells_.emplace_back(cell, value);
  std::sort(cells_.begin(), cells_.end());
}

AbstractValue FlowState::Apply(int32_t value, const AbstractValue& base) const {
  if (top_) return AbstractValue::Top();
  const Refinement* r = Find(value);
  if (r == nullptr) return base;
  return r->partial ? base.Join(r->refined) : r->refined;
}

FlowState FlowState::Join(const FlowState& o) const {
  if (IsBottom() || o.IsTop()) return o;
  if (o.IsBottom() || IsTop()) return *this;
  FlowState out;
  out.mode_ = mode_.Join(o.mode_);
  for (const auto& binding : cells_) {
    if (std::find(o.cells_.begin(), o.cells_.end(), binding) != o.cells_.end()) {
      out.cells_.push_back(binding);
    }
  }
  size_t i = 0, j = 0;
  while (i < refs_.size() || j < o.refs_.size()) {
    if (j == o.refs_.size() || (i < refs_.size() && refs_[i].value < o.refs_[j].value)) {
      Refinement r = refs_[i++];
      r.partial = true;
      out.refs_.push_back(std::move(r));
    } else if (i == refs_.size() || o.refs_[j].value < refs_[i].value) {
      Refinement r = o.refs_[j++];
      r.partial = true;
      out.refs_.push_back(std::move(r));
    } else {
      Refinement r{refs_[i].value, refs_[i].refined.Join(o.refs_[j].refined),
                   refs_[i].partial || o.refs_[j].partial};
      out.refs_.push_back(std::move(r));
      ++i;
      ++j;
    }
  }
  return out;
}

bool FlowState::Leq(const FlowState& o) const {
  if (IsBottom() || o.IsTop()) return true;
  if (IsTop() || o.IsBottom()) return false;
  if (!mode_.Leq(o.mode_)) return false;
  for (const auto& binding : o.cells_) {
    if (std::find(cells_.begin(), cells_.end(), binding) == cells_.end()) return false;
  }
  for (const Refinement& r : refs_) {
    const Refinement* other = o.Find(r.value);
    if (other == nullptr) {
      if (!r.partial || !r.refined.IsBottom()) return false;
      continue;
    }
    if (!r.refined.Leq(other->refined) || (r.partial && !other->partial)) return false;
  }
  for (const Refinement& r : o.refs_) {
    // A refinement only `o` has is (Bottom, partial) here: below it iff it is partial.
    if (Find(r.value) == nullptr && !r.partial) return false;
  }
  return true;
}

std::string FlowState::ToString() const {
  if (top_) return "top";
  if (IsBottom()) return "unreached";
  return absl::StrCat("grad ", mode_.ToString(), ", ", refs_.size(), " refinements");
}

// --- Engine -------------------------------------------------------------------------------------

Engine::Engine(const ir::Program& program_in, const ir::Resolver& resolver_in,
               const ir::CallGraph& calls_in, const AnalysisOptions& options_in)
    : program(program_in), resolver(resolver_in), calls(calls_in), options(options_in) {
  const auto& functions = program.functions();
  funcs.resize(functions.size());
  int64_t instr_count = 0;
  for (const ir::Function& fn : functions) {
    FuncInfo& info = funcs[fn.id.index()];
    info.order = ComputeCfgOrder(fn);
    instr_count += static_cast<int64_t>(fn.instrs.size());
    for (const std::string& name : resolver.DecoratorNames(fn.id)) {
      if (auto mode = GradModeOfDecorator(name)) info.decorator_mode = mode;
      if (IsCacheDecorator(name)) info.cache_decorated = true;
    }
    info.param_instrs.assign(fn.params.size(), ir::InstrId());
    for (const ir::Block& block : fn.blocks) {
      for (ir::InstrId id : block.instrs) {
        const ir::Instr& instr = fn.instr(id);
        if (instr.op == ir::Opcode::kWithEnter && !instr.operands.empty()) {
          info.entered_by_with.insert(instr.operands[0].value());
        }
        if (instr.op == ir::Opcode::kParam && instr.aux >= 0 &&
            static_cast<size_t>(instr.aux) < info.param_instrs.size()) {
          info.param_instrs[static_cast<size_t>(instr.aux)] = id;
        }
      }
    }
    for (const ir::CallEdge& edge : calls.Callees(fn.id)) {
      info.edges_at[edge.site.value()].push_back(edge);
    }
  }
  const auto& sccs = calls.SccsBottomUp();
  for (size_t i = 0; i < sccs.size(); ++i) {
    for (ir::FuncId fn : sccs[i]) {
      if (fn.valid() && fn.index() < funcs.size()) {
        funcs[fn.index()].topdown_rank = static_cast<int>(sccs.size() - i);
      }
    }
  }
  budget = options.budget_base + options.budget_per_instruction * instr_count;
}

std::string Engine::FunctionLabel(ir::FuncId fn) const {
  const ir::Function& f = program.function(fn);
  const ir::Module& m = program.module(f.module);
  if (f.kind == ir::FunctionKind::kModule) return m.name;
  return absl::StrCat(m.name, ".", f.qualname);
}

std::string Engine::Location(ir::FuncId fn, ir::InstrId instr) const {
  const ir::Function& f = program.function(fn);
  const ir::Module& m = program.module(f.module);
  uint32_t line = f.range.line;
  if (instr.valid() && instr.index() < f.instrs.size()) line = f.instr(instr).range.line;
  return absl::StrCat(m.path, ":", line);
}

void Engine::Notify(ir::FuncId fn, std::string message) {
  notifications.push_back(Notification{fn, std::move(message)});
}

AbstractValue Engine::WithStep(const AbstractValue& v, ir::FuncId fn, ir::InstrId instr,
                               absl::string_view text) {
  if (v.IsBottom() || v.IsTop()) return v;
  AbstractValue out = v;
  auto extend = [&](ProvId& p, bool interesting) {
    if (interesting) p = Step(p, fn, instr, text);
  };
  extend(out.kinds_prov, !v.kinds.IsTop() && !v.kinds.IsBottom() && v.kinds_prov != kNoProv);
  extend(out.strings_prov, !v.strings.IsTop() && !v.strings.IsBottom());
  extend(out.sites_prov, !v.sites.IsTop() && !v.sites.IsBottom());
  extend(out.device_prov, v.device.HasValue());
  extend(out.dtype_prov, v.dtype.HasValue());
  extend(out.grad_prov, !v.grad.IsTop() && !v.grad.IsBottom() && v.grad_prov != kNoProv);
  return out;
}

// --- Sites --------------------------------------------------------------------------------------

SiteId Engine::InternSite(const std::string& key, Site site) {
  auto it = site_by_key.find(key);
  if (it != site_by_key.end()) return it->second;
  const auto id = static_cast<SiteId>(sites.size());
  sites.push_back(std::move(site));
  site_by_key.emplace(key, id);
  return id;
}

bool Engine::ClassIsNnModule(ir::ClassId cls) const {
  for (ir::ClassId c : resolver.Mro(cls)) {
    for (const std::string& base : resolver.ExternalBases(c)) {
      if (absl::StartsWith(base, "torch.nn.") || absl::StartsWith(base, "transformers.") ||
          absl::StartsWith(base, "transformer_lens.") || absl::StartsWith(base, "lightning.") ||
          absl::StartsWith(base, "pytorch_lightning.")) {
        return true;
      }
    }
  }
  return false;
}

bool Engine::ClassIsDataclass(ir::ClassId cls) const {
  const ir::Class& c = program.klass(cls);
  if (!c.body.valid()) return false;
  for (const std::string& name : resolver.DecoratorNames(c.body)) {
    absl::string_view n = name;
    absl::ConsumeSuffix(&n, "()");
    if (n == "dataclasses.dataclass" || n == "attr.s" || n == "attrs.define" ||
        n == "attr.define" || n == "chz.chz") {
      return true;
    }
  }
  for (const std::string& base : resolver.ExternalBases(cls)) {
    if (absl::StartsWith(base, "pydantic.") || base == "typing.NamedTuple") return true;
  }
  return false;
}

SiteId Engine::InstanceSite(ir::ClassId cls) {
  std::string key = absl::StrCat("cls:", cls.value());
  // Interned: later calls skip describing the site (the MRO walk, the name).
  if (auto it = site_by_key.find(key); it != site_by_key.end()) return it->second;
  Site site;
  site.kind = Site::Kind::kInstance;
  site.cls = cls;
  site.is_model = ClassIsNnModule(cls);
  const ir::Class& c = program.klass(cls);
  site.fn = c.defined_in;
  site.instr = c.definition;
  site.name = absl::StrCat(program.module(c.module).name, ".", c.qualname);
  return InternSite(key, std::move(site));
}

SiteId Engine::UnknownParamSite(ir::FuncId fn, int index) {
  std::string key = absl::StrCat("param:", fn.value(), ":", index);
  if (auto it = site_by_key.find(key); it != site_by_key.end()) return it->second;
  Site site;
  site.kind = Site::Kind::kUnknownParam;
  site.fn = fn;
  site.param_index = index;
  const ir::Function& f = program.function(fn);
  if (index >= 0 && static_cast<size_t>(index) < f.params.size()) {
    site.name = absl::StrCat("parameter `", f.params[index].name, "` of ", FunctionLabel(fn));
  }
  return InternSite(key, std::move(site));
}

// --- Cells --------------------------------------------------------------------------------------

Cell& Engine::CellAt(const CellRef& key) {
  auto it = cell_index.find(key);
  if (it == cell_index.end()) {
    const auto index = static_cast<uint32_t>(cell_data.size());
    cell_data.emplace_back();
    it = cell_index.emplace(CellKey{key.kind, key.owner, std::string(key.name)}, index).first;
  }
  return cell_data[it->second];
}

AbstractValue Engine::ReadCell(const CellRef& key) {
  Cell& cell = CellAt(key);
  if (!stack.empty()) cell.readers.insert(stack.back());
  return cell.value;
}

AbstractValue Engine::PeekCell(const CellRef& key) const {
  auto it = cell_index.find(key);
  return it == cell_index.end() ? AbstractValue::Bottom() : cell_data[it->second].value;
}

void Engine::WriteCell(const CellRef& key, const AbstractValue& value) {
  Cell& cell = CellAt(key);
  if (value.Leq(cell.value)) return;
  cell.value = cell.value.Join(value);
  for (ContextId reader : cell.readers) Enqueue(reader);
}

// --- Contexts -----------------------------------------------------------------------------------

void Engine::Enqueue(ContextId id) {
  ContextData& c = ctx(id);
  if (c.on_stack) {
    c.needs_rerun = true;
    return;
  }
  c.dirty = true;
  worklist.emplace(funcs[c.info.fn.index()].topdown_rank, id);
}

ContextId Engine::ContextFor(ir::FuncId fn, GradMode mode, std::vector<AbstractValue> args,
                             bool is_hook,
                             std::vector<std::pair<std::string, AbstractValue>> cell_values) {
  FuncInfo& info = funcs[fn.index()];
  const ir::Function& f = program.function(fn);
  if (info.decorator_mode) mode = *info.decorator_mode;
  args.resize(f.params.size(), AbstractValue::Bottom());
  std::sort(cell_values.begin(), cell_values.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  ContextKey key;
  key.mode = mode;
  key.is_hook = is_hook;
  key.args.reserve(args.size());
  for (const AbstractValue& arg : args) key.args.push_back(MakeArgKey(arg, sites));
  for (const auto& [name, value] : cell_values) {
    key.cells.emplace_back(name, MakeArgKey(value, sites));
  }

  auto merge_into = [&](ContextId id) {
    ContextData& c = ctx(id);
    bool grew = !mode.Leq(c.info.entry_mode);
    c.info.entry_mode = c.info.entry_mode.Join(mode);
    for (size_t i = 0; i < args.size(); ++i) {
      if (!args[i].Leq(c.info.args[i])) {
        c.info.args[i] = c.info.args[i].Join(args[i]);
        grew = true;
      }
    }
    // Closure variables: joined by name; one the caller does not bind falls back to the cell.
    std::vector<std::pair<std::string, AbstractValue>> kept;
    for (const auto& [name, value] : c.info.cell_values) {
      for (const auto& [other, incoming] : cell_values) {
        if (other != name) continue;
        AbstractValue joined = value.Join(incoming);
        grew = grew || !(joined == value);
        kept.emplace_back(name, std::move(joined));
      }
    }
    if (kept.size() != c.info.cell_values.size()) grew = true;
    c.info.cell_values = std::move(kept);
    if (grew) Enqueue(id);
    return id;
  };

  if (auto it = info.context_by_key.find(key); it != info.context_by_key.end()) {
    return merge_into(it->second);
  }
  const bool overflow =
      static_cast<int>(info.contexts.size()) >= options.max_contexts_per_function;
  if (overflow && info.joined >= 0) return merge_into(info.joined);

  auto data = std::make_unique<ContextData>();
  const auto id = static_cast<ContextId>(contexts.size());
  data->info.id = id;
  data->info.fn = fn;
  data->info.entry_mode = mode;
  data->info.args = std::move(args);
  data->info.is_hook = is_hook;
  data->info.cell_values = std::move(cell_values);
  data->info.joined = overflow;
  data->values.assign(f.instrs.size(), AbstractValue::Bottom());
  data->block_in.assign(f.blocks.size(), FlowState::Bottom());
  data->modes.assign(f.instrs.size(), 0);
  data->param_exit.assign(f.params.size(), std::nullopt);
  contexts.push_back(std::move(data));
  info.contexts.push_back(id);
  if (overflow) {
    info.joined = id;
  } else {
    info.context_by_key.emplace(std::move(key), id);
  }
  return id;
}

ContextId Engine::RootContext(ir::FuncId fn) {
  const ir::Function& f = program.function(fn);
  std::vector<AbstractValue> args;
  for (size_t i = 0; i < f.params.size(); ++i) {
    const ir::Param& param = f.params[i];
    AbstractValue arg = AbstractValue::Top();
    if (param.kind == ir::ParamKind::kVarArgs) {
      arg = AbstractValue::OfKind(kKindList);
    } else if (param.kind == ir::ParamKind::kVarKeywords) {
      arg = AbstractValue::OfKind(kKindDict);
    } else if (i == 0 && f.method_of.valid() && (param.name == "self" || param.name == "cls")) {
      const SiteId site = InstanceSite(f.method_of);
      arg.kinds = KindSet::Of(IsModelSite(site) ? (kKindModel | kKindObject) : kKindObject);
      arg.sites = SiteSet::Of(site);
    } else {
      arg.sites = SiteSet::Of(UnknownParamSite(fn, static_cast<int>(i)));
    }
    args.push_back(std::move(arg));
  }
  const ContextId id = ContextFor(fn, GradMode::Enabled(), std::move(args), /*is_hook=*/false);
  ctx(id).info.is_root = true;
  return id;
}

void Engine::Analyze(ContextId id) {
  if (budget_exhausted) return;
  ContextData& c = ctx(id);
  if (c.on_stack) {
    c.needs_rerun = true;
    return;
  }
  if (static_cast<int>(stack.size()) >= options.max_call_depth) {
    Enqueue(id);
    return;
  }
  c.on_stack = true;
  stack.push_back(id);
  int rounds = 0;
  do {
    c.needs_rerun = false;
    c.dirty = false;
    const AbstractValue old_ret = c.ret;
    const auto old_exit = c.param_exit;
    const bool old_returns = c.returns;
    ++analyses;
    if (!SolveContext(*this, id)) {
      if (!c.info.gave_up) {
        c.info.gave_up = true;
        Notify(c.info.fn, absl::StrCat("dataflow gave up on ", FunctionLabel(c.info.fn),
                                       budget_exhausted ? " (global budget spent)"
                                                        : " (no fixpoint within the visit limit)",
                                       "; its facts are unknown"));
      }
      c.ret = AbstractValue::Top();
      c.returns = true;
    }
    const bool changed = !(c.ret == old_ret) || c.param_exit != old_exit ||
                         c.returns != old_returns;
    if (changed) {
      if (++c.summary_changes > options.summary_widen_after) c.ret = old_ret.Widen(c.ret);
      for (ContextId reader : c.summary_readers) {
        if (reader != id) Enqueue(reader);
      }
    }
  } while (c.needs_rerun && !budget_exhausted && ++rounds < 16);
  c.analyzed = true;
  c.on_stack = false;
  stack.pop_back();
  if (c.needs_rerun) Enqueue(id);
}

void Engine::Run() {
  auto drain = [&] {
    while (!worklist.empty() && !budget_exhausted) {
      const ContextId id = worklist.begin()->second;
      worklist.erase(worklist.begin());
      if (ctx(id).dirty) Analyze(id);
    }
  };
  // Module bodies first, in import order, as Python runs them: an imported module's globals and
  // class attributes are written before the importer reads them. This matters for results, not
  // only for speed: a read that runs before the write gives "unknown", and a result slot only
  // grows (docs/architecture.md). Imports inside functions count too (a lazy import runs the
  // module before the function goes on), and an import resolves as the resolver does it,
  // including a script's sibling module (`from config import Cfg` next to it).
  std::vector<std::vector<ir::ModuleId>> imports(program.modules().size());
  for (const ir::Function& fn : program.functions()) {
    std::vector<ir::ModuleId>& targets = imports[fn.module.index()];
    for (const ir::Block& block : fn.blocks) {
      for (ir::InstrId id : block.instrs) {
        const ir::Instr& instr = fn.instr(id);
        if (instr.op != ir::Opcode::kImport) continue;
        ir::ModuleId target =
            program.FindModule(resolver.AbsoluteImportName(fn.module, instr.text, instr.aux));
        if (!target.valid()) {
          for (const ir::Symbol& symbol : resolver.Resolve(fn.id, id)) {
            if (symbol.kind == ir::Symbol::Kind::kModule && symbol.module.valid()) {
              target = symbol.module;
            }
          }
        }
        if (target.valid() && target != fn.module) targets.push_back(target);
      }
    }
  }
  std::vector<ir::ModuleId> order;
  std::vector<bool> seen(program.modules().size(), false);
  for (const ir::Module& m : program.modules()) {
    if (seen[m.id.index()]) continue;
    seen[m.id.index()] = true;
    std::vector<std::pair<ir::ModuleId, size_t>> dfs{{m.id, 0}};
    while (!dfs.empty()) {
      auto& [mod, next] = dfs.back();
      const std::vector<ir::ModuleId>& targets = imports[mod.index()];
      if (next < targets.size()) {
        const ir::ModuleId target = targets[next++];
        if (!seen[target.index()]) {
          seen[target.index()] = true;
          dfs.emplace_back(target, 0);
        }
        continue;
      }
      order.push_back(mod);
      dfs.pop_back();
    }
  }
  for (ir::ModuleId mod : order) {
    const ir::FuncId body = program.module(mod).body;
    if (!body.valid()) continue;
    Analyze(RootContext(body));
    drain();
  }
  // Functions nobody calls (entry points, callbacks of external frameworks), callers before
  // callees, with arguments of unknown origin; then whatever is still unreached (dead code,
  // cycles nothing enters).
  std::vector<ir::FuncId> uncalled;
  for (const ir::Function& fn : program.functions()) {
    if (fn.kind != ir::FunctionKind::kModule && fn.kind != ir::FunctionKind::kClassBody &&
        calls.Callers(fn.id).empty()) {
      uncalled.push_back(fn.id);
    }
  }
  // Constructors first, then other functions, then other methods: the attributes an object's
  // methods read are set by its constructor, run directly (an instance no analyzed code
  // creates) or by the code that creates the instance. Facts only grow when a context is
  // re-solved, so a method solved before its attributes exist keeps them unknown.
  auto rank_of = [&](ir::FuncId f) {
    const ir::Function& function = program.function(f);
    if (!function.method_of.valid()) return 1;
    return function.name == "__init__" ? 0 : 2;
  };
  std::stable_sort(uncalled.begin(), uncalled.end(), [&](ir::FuncId a, ir::FuncId b) {
    if (rank_of(a) != rank_of(b)) return rank_of(a) < rank_of(b);
    return funcs[a.index()].topdown_rank < funcs[b.index()].topdown_rank;
  });
  for (ir::FuncId fn : uncalled) {
    if (budget_exhausted) break;
    const FuncInfo& info = funcs[fn.index()];
    if (!info.contexts.empty() && !info.dispatched) continue;
    Analyze(RootContext(fn));
    drain();
  }
  for (const ir::Function& fn : program.functions()) {
    if (budget_exhausted) break;
    const FuncInfo& info = funcs[fn.id.index()];
    if (!info.contexts.empty() && !info.dispatched) continue;
    if (std::any_of(info.contexts.begin(), info.contexts.end(),
                    [&](ContextId c) { return ctx(c).info.is_root; })) {
      continue;
    }
    Analyze(RootContext(fn.id));
    drain();
  }
  if (budget_exhausted) {
    int64_t cut = 0;
    ir::FuncId first;
    for (auto& c : contexts) {
      if (c->dirty || !c->analyzed) {
        c->info.gave_up = true;
        if (!first.valid()) first = c->info.fn;
        ++cut;
      }
    }
    for (const ir::Function& fn : program.functions()) {
      if (funcs[fn.id.index()].contexts.empty()) {
        ++cut;
        if (!first.valid()) first = fn.id;
      }
    }
    Notify(first, absl::StrCat("dataflow budget of ", budget,
                               " instruction transfers spent; facts of ", cut,
                               " function contexts are unknown (Top)"));
  }
  Finish();
}

}  // namespace flopscope::dataflow::internal
