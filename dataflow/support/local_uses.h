// Intraprocedural def-use chains of one SSA function: for every value, the instructions that use
// it and at which operand position. The interprocedural layer (def_use.h) builds one of these per
// function; checkers and the other support units use it to ask "who reads this value".
//
// Only live instructions count: those listed in their block's instruction list (BuildSsa leaves
// removed instructions in Function::instrs as tombstones with an invalid block). A phi's use of an
// operand is listed once per operand slot, so a phi with the same input on two edges lists it
// twice, with different operand indices.
//
// Does NOT model: uses through variables that stay explicit after SSA (module globals, class
// attributes, closure cells); those are memory locations, see def_use.h.
#ifndef FLOPSCOPE_DATAFLOW_SUPPORT_LOCAL_USES_H_
#define FLOPSCOPE_DATAFLOW_SUPPORT_LOCAL_USES_H_

#include <cstdint>
#include <vector>

#include "absl/types/span.h"
#include "ir/ir.h"

namespace flopscope::dataflow::support {

// One read of a value: `user` reads it as operands[operand].
struct Use {
  ir::InstrId user;
  uint32_t operand = 0;
  friend bool operator==(const Use& a, const Use& b) {
    return a.user == b.user && a.operand == b.operand;
  }
};

class LocalUses {
 public:
  LocalUses() = default;
  // Indexes every live instruction of `fn`; linear in the function's size.
  explicit LocalUses(const ir::Function& fn);

  // Uses of `value`, in block order then instruction order. Empty for unknown ids.
  absl::Span<const Use> Of(ir::InstrId value) const;
  bool Unused(ir::InstrId value) const { return Of(value).empty(); }

  // True when `instr` is listed in its block (not a tombstone left by BuildSsa).
  bool Live(ir::InstrId instr) const {
    return instr.valid() && instr.index() < position_.size() && position_[instr.index()] >= 0;
  }
  // Position of a live instruction inside its block (phis first); -1 for dead ones.
  int32_t PositionInBlock(ir::InstrId instr) const {
    return Live(instr) ? position_[instr.index()] : -1;
  }

 private:
  // Compressed rows: uses of value v are uses_[offsets_[v] .. offsets_[v + 1]).
  std::vector<uint32_t> offsets_;
  std::vector<Use> uses_;
  std::vector<int32_t> position_;
};

}  // namespace flopscope::dataflow::support

#endif  // FLOPSCOPE_DATAFLOW_SUPPORT_LOCAL_USES_H_
