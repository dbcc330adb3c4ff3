// Shared reasoning of the autograd and tensor rules (FS201, FS301, FS304, FS305, FS402): how sure
// a value is a model and why (identified load or construction, typed from its use, or only its
// name), what a value is called in a message, call-path steps for a calling context or a
// provenance chain, and whether a container outlives the call of the function that writes it.
//
// Everything here reads dataflow facts (dataflow::Analysis, dataflow/support) and the IR; nothing
// reads source text.
//
// Users: checkers/fs201_*.cc, fs301_*.cc, fs304_*.cc, fs305_*.cc, fs402_*.cc.
#ifndef FLOPSCOPE_CHECKERS_TENSOR_RULE_SUPPORT_H_
#define FLOPSCOPE_CHECKERS_TENSOR_RULE_SUPPORT_H_

#include <optional>
#include <tuple>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "checkers/check_context.h"
#include "checkers/diagnostic.h"
#include "dataflow/analysis.h"
#include "dataflow/support/def_use.h"
#include "ir/ir.h"

namespace flopscope::checkers::tensor_rules {

// The forward-pass events of the analysis (dataflow::ForwardCall), found by call site and
// calling context: the walks that derive a tensor's facts from the forward pass that made it.
class ForwardIndex {
 public:
  explicit ForwardIndex(const dataflow::Analysis& analysis);
  const dataflow::ForwardCall* Find(ir::FuncId fn, ir::InstrId site,
                                    dataflow::ContextId context) const;

 private:
  absl::flat_hash_map<std::tuple<int32_t, int32_t, int32_t>, const dataflow::ForwardCall*> calls_;
};

// Whether `s` is one of the names of a constant table.
template <size_t N>
bool OneOfNames(const absl::string_view (&table)[N], absl::string_view s) {
  for (absl::string_view name : table) {
    if (name == s) return true;
  }
  return false;
}

// What a claim "this value is a model" rests on, strongest first.
enum class Evidence : uint8_t { kIdentified, kUse, kName, kNone };

struct ModelEvidence {
  Evidence strength = Evidence::kNone;
  // For messages: "model loaded by from_pretrained(\"gpt2\")", "parameter `model` typed from use:
  // .eval(), layer path .model.layers".
  std::string text;
  // When identified: the origin (a load, a constructor) to show as a related location.
  ir::FuncId origin_fn;
  ir::InstrId origin_instr;
  std::string origin_what;            // "loaded by from_pretrained(\"gpt2\")"
  std::optional<double> parameters;   // estimated parameter count of an identified load
  std::string checkpoint;             // its single known checkpoint name, if any
};

// How sure flopscope is that `value` (an SSA value of `fn`, abstract value `v` in some context)
// is a model or module. `output` is an optional call whose result is that model's output (its
// attributes `.logits`, keywords `input_ids=`... are typing evidence too). Loss modules
// (nn.CrossEntropyLoss()) are never models here.
ModelEvidence ModelEvidenceFor(const CheckContext& ctx, ir::FuncId fn, ir::InstrId value,
                               const dataflow::AbstractValue& v, ir::InstrId output = {});

// The value an attribute/subscript chain starts from (`model` for `model.model.layers[3]`).
ir::InstrId ChainRoot(const ir::Function& fn, ir::InstrId value);

// Drops call-path steps that repeat an earlier step's line in the same function (provenance and
// calling-context steps often meet at the same call).
void DedupeSteps(Diagnostic& diagnostic);


// A short name of the expression that computed `value`: "model", "self.model",
// "model.model.layers[...]", "loss"; "" when it has none (a call result).
std::string ExprName(const ir::Function& fn, ir::InstrId value);

// The support layer's call string for a context path (outermost call first).
std::vector<dataflow::support::CallSite> CallString(const dataflow::ContextPath& path);

// Appends one step per call of `path`, innermost caller first ("in fit(): calls
// validation_loss()"), ending at the root. `what` completes the message of each step (" with grad
// enabled"); hook registrations get their own wording.
// `callee` is the function the path leads into.
void AddCallerSteps(const CheckContext& ctx, const dataflow::ContextPath& path, ir::FuncId callee,
                    absl::string_view what, Diagnostic& diagnostic);

// Appends the steps of a provenance chain (newest first, at most `limit`), skipping steps at
// `skip_fn`/`skip_instr` (the reported line itself).
void AddProvenanceSteps(const CheckContext& ctx, dataflow::ProvId prov, size_t limit,
                        Diagnostic& diagnostic, ir::FuncId skip_fn = {},
                        ir::InstrId skip_instr = {});

// True when some step of `path` is a call from inside a forward()/__call__ method: the code runs
// as part of an outer forward pass, which is where a finding belongs.
bool InsideForwardMethod(const ir::Program& program, const dataflow::ContextPath& path,
                         ir::FuncId fn);

// Some module of the program imports torch or a library built on it (transformers,
// transformer_lens, peft, accelerate, ...). A cheap gate that keeps torch-named methods of
// unrelated code out; per program because modules hand torch objects to modules that import
// nothing of torch themselves.
bool UsesTorch(const ir::Program& program);

// Why a container (or object) that `fn` writes into outlives the call of `fn`: it is a parameter
// (the caller owns it), a global, an attribute, a closure variable of a function that keeps or
// returns it, an item of one of those, or a local container that is returned, yielded or stored
// somewhere that outlives the call. nullopt when it provably dies with the call (a local list that
// is only reduced). Comprehensions belong to the function that runs them.
struct Outlives {
  std::string why;  // "`cache` is returned", "`MLP_OUTPUTS` is a module global"
  // It outlives the call only by being returned (or yielded, or handed back) to the caller: it
  // holds what this one call put in it.
  bool returned = false;
};
std::optional<Outlives> ContainerOutlivesCall(const dataflow::support::DefUse& du,
                                              ir::FuncId fn, ir::InstrId container);

}  // namespace flopscope::checkers::tensor_rules

#endif  // FLOPSCOPE_CHECKERS_TENSOR_RULE_SUPPORT_H_
