#include "dataflow/analysis.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "dataflow/engine.h"
#include "util/check.h"

namespace flopscope::dataflow {

using internal::Engine;

std::unique_ptr<Analysis> Analysis::Build(const ir::Program& program,
                                          const ir::Resolver& resolver,
                                          const ir::CallGraph& calls,
                                          const AnalysisOptions& options) {
  auto engine = std::make_unique<Engine>(program, resolver, calls, options);
  engine->Run();
  return std::unique_ptr<Analysis>(new Analysis(std::move(engine)));
}

Analysis::Analysis(std::unique_ptr<internal::Engine> engine) : engine_(std::move(engine)) {}
Analysis::~Analysis() = default;

const ir::Program& Analysis::program() const { return engine_->program; }
const ir::Resolver& Analysis::resolver() const { return engine_->resolver; }
const ir::CallGraph& Analysis::call_graph() const { return engine_->calls; }

const std::vector<ContextId>& Analysis::ContextsOf(ir::FuncId fn) const {
  static const std::vector<ContextId> kNone;
  if (!fn.valid() || fn.index() >= engine_->live_by_fn.size()) return kNone;
  return engine_->live_by_fn[fn.index()];
}

const ContextInfo& Analysis::context(ContextId id) const {
  FS_CHECK(id >= 0 && static_cast<size_t>(id) < engine_->contexts.size());
  return engine_->ctx(id).info;
}

std::vector<ContextPath> Analysis::PathsTo(ContextId id, size_t limit) const {
  return engine_->PathsTo(id, limit);
}

std::vector<ContextId> Analysis::CalleeContexts(ContextId context, ir::InstrId call) const {
  if (context < 0 || static_cast<size_t>(context) >= engine_->contexts.size()) return {};
  const internal::ContextData& c = engine_->ctx(context);
  auto it = c.callees_at.find(call.value());
  return it == c.callees_at.end() ? std::vector<ContextId>{} : it->second;
}

AbstractValue Analysis::ValueIn(ContextId context, ir::InstrId value) const {
  if (context < 0 || static_cast<size_t>(context) >= engine_->contexts.size()) {
    return AbstractValue::Top();
  }
  const internal::ContextData& c = engine_->ctx(context);
  if (c.info.gave_up) return AbstractValue::Top();
  if (!value.valid() || value.index() >= c.values.size()) return AbstractValue::Top();
  return c.values[value.index()];
}

AbstractValue Analysis::Value(ir::FuncId fn, ir::InstrId value) const {
  AbstractValue v = AbstractValue::Bottom();
  for (ContextId c : ContextsOf(fn)) v = v.Join(ValueIn(c, value));
  return v;
}

AbstractValue Analysis::OperandIn(ContextId context, ir::InstrId instr, size_t index) const {
  if (context < 0 || static_cast<size_t>(context) >= engine_->contexts.size()) {
    return AbstractValue::Top();
  }
  const internal::ContextData& c = engine_->ctx(context);
  if (c.info.gave_up) return AbstractValue::Top();
  const ir::Function& f = engine_->program.function(c.info.fn);
  if (!instr.valid() || instr.index() >= f.instrs.size()) return AbstractValue::Top();
  const ir::Instr& in = f.instr(instr);
  if (index >= in.operands.size()) return AbstractValue::Top();
  auto it = c.refined_operands.find({instr.value(), static_cast<int32_t>(index)});
  if (it != c.refined_operands.end()) return it->second;
  return ValueIn(context, in.operands[index]);
}

AbstractValue Analysis::Operand(ir::FuncId fn, ir::InstrId instr, size_t index) const {
  AbstractValue v = AbstractValue::Bottom();
  for (ContextId c : ContextsOf(fn)) v = v.Join(OperandIn(c, instr, index));
  return v;
}

GradMode Analysis::GradModeIn(ContextId context, ir::InstrId instr) const {
  if (context < 0 || static_cast<size_t>(context) >= engine_->contexts.size()) {
    return GradMode::Top();
  }
  const internal::ContextData& c = engine_->ctx(context);
  if (c.info.gave_up) return GradMode::Top();
  if (!instr.valid() || instr.index() >= c.modes.size()) return GradMode::Bottom();
  return GradMode::FromBits(c.modes[instr.index()]);
}

GradMode Analysis::GradModeAt(ir::FuncId fn, ir::InstrId instr) const {
  GradMode mode = GradMode::Bottom();
  for (ContextId c : ContextsOf(fn)) mode = mode.Join(GradModeIn(c, instr));
  return mode;
}

std::optional<ContextId> Analysis::ContextWithGradEnabled(ir::FuncId fn,
                                                          ir::InstrId instr) const {
  for (ContextId c : ContextsOf(fn)) {
    if (GradModeIn(c, instr).MayBeEnabled()) return c;
  }
  return std::nullopt;
}

const std::vector<ModelLoad>& Analysis::model_loads() const { return engine_->loads; }
const std::vector<ForwardCall>& Analysis::forward_calls() const { return engine_->forwards; }
const std::vector<HookRegistration>& Analysis::hook_registrations() const {
  return engine_->hooks;
}
const std::vector<ModelCast>& Analysis::model_casts() const { return engine_->casts; }
const std::vector<OptimizerUse>& Analysis::optimizer_uses() const { return engine_->optimizers; }

const Site& Analysis::site(SiteId id) const {
  FS_CHECK(id >= 0 && static_cast<size_t>(id) < engine_->sites.size());
  return engine_->sites[static_cast<size_t>(id)];
}
size_t Analysis::site_count() const { return engine_->sites.size(); }

std::vector<SiteId> Analysis::ModelSites(const SiteSet& sites) const {
  std::vector<SiteId> out;
  if (sites.IsTop()) return out;
  for (SiteId s : sites.elements()) {
    if (engine_->sites[static_cast<size_t>(s)].is_model) out.push_back(s);
  }
  return out;
}

std::vector<const ProvStep*> Analysis::Provenance(ProvId id) const {
  return engine_->prov.Chain(id);
}

std::string Analysis::DescribeStep(const ProvStep& step) const {
  return absl::StrCat(engine_->Location(step.fn, step.instr), ": ", step.text, " (in ",
                      engine_->FunctionLabel(step.fn), ")");
}

std::string Analysis::Location(ir::FuncId fn, ir::InstrId instr) const {
  return engine_->Location(fn, instr);
}

bool Analysis::IsCacheDecorated(ir::FuncId fn) const {
  return fn.valid() && fn.index() < engine_->funcs.size() &&
         engine_->funcs[fn.index()].cache_decorated;
}

std::string Analysis::CalleeName(ir::FuncId fn, ir::InstrId call) const {
  const ir::Function& f = engine_->program.function(fn);
  if (!call.valid() || call.index() >= f.instrs.size()) return "";
  const ir::Instr& instr = f.instr(call);
  if (instr.op != ir::Opcode::kCall || instr.operands.empty()) return "";
  for (ir::FuncId callee : engine_->calls.CalleesAt(fn, call)) {
    return engine_->FunctionLabel(callee);
  }
  std::string name = engine_->resolver.QualifiedName(fn, instr.operands[0]);
  if (!name.empty()) return name;
  const ir::Instr& callee = f.instr(instr.operands[0]);
  if (callee.op == ir::Opcode::kLoadAttr && !callee.operands.empty()) {
    const AbstractValue receiver = Value(fn, callee.operands[0]);
    std::string kind = receiver.kinds.IsTop() ? "value" : KindSetToString(receiver.kinds);
    return absl::StrCat("<", kind, ">.", callee.text);
  }
  const AbstractValue value = Value(fn, instr.operands[0]);
  const std::string kind = value.kinds.IsTop() ? "value" : KindSetToString(value.kinds);
  return callee.op == ir::Opcode::kParam || callee.op == ir::Opcode::kLoadVar
             ? absl::StrCat("<", kind, " ", callee.text, ">")
             : absl::StrCat("<", kind, ">");
}

const std::vector<Notification>& Analysis::notifications() const {
  return engine_->notifications;
}

AnalysisStats Analysis::stats() const {
  AnalysisStats s;
  s.contexts = static_cast<int64_t>(engine_->contexts.size());
  for (bool l : engine_->live) s.live_contexts += l ? 1 : 0;
  s.instruction_transfers = engine_->transfers;
  s.context_analyses = engine_->analyses;
  s.budget_exhausted = engine_->budget_exhausted;
  return s;
}

}  // namespace flopscope::dataflow
