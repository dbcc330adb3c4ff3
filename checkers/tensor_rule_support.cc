#include "checkers/tensor_rule_support.h"

#include <algorithm>
#include <cmath>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "dataflow/support/value_flow.h"

namespace flopscope::checkers::tensor_rules {
namespace {

using dataflow::AbstractValue;
using dataflow::Site;
using dataflow::SiteId;
using ir::Opcode;

// Methods and attributes only models (torch.nn.Module, Hugging Face and TransformerLens models)
// have; a tensor or a plain object does not.
constexpr absl::string_view kModelMembers[] = {
    "eval", "train", "parameters", "named_parameters", "modules", "named_modules", "children",
    "state_dict", "load_state_dict", "register_forward_hook", "register_forward_pre_hook",
    "register_full_backward_hook", "register_backward_hook", "generate", "requires_grad_",
    "get_input_embeddings", "get_output_embeddings", "to_tokens", "to_str_tokens",
    "to_single_token", "run_with_cache", "run_with_hooks", "lm_head", "save_pretrained",
    "gradient_checkpointing_enable", "resize_token_embeddings"};
// Attribute names that spell a path to a model's layers (decoder layers, GPT-2 blocks, BERT
// encoder layers, TransformerLens blocks).
constexpr absl::string_view kLayerPath[] = {"layers", "h", "blocks", "layer", "gpt_neox",
                                            "embed_tokens", "wte", "self_attn", "mlp"};
// Attributes of a forward pass's output object (transformers ModelOutput).
constexpr absl::string_view kOutputAttributes[] = {"logits", "hidden_states", "last_hidden_state",
                                                   "past_key_values", "attentions",
                                                   "pooler_output"};
// Keywords of a transformers/TransformerLens forward call.
constexpr absl::string_view kForwardKeywords[] = {
    "input_ids", "attention_mask", "inputs_embeds", "labels", "output_hidden_states",
    "output_attentions", "return_type", "use_cache", "pixel_values", "token_type_ids"};
// Parameter names that suggest a model (the weakest evidence).
constexpr absl::string_view kModelNames[] = {"net", "network", "backbone", "encoder", "decoder",
                                             "transformer", "lm"};
// Top-level packages whose import means the program works with torch objects.
constexpr absl::string_view kTorchPackages[] = {
    "torch", "transformers", "transformer_lens", "peft", "accelerate", "lightning",
    "pytorch_lightning", "diffusers", "sentence_transformers", "timm", "trl", "nnsight",
    "torchvision", "deepspeed", "sae_lens"};

ir::InstrId ChainRootImpl(const ir::Function& fn, ir::InstrId value) {
  for (int guard = 0; guard < 64 && value.valid(); ++guard) {
    const ir::Instr& instr = fn.instr(value);
    if ((instr.op == Opcode::kLoadAttr || instr.op == Opcode::kLoadSubscript) &&
        !instr.operands.empty()) {
      value = instr.operands[0];
      continue;
    }
    break;
  }
  return value;
}

ir::InstrId ParamInstr(const ir::Function& fn, int index) {
  for (const ir::Block& block : fn.blocks) {
    for (ir::InstrId id : block.instrs) {
      const ir::Instr& instr = fn.instr(id);
      if (instr.op == Opcode::kParam && instr.aux == index) return id;
    }
  }
  return ir::InstrId();
}

// Evidence from how `root` (a value of fn) is used: model-only members and layer paths.
void UseEvidence(const ir::Function& fn, ir::InstrId root, std::vector<std::string>& found) {
  if (!root.valid()) return;
  for (const ir::Block& block : fn.blocks) {
    for (ir::InstrId id : block.instrs) {
      const ir::Instr& instr = fn.instr(id);
      if (instr.op != Opcode::kLoadAttr || instr.operands.empty()) continue;
      if (ChainRootImpl(fn, instr.operands[0]) != root) continue;
      std::string item;
      if (OneOfNames(kModelMembers, instr.text)) {
        item = absl::StrCat(".", instr.text);
        if (instr.text != "lm_head") item += "()";
      } else if (OneOfNames(kLayerPath, instr.text) && instr.operands[0] != root) {
        // A layer path needs at least two steps (`model.model.layers`, `model.transformer.h`):
        // a lone `x.layer` is too common on other objects.
        item = absl::StrCat("layer path ", ExprName(fn, id));
      }
      if (!item.empty() && std::find(found.begin(), found.end(), item) == found.end()) {
        found.push_back(std::move(item));
      }
    }
  }
}

// Evidence from a forward call's own shape: model-output attributes read from its result and
// model keywords passed to it.
void OutputEvidence(const ir::Function& fn, ir::InstrId call, std::vector<std::string>& found) {
  if (!call.valid()) return;
  const ir::Instr& c = fn.instr(call);
  for (const std::string& name : c.arg_names) {
    if (OneOfNames(kForwardKeywords, name)) {
      found.push_back(absl::StrCat("called with `", name, "=`"));
      break;
    }
  }
  for (const ir::Block& block : fn.blocks) {
    for (ir::InstrId id : block.instrs) {
      const ir::Instr& instr = fn.instr(id);
      if (instr.op == Opcode::kLoadAttr && !instr.operands.empty() &&
          instr.operands[0] == call && OneOfNames(kOutputAttributes, instr.text)) {
        found.push_back(absl::StrCat("its output has `.", instr.text, "`"));
        return;
      }
    }
  }
}

bool NamedLikeModel(absl::string_view name) {
  const std::string lower = absl::AsciiStrToLower(name);
  return absl::StrContains(lower, "model") || OneOfNames(kModelNames, lower);
}

std::string DescribeSite(const Site& site) {
  switch (site.kind) {
    case Site::Kind::kModelLoad: {
      std::string what = absl::StrCat("loaded by `", site.name, "`");
      if (site.checkpoint.IsSingleton()) {
        absl::StrAppend(&what, " (\"", site.checkpoint.values()[0], "\")");
      }
      return what;
    }
    case Site::Kind::kNnModule:
      return absl::StrCat("constructed as `", site.name, "`");
    case Site::Kind::kInstance:
      return absl::StrCat("an instance of `", site.name, "`");
    default:
      return site.name;
  }
}

// The function `fn` belongs to for lifetimes: comprehensions run inside their parent's call.
ir::FuncId Frame(const ir::Program& program, ir::FuncId fn) {
  for (int guard = 0; guard < 64 && fn.valid(); ++guard) {
    const ir::Function& f = program.function(fn);
    if (f.kind != ir::FunctionKind::kComprehension || !f.parent.valid()) return fn;
    fn = f.parent;
  }
  return fn;
}

// `fn` is `frame` or lexically nested in it (a closure, lambda or comprehension of it).
bool WithinFrame(const ir::Program& program, ir::FuncId fn, ir::FuncId frame) {
  for (int guard = 0; guard < 64 && fn.valid(); ++guard) {
    if (fn == frame) return true;
    fn = program.function(fn).parent;
  }
  return false;
}

// A container created in `fn` (or returned fresh by a callee) escapes the call of its frame:
// returned or yielded to a caller, stored in a global/attribute, put into a caller's container.
std::optional<Outlives> Escapes(const dataflow::support::DefUse& du, ir::FuncId fn,
                                ir::InstrId container) {
  namespace sp = dataflow::support;
  const ir::Program& program = du.program();
  const ir::FuncId frame = Frame(program, fn);
  const std::string name = ExprName(program.function(fn), container);
  const std::string shown = name.empty() ? "the container" : absl::StrCat("`", name, "`");
  sp::FlowOptions options;
  options.max_states = 4000;
  std::optional<Outlives> out;
  const sp::FlowResult result = sp::ExploreFlow(
      du, {sp::FlowNode::Value(ir::ValueRef{fn, container})}, options,
      [&](const sp::FlowResult& r, int32_t index) {
        const sp::FlowState& s = r.states[static_cast<size_t>(index)];
        if (s.node.is_location()) {
          const sp::Location& loc = du.location(s.node.loc);
          if (loc.kind == sp::Location::Kind::kCell && WithinFrame(program, loc.owner, frame)) {
            return false;  // a closure variable of the frame: still local to this call
          }
          out = Outlives{absl::StrCat(shown, " is kept in `", du.LocationName(s.node.loc), "`")};
          return true;
        }
        if (s.node.fn == frame && !s.node.is_location()) {
          // Returned or yielded by the frame itself (also when no caller is in the repository).
          for (const sp::Use& use : du.Uses(s.node.value_ref())) {
            const Opcode op = du.instr(ir::ValueRef{frame, use.user}).op;
            if (op == Opcode::kReturn || op == Opcode::kYield) {
              out = Outlives{absl::StrCat(shown, op == Opcode::kReturn ? " is returned by "
                                                                       : " is yielded by ",
                                          program.function(frame).name, "()"),
                             true};
              return true;
            }
          }
        }
        if (s.calls.empty() && !WithinFrame(program, s.node.fn, frame)) {
          out = Outlives{absl::StrCat(shown, " is handed back to the caller of ",
                                      program.function(frame).name, "()"),
                         true};
          return true;
        }
        return false;
      });
  (void)result;
  return out;
}

std::optional<Outlives> OutlivesImpl(const dataflow::support::DefUse& du, ir::FuncId fn,
                                     ir::InstrId value, int depth,
                                     absl::flat_hash_set<ir::ValueRef>& seen) {
  if (depth > 12 || !value.valid() || !seen.insert(ir::ValueRef{fn, value}).second) {
    return std::nullopt;
  }
  const ir::Program& program = du.program();
  const ir::Function& f = program.function(fn);
  const ir::Instr& instr = f.instr(value);
  const std::string name = ExprName(f, value);
  const std::string shown = name.empty() ? "the container" : absl::StrCat("`", name, "`");
  switch (instr.op) {
    case Opcode::kParam: {
      if (f.kind == ir::FunctionKind::kComprehension) {
        // The iterable a comprehension walks comes from the function that runs it.
        for (const auto& arg : du.ArgumentsFor(fn, static_cast<uint32_t>(instr.aux))) {
          if (auto o = OutlivesImpl(du, arg.site.caller, arg.value, depth + 1, seen)) return o;
        }
        return std::nullopt;
      }
      return Outlives{absl::StrCat(shown, " belongs to the caller (a parameter of ", f.name,
                                   "())")};
    }
    case Opcode::kLoadVar: {
      const auto scope = static_cast<ir::VarScope>(instr.aux);
      if (scope == ir::VarScope::kGlobal) {
        return Outlives{absl::StrCat(shown, " is a module global")};
      }
      if (scope == ir::VarScope::kClass) {
        return Outlives{absl::StrCat(shown, " is a class attribute")};
      }
      const dataflow::support::LocationId loc = du.LoadedLocation(ir::ValueRef{fn, value});
      if (!loc.valid()) return std::nullopt;
      const dataflow::support::Location& cell = du.location(loc);
      for (const ir::ValueRef& stored : du.StoredValues(loc)) {
        if (OutlivesImpl(du, stored.fn, stored.value, depth + 1, seen)) {
          return Outlives{absl::StrCat(shown, " is a closure variable of ",
                                       program.function(cell.owner).name,
                                       "() that outlives its call")};
        }
      }
      return std::nullopt;
    }
    case Opcode::kLoadAttr: {
      const ir::InstrId object = instr.operands.empty() ? ir::InstrId() : instr.operands[0];
      if (object.valid()) {
        const ir::Instr& obj = f.instr(object);
        // An attribute of an object made in this call lives as long as that object.
        if (obj.op == Opcode::kCall && !du.TargetsAt({fn, object}).empty()) {
          return OutlivesImpl(du, fn, object, depth + 1, seen);
        }
      }
      return Outlives{absl::StrCat(shown, " is an attribute")};
    }
    case Opcode::kLoadSubscript:
    case Opcode::kGetIter:
    case Opcode::kForIter:
    case Opcode::kUnpackItem:
    case Opcode::kUnpackStar:
      if (instr.operands.empty()) return std::nullopt;
      if (auto o = OutlivesImpl(du, fn, instr.operands[0], depth + 1, seen)) {
        return Outlives{absl::StrCat(shown, " is an item of a container that outlives the call (",
                                     o->why, ")"),
                        o->returned};
      }
      return std::nullopt;
    case Opcode::kPhi:
      for (ir::InstrId op : instr.operands) {
        if (auto o = OutlivesImpl(du, fn, op, depth + 1, seen)) return o;
      }
      return Escapes(du, fn, value);
    case Opcode::kCall: {
      const dataflow::support::CallSite site{fn, value};
      const absl::string_view method = du.MethodName(site);
      const ir::InstrId receiver = du.Receiver(site);
      if (receiver.valid() && (method == "setdefault" || method == "get" ||
                               method == "__getitem__")) {
        if (auto o = OutlivesImpl(du, fn, receiver, depth + 1, seen)) return o;
        return std::nullopt;
      }
      return Escapes(du, fn, value);
    }
    case Opcode::kBuildList:
    case Opcode::kBuildDict:
    case Opcode::kBuildSet:
    case Opcode::kBuildTuple:
      return Escapes(du, fn, value);
    default:
      return std::nullopt;
  }
}

}  // namespace

ModelEvidence ModelEvidenceFor(const CheckContext& ctx, ir::FuncId fn, ir::InstrId value,
                               const AbstractValue& v, ir::InstrId output) {
  const dataflow::Analysis& a = ctx.analysis();
  const ir::Program& program = ctx.program();
  ModelEvidence e;
  std::vector<std::pair<ir::FuncId, ir::InstrId>> roots;  // parameters of unknown origin
  if (!v.sites.IsTop()) {
    // A loss module (`self.criterion`) is not a model, whatever the object holding it is.
    const auto& ids = v.sites.elements();
    if (!ids.empty() && std::all_of(ids.begin(), ids.end(),
                                    [&](SiteId id) { return a.site(id).is_loss_module; })) {
      return e;
    }
    for (SiteId id : v.sites.elements()) {
      const Site& site = a.site(id);
      if (site.is_loss_module) continue;
      if (site.kind == Site::Kind::kUnknownParam && site.fn.valid()) {
        roots.emplace_back(site.fn, ParamInstr(program.function(site.fn), site.param_index));
        continue;
      }
      if (!site.is_model) continue;
      if (site.kind != Site::Kind::kModelLoad && site.kind != Site::Kind::kNnModule &&
          site.kind != Site::Kind::kInstance) {
        continue;
      }
      e.strength = Evidence::kIdentified;
      e.origin_fn = site.fn;
      e.origin_instr = site.instr;
      e.origin_what = DescribeSite(site);
      e.parameters = site.parameters;
      if (site.checkpoint.IsSingleton()) e.checkpoint = site.checkpoint.values()[0];
      e.text = absl::StrCat("model identified: ", e.origin_what);
      return e;
    }
  }
  // Unknown origin: what the code does with it, here and where it came in as a parameter.
  const ir::Function& f = program.function(fn);
  const ir::InstrId local_root = ChainRootImpl(f, value);
  std::vector<std::string> found;
  UseEvidence(f, local_root, found);
  for (const auto& [root_fn, root] : roots) {
    if (root_fn != fn || root != local_root) UseEvidence(program.function(root_fn), root, found);
  }
  OutputEvidence(f, output, found);
  const std::string name = ExprName(f, value);
  if (!found.empty()) {
    e.strength = Evidence::kUse;
    e.text = absl::StrCat("`", name.empty() ? "value" : name,
                          "` of unknown origin, typed from use: ", absl::StrJoin(found, ", "));
    return e;
  }
  // Weakest: the name of the variable (or of the parameter it came in as).
  std::vector<std::string> names;
  if (local_root.valid() && f.instr(local_root).op == Opcode::kParam) {
    const auto index = static_cast<size_t>(f.instr(local_root).aux);
    if (index < f.params.size()) names.push_back(f.params[index].name);
  }
  if (!name.empty()) names.push_back(name.substr(name.rfind('.') == std::string::npos
                                                     ? 0
                                                     : name.rfind('.') + 1));
  for (const std::string& n : names) {
    if (NamedLikeModel(n)) {
      e.strength = Evidence::kName;
      e.text = absl::StrCat("`", name.empty() ? n : name,
                            "` of unknown origin, recognised as a model by its name only");
      return e;
    }
  }
  return e;
}

ir::InstrId ChainRoot(const ir::Function& fn, ir::InstrId value) {
  return ChainRootImpl(fn, value);
}

void DedupeSteps(Diagnostic& diagnostic) {
  std::vector<PathStep> kept;
  for (PathStep& step : diagnostic.call_path) {
    const bool seen = std::any_of(kept.begin(), kept.end(), [&](const PathStep& k) {
      return k.location.path == step.location.path &&
             k.location.range.line == step.location.range.line && k.function == step.function;
    });
    if (!seen) kept.push_back(std::move(step));
  }
  diagnostic.call_path = std::move(kept);
}

std::string ExprName(const ir::Function& fn, ir::InstrId value) {
  if (!value.valid()) return "";
  const ir::Instr& instr = fn.instr(value);
  switch (instr.op) {
    case Opcode::kParam: {
      const auto index = static_cast<size_t>(instr.aux);
      return index < fn.params.size() ? fn.params[index].name : instr.text;
    }
    case Opcode::kLoadVar:
    case Opcode::kPhi:
    case Opcode::kUndefined:
      return instr.text;
    case Opcode::kLoadAttr: {
      if (instr.operands.empty()) return "";
      const std::string base = ExprName(fn, instr.operands[0]);
      return base.empty() ? "" : absl::StrCat(base, ".", instr.text);
    }
    case Opcode::kLoadSubscript: {
      if (instr.operands.empty()) return "";
      const std::string base = ExprName(fn, instr.operands[0]);
      return base.empty() ? "" : absl::StrCat(base, "[...]");
    }
    default:
      return "";
  }
}

std::vector<dataflow::support::CallSite> CallString(const dataflow::ContextPath& path) {
  std::vector<dataflow::support::CallSite> out;
  out.reserve(path.size());
  for (const dataflow::CallStep& step : path) out.push_back({step.caller, step.site});
  return out;
}

void AddCallerSteps(const CheckContext& ctx, const dataflow::ContextPath& path,
                    ir::FuncId callee, absl::string_view what, Diagnostic& diagnostic) {
  const ir::Program& program = ctx.program();
  // Comprehensions and generator expressions are shown as part of the function that runs them.
  auto shown = [&](ir::FuncId f) { return ctx.DisplayName(f); };
  for (size_t i = path.size(); i-- > 0;) {
    const dataflow::CallStep& step = path[i];
    const ir::FuncId target = i + 1 < path.size() ? path[i + 1].caller : callee;
    if (program.function(target).kind == ir::FunctionKind::kComprehension) continue;
    const ir::Function& caller = program.function(step.caller);
    std::string message;
    const ir::Instr& call = caller.instr(step.site);
    bool hook = false;
    if (call.op == Opcode::kCall && !call.operands.empty()) {
      const ir::Instr& callee_expr = caller.instr(call.operands[0]);
      hook = callee_expr.op == Opcode::kLoadAttr &&
             absl::StartsWith(callee_expr.text, "register_") &&
             absl::EndsWith(callee_expr.text, "hook");
      if (hook) {
        message = absl::StrCat("registers ", shown(target), "() with `.",
                               callee_expr.text, "`; it runs inside the module's forward pass");
      }
    }
    if (!hook) message = absl::StrCat("calls ", shown(target), "()", what);
    diagnostic.Step(ctx.LocationOf(step.caller, step.site), shown(step.caller),
                    std::move(message));
  }
}

void AddProvenanceSteps(const CheckContext& ctx, dataflow::ProvId prov, size_t limit,
                        Diagnostic& diagnostic, ir::FuncId skip_fn, ir::InstrId skip_instr) {
  if (prov == dataflow::kNoProv) return;
  const ir::Program& program = ctx.program();
  size_t added = 0;
  for (const dataflow::ProvStep* step : ctx.analysis().Provenance(prov)) {
    if (added >= limit) break;
    if (!step->fn.valid() || !step->instr.valid()) continue;
    if (step->fn.index() >= program.functions().size()) continue;
    if (step->instr.index() >= program.function(step->fn).instrs.size()) continue;
    if (step->fn == skip_fn && step->instr == skip_instr) continue;
    diagnostic.Step(ctx.LocationOf(step->fn, step->instr), ctx.DisplayName(step->fn),
                    step->text);
    ++added;
  }
}

bool InsideForwardMethod(const ir::Program& program, const dataflow::ContextPath& path,
                         ir::FuncId fn) {
  auto is_forward = [&](ir::FuncId f) {
    const ir::Function& function = program.function(f);
    return function.method_of.valid() &&
           (function.name == "forward" || function.name == "__call__");
  };
  if (is_forward(fn)) return true;
  for (const dataflow::CallStep& step : path) {
    if (is_forward(step.caller)) return true;
  }
  return false;
}

bool UsesTorch(const ir::Program& program) {
  for (const ir::Function& function : program.functions()) {
    for (const ir::Instr& instr : function.instrs) {
      if (instr.op != Opcode::kImport || instr.aux != 0) continue;
      const absl::string_view text = instr.text;
      const absl::string_view top = text.substr(0, text.find('.'));
      if (OneOfNames(kTorchPackages, top)) return true;
    }
  }
  return false;
}

std::optional<Outlives> ContainerOutlivesCall(const dataflow::support::DefUse& du,
                                              ir::FuncId fn, ir::InstrId container) {
  absl::flat_hash_set<ir::ValueRef> seen;
  return OutlivesImpl(du, fn, container, 0, seen);
}

ForwardIndex::ForwardIndex(const dataflow::Analysis& analysis) {
  for (const dataflow::ForwardCall& call : analysis.forward_calls()) {
    calls_[{call.fn.value(), call.site.value(), call.context}] = &call;
  }
}

const dataflow::ForwardCall* ForwardIndex::Find(ir::FuncId fn, ir::InstrId site,
                                                dataflow::ContextId context) const {
  auto it = calls_.find({fn.value(), site.value(), context});
  return it == calls_.end() ? nullptr : it->second;
}

}  // namespace flopscope::checkers::tensor_rules
