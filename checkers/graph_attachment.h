// Whether a tensor value holds an autograd graph in one calling context, for FS304 and FS402.
//
// The analysis's Attachment fact answers when it is known. It is unknown (Top) for outputs of a
// model whose origin the analysis could not follow (a parameter of a function nobody in the
// repository calls, typed only from its use): calling such a value yields an unknown result. For
// those, this unit derives attachment from the analysis's other facts: the value is computed (by
// attribute reads, indexing, arithmetic, tensor methods, external functions such as losses,
// in-repo calls that return it, arguments bound to parameters) from a forward-pass event of that
// context that ran with grad enabled, on a callee that some use types as a model, and nothing on
// the way cuts the graph (`.detach()`, `.item()`, `.tolist()`, `.numpy()`, `.grad`, `.data`,
// integer/boolean results, `float()`/`len()`...). Such a result is marked `derived`, and its
// evidence says what the model typing rests on.
//
// Users: checkers/fs304_*.cc, checkers/fs402_*.cc.
#ifndef FLOPSCOPE_CHECKERS_GRAPH_ATTACHMENT_H_
#define FLOPSCOPE_CHECKERS_GRAPH_ATTACHMENT_H_

#include <cstdint>
#include <string>
#include <tuple>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "checkers/check_context.h"
#include "checkers/diagnostic.h"
#include "checkers/tensor_rule_support.h"
#include "dataflow/analysis.h"
#include "ir/ir.h"

namespace flopscope::checkers::tensor_rules {

class GraphAttachment {
 public:
  // Indexes the forward-pass events of the analysis once.
  explicit GraphAttachment(const CheckContext& ctx);

  struct Result {
    bool attached = false;
    bool derived = false;   // derived here rather than the analysis's own fact
    bool is_loss = false;   // the analysis knows it is a loss, or it comes from `.loss`/a loss fn
    ir::FuncId forward_fn;  // derived: the forward pass that produced it
    ir::InstrId forward_site;
    std::string evidence;   // derived: what typing the model rests on
  };

  // Attachment of SSA value `value` of `fn` when `fn` runs in `context`.
  Result Of(ir::FuncId fn, dataflow::ContextId context, ir::InstrId value) const;

 private:
  using Key = std::tuple<int32_t, int32_t, int32_t>;  // fn, instr, context
  // `element` projects a container: the value asked for is one item of `value`, as
  // `a, b = f()`, `f()[0]` or `f()["loss"]` read it: "#2" (position; negative from the end) or a
  // literal dict key; "" asks for `value` itself. The projection follows the container through
  // phis, parameters and in-repo returns to the literal that built it.
  using SeenKey = std::tuple<int32_t, int32_t, int32_t, std::string>;  // Key plus element
  Result Walk(ir::FuncId fn, dataflow::ContextId context, ir::InstrId value,
              const std::string& element, int depth, absl::flat_hash_set<SeenKey>& seen) const;
  Result FromCall(ir::FuncId fn, dataflow::ContextId context, ir::InstrId call,
                  const std::string& element, int depth,
                  absl::flat_hash_set<SeenKey>& seen) const;
  Result FromParam(ir::FuncId fn, dataflow::ContextId context, ir::InstrId param,
                   const std::string& element, int depth,
                   absl::flat_hash_set<SeenKey>& seen) const;

  const CheckContext& ctx_;
  ForwardIndex forwards_;
};

// The first call-path steps of a finding about an attached tensor: the forward pass that
// produced it when `result` was derived here, else the provenance of the analysis's grad fact
// (`grad_prov`; kNoProv adds nothing), skipping the reported instruction `at` of `fn`.
void AddAttachmentSteps(const CheckContext& ctx, const GraphAttachment::Result& result,
                        dataflow::ProvId grad_prov, ir::FuncId fn, ir::InstrId at,
                        Diagnostic& diagnostic);

}  // namespace flopscope::checkers::tensor_rules

#endif  // FLOPSCOPE_CHECKERS_GRAPH_ATTACHMENT_H_
