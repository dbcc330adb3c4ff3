#include "dataflow/support/local_uses.h"

namespace flopscope::dataflow::support {

LocalUses::LocalUses(const ir::Function& fn) {
  const size_t n = fn.instrs.size();
  position_.assign(n, -1);
  std::vector<uint32_t> counts(n + 1, 0);
  // Two passes (count, then fill) keep the index one flat array: the stdlib has millions of values.
  for (const ir::Block& block : fn.blocks) {
    int32_t pos = 0;
    for (ir::InstrId id : block.instrs) {
      if (!id.valid() || id.index() >= n) continue;
      position_[id.index()] = pos++;
      for (ir::InstrId op : fn.instr(id).operands) {
        if (op.valid() && op.index() < n) ++counts[op.index() + 1];
      }
    }
  }
  offsets_.assign(n + 1, 0);
  for (size_t i = 0; i < n; ++i) offsets_[i + 1] = offsets_[i] + counts[i + 1];
  uses_.resize(offsets_[n]);
  std::vector<uint32_t> fill(offsets_.begin(), offsets_.end() - 1);
  for (const ir::Block& block : fn.blocks) {
    for (ir::InstrId id : block.instrs) {
      if (!id.valid() || id.index() >= n) continue;
      const ir::Instr& instr = fn.instr(id);
      for (uint32_t k = 0; k < instr.operands.size(); ++k) {
        const ir::InstrId op = instr.operands[k];
        if (op.valid() && op.index() < n) uses_[fill[op.index()]++] = Use{id, k};
      }
    }
  }
}

absl::Span<const Use> LocalUses::Of(ir::InstrId value) const {
  if (!value.valid() || value.index() + 1 >= offsets_.size()) return {};
  const uint32_t begin = offsets_[value.index()];
  return absl::Span<const Use>(uses_.data() + begin, offsets_[value.index() + 1] - begin);
}

}  // namespace flopscope::dataflow::support
