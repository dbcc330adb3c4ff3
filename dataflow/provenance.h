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
#include "absl/hash/hash.h"
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
  // A step's identity. The index owns its text; lookups pass a view, so finding an existing step
  // (the common case: facts are recomputed until the fixpoint) allocates nothing.
  template <typename Text>
  struct StepKey {
    ProvId parent;
    int32_t fn;
    int32_t instr;
    Text text;
  };
  using OwnedKey = StepKey<std::string>;
  using KeyView = StepKey<absl::string_view>;
  static KeyView View(const OwnedKey& k) { return KeyView{k.parent, k.fn, k.instr, k.text}; }
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(const KeyView& k) const {
      return absl::HashOf(k.parent, k.fn, k.instr, k.text);
    }
    size_t operator()(const OwnedKey& k) const { return (*this)(View(k)); }
  };
  struct KeyEq {
    using is_transparent = void;
    static bool Same(const KeyView& a, const KeyView& b) {
      return a.parent == b.parent && a.fn == b.fn && a.instr == b.instr && a.text == b.text;
    }
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return Same(AsView(a), AsView(b));
    }
    static KeyView AsView(const KeyView& k) { return k; }
    static KeyView AsView(const OwnedKey& k) { return View(k); }
  };
  std::vector<Node> nodes_;  // nodes_[0] is a sentinel
  absl::flat_hash_map<OwnedKey, ProvId, KeyHash, KeyEq> index_;
};

}  // namespace flopscope::dataflow

#endif  // FLOPSCOPE_DATAFLOW_PROVENANCE_H_
