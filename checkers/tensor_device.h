// Where a tensor lives in one calling context, for FS305.
//
// The analysis's device fact answers when it has one. It is unknown for outputs of models whose
// origin it could not follow (a parameter nobody binds, moved with `model.to("cuda")`: calling
// it yields an unknown result), for values read back out of containers, and in contexts joined
// past the per-function bound. For those, this unit derives the device from the analysis's
// other facts: the value is computed (attribute reads, indexing, arithmetic, tensor methods,
// external tensor functions, in-repo calls that return it, arguments bound to parameters, items
// written into a local dict/list) from a forward-pass event whose model's device is known at
// the call (`OperandIn`, so in-place `.to()`/`.cuda()` count), or from a value with a known
// device. `.cpu()`, `.numpy()`, `.tolist()`, `.item()` end on the CPU.
//
// Users: checkers/fs305_*.cc.
#ifndef FLOPSCOPE_CHECKERS_TENSOR_DEVICE_H_
#define FLOPSCOPE_CHECKERS_TENSOR_DEVICE_H_

#include <optional>
#include <tuple>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "checkers/check_context.h"
#include "checkers/tensor_rule_support.h"
#include "dataflow/analysis.h"
#include "ir/ir.h"

namespace flopscope::checkers::tensor_rules {

class TensorDevice {
 public:
  explicit TensorDevice(const CheckContext& ctx);

  struct Result {
    dataflow::DeviceDomain device = dataflow::DeviceDomain::Bottom();
    dataflow::ProvId prov = dataflow::kNoProv;  // how the device fact arrived, when known
    bool derived = false;                       // not the analysis's own fact for the value
  };

  // Device of SSA value `value` of `fn` in `context`; Bottom/Top when it cannot tell.
  Result Of(ir::FuncId fn, dataflow::ContextId context, ir::InstrId value) const;

 private:
  using Key = std::tuple<int32_t, int32_t, int32_t>;  // fn, instr, context
  // The calls by which the walk entered callee contexts, innermost last: a parameter then goes
  // back to that caller's argument.
  using Stack = std::vector<dataflow::CallStep>;
  Result Walk(ir::FuncId fn, dataflow::ContextId context, ir::InstrId value, int depth,
              const Stack& stack, absl::flat_hash_set<Key>& seen) const;
  Result FromCall(ir::FuncId fn, dataflow::ContextId context, ir::InstrId call, int depth,
                  const Stack& stack, absl::flat_hash_set<Key>& seen) const;
  Result FromParam(ir::FuncId fn, dataflow::ContextId context, ir::InstrId param, int depth,
                   const Stack& stack, absl::flat_hash_set<Key>& seen) const;
  Result FromCell(ir::FuncId fn, ir::InstrId load, int depth, const Stack& stack,
                  absl::flat_hash_set<Key>& seen) const;
  Result FromItem(ir::FuncId fn, dataflow::ContextId context, ir::InstrId container,
                  ir::InstrId key, int depth, const Stack& stack,
                  absl::flat_hash_set<Key>& seen) const;

  const CheckContext& ctx_;
  ForwardIndex forwards_;
};

}  // namespace flopscope::checkers::tensor_rules

#endif  // FLOPSCOPE_CHECKERS_TENSOR_DEVICE_H_
