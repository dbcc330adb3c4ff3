// Internal to dataflow/: the intraprocedural problem of one context (an IntraproceduralProblem
// for dataflow/solver.h). transfer.cc handles plain instructions, calls.cc call sites and
// library.cc the models of external functions and of methods on abstract values.
//
// Contract of every transfer (Hoare triple over the sparse value table and the flow state):
//   {operands have their current facts, state = facts at the instruction}
//     instr
//   {values[instr] grew to include the instruction's result, state updated by its effects}
#ifndef FLOPSCOPE_DATAFLOW_TRANSFER_H_
#define FLOPSCOPE_DATAFLOW_TRANSFER_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "dataflow/engine.h"

namespace flopscope::dataflow::internal {

struct CallArg {
  std::string name;  // keyword name; "" positional; "*" / "**" unpacked
  ir::InstrId instr;
  AbstractValue value;
};

struct CallArgs {
  std::vector<CallArg> positional;
  std::vector<CallArg> keyword;
  std::vector<CallArg> star;   // *args
  std::vector<CallArg> dstar;  // **kwargs
  const CallArg* Keyword(absl::string_view name) const;
  const CallArg* Positional(size_t index) const;
  // The argument passed positionally at `index` or by keyword `name`.
  const CallArg* Get(size_t index, absl::string_view name) const;
};

class FunctionProblem {
 public:
  using State = FlowState;

  FunctionProblem(Engine& engine, ContextId id);
  State EntryState();
  State TransferBlock(ir::BlockId block, const State& in, int visits,
                      std::vector<ir::InstrId>& changed);
  bool aborted() const { return aborted_; }

  // --- Shared by transfer.cc, calls.cc, library.cc. ---
  AbstractValue Val(ir::InstrId value) const;  // with the current state's refinement
  AbstractValue Operand(ir::InstrId instr, size_t index);
  const GradMode& mode() const { return mode_; }
  ir::FuncId fn_id() const { return fn_.id; }
  const ir::Function& fn() const { return fn_; }
  Engine& engine() { return e_; }
  ContextData& context() { return c_; }
  ContextId context_id() const { return id_; }
  std::string Here(ir::InstrId instr) const { return e_.Location(fn_.id, instr); }

  // A fresh value created at `instr` with one provenance step `text` on every non-empty fact.
  AbstractValue Made(AbstractValue v, ir::InstrId instr, absl::string_view text);
  // An in-place change of the object in SSA value `value` from now on (model.half()).
  void Refine(ir::InstrId value, const AbstractValue& refined);

  // calls.cc
  AbstractValue EvalCall(ir::InstrId id, const ir::Instr& instr);
  // library.cc: nullopt when the name/method is not modeled.
  std::optional<AbstractValue> ExternalCall(ir::InstrId id, const std::string& name,
                                            const CallArgs& args);
  std::optional<AbstractValue> MethodCall(ir::InstrId id, ir::InstrId receiver_instr,
                                          const AbstractValue& receiver,
                                          absl::string_view method, const CallArgs& args);
  // An attribute of an abstract object that is not a module global or a heap cell (model
  // submodules, tensor attributes such as .logits/.grad/.device).
  std::optional<AbstractValue> BuiltinAttr(ir::InstrId id, const AbstractValue& obj,
                                           absl::string_view name);
  // What a resolved external/builtin symbol is, for loads of names like torch.float16.
  std::optional<AbstractValue> SymbolValue(ir::InstrId id);
  // A forward pass of `model` at `id` (calling it, .forward): records the event and returns
  // the output's abstract value.
  AbstractValue ForwardPass(ir::InstrId id, const AbstractValue& model, bool is_generate);
  void RecordCacheGuard(ir::InstrId store, const AbstractValue& stored);
  // The elements of a container value (Top when unknown).
  AbstractValue ItemsOf(const AbstractValue& container);
  // A container created at `id` (one per tag and instruction) holding `positions` at #0, #1, ...
  // and `any_item` at unknown positions.
  AbstractValue NewContainer(ir::InstrId id, absl::string_view tag,
                             const std::vector<AbstractValue>& positions,
                             const AbstractValue& any_item, uint32_t kind);
  // A loader call: a model-load site with checkpoint, dtype and device; records the event.
  AbstractValue LoadModel(ir::InstrId id, const std::string& name, LoaderKind loader,
                          const CallArgs& args);
  // parser.add_argument(...) and friends: options become attributes of the namespace.
  AbstractValue ArgParserMethod(ir::InstrId id, const AbstractValue& receiver,
                                absl::string_view method, const CallArgs& args);
  // An instance of in-repo class `cls` created at `id` (one abstract object per class).
  AbstractValue InstanceValue(ir::InstrId id, ir::ClassId cls);
  // Binds `args` (and the receiver, for methods and constructors) to callee_fn's parameters,
  // analyzes that context if needed and returns its summary's return value.
  AbstractValue CallInRepo(ir::InstrId id, ir::FuncId callee_fn, const CallArgs& args,
                           const std::optional<AbstractValue>& receiver, ContextId* out_context);
  // module.register_*hook(fn): the callback's context in the grad mode of module's forwards.
  AbstractValue RegisterHook(ir::InstrId id, const AbstractValue& module,
                             absl::string_view method, const CallArgs& args);

 private:
  AbstractValue Eval(ir::InstrId id, const ir::Instr& instr);
  AbstractValue EvalLoadVar(ir::InstrId id, const ir::Instr& instr);
  void EvalStoreVar(ir::InstrId id, const ir::Instr& instr);
  AbstractValue EvalLoadAttr(ir::InstrId id, const ir::Instr& instr);
  void EvalStoreAttr(ir::InstrId id, const ir::Instr& instr);
  AbstractValue EvalSubscript(ir::InstrId id, const AbstractValue& obj, const AbstractValue& key,
                              std::optional<std::string> const_key);
  AbstractValue EvalSlice(ir::InstrId id, const AbstractValue& obj);
  void EvalStoreSubscript(ir::InstrId id, const ir::Instr& instr);
  AbstractValue EvalBinary(ir::InstrId id, const ir::Instr& instr);
  AbstractValue EvalBuild(ir::InstrId id, const ir::Instr& instr);
  AbstractValue EvalFormat(ir::InstrId id, const ir::Instr& instr);
  void EvalReturn(ir::InstrId id, const ir::Instr& instr);
  void EvalMakeFunction(ir::InstrId id, const ir::Instr& instr);
  void EvalMakeClass(ir::InstrId id, const ir::Instr& instr);
  GradMode LexicalMode(ir::BlockId block, const GradMode& flow) const;
  ir::FuncId CellOwner(absl::string_view name) const;

  Engine& e_;
  ContextId id_;
  ContextData& c_;
  const ir::Function& fn_;
  FuncInfo& info_;
  const std::vector<ir::InstrId>& param_instrs_;  // computed once per function (FuncInfo)
  FlowState* state_ = nullptr;
  GradMode mode_ = GradMode::Bottom();
  ir::BlockId block_;
  bool aborted_ = false;
};

// Key of a constant value usable as a dict key ("name" for strings, "#3" for ints).
std::optional<std::string> ConstKeyOf(const ir::Function& fn, ir::InstrId value);

}  // namespace flopscope::dataflow::internal

#endif  // FLOPSCOPE_DATAFLOW_TRANSFER_H_
