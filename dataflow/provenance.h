// Provenance: how a fact arrived where it is, recorded during propagation (never reconstructed
// afterwards). A chain is an interned, immutable linked list of steps, newest first; a step is
// (function, instruction, short text), e.g. (experiments.main, call at line 12, "passes
// CHECKPOINT as `name` to models.load()"). Interning makes extending a chain with the same step
// twice yield the same id, so facts recomputed during a fixpoint do not grow the store.
//
// Provenance is deliberately outside the lattice order: two abstract values that differ only in
// provenance are equal, and a join keeps the first chain that arrived (first-arrival wins), so
// recording it never delays convergence.
//
// Users: dataflow/value.h (one chain per fact), the transfer functions, analysis.h queries.
#ifndef FLOPSCOPE_DATAFLOW_PROVENANCE_H_
#define FLOPSCOPE_DATAFLOW_PROVENANCE_H_

#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "ir/ir.h"

namespace flopscope::dataflow {

using ProvId = int32_t;  // 0 = no provenance
inline constexpr ProvId kNoProv = 0;

struct ProvStep {
  ir::FuncId fn;
  ir::InstrId instr;
  std::string text;
};

class ProvenanceStore {
 public:
  ProvenanceStore();
  // The chain `parent` with `step` added as its newest step.
  ProvId Extend(ProvId parent, ir::FuncId fn, ir::InstrId instr, absl::string_view text);
  // Steps newest first (the use site end), at most `limit` of them.
  std::vector<const ProvStep*> Chain(ProvId id, size_t limit = 64) const;
  size_t size() const { return nodes_.size(); }

 private:
  struct Node {
    ProvStep step;
    ProvId parent = kNoProv;
    int depth = 0;
  };
  // A chain longer than this stops growing (its oldest steps are the origin, kept; the newest
  // ones are dropped), which bounds memory on long call chains and recursion.
  static constexpr int kMaxDepth = 48;
  std::vector<Node> nodes_;  // nodes_[0] is a sentinel
  absl::flat_hash_map<std::tuple<ProvId, int32_t, int32_t, std::string>, ProvId> index_;
};

}  // namespace flopscope::dataflow

#endif  // FLOPSCOPE_DATAFLOW_PROVENANCE_H_
