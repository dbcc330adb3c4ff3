#include "dataflow/provenance.h"

#include <utility>

namespace flopscope::dataflow {

ProvenanceStore::ProvenanceStore() { nodes_.emplace_back(); }

ProvId ProvenanceStore::Extend(ProvId parent, ir::FuncId fn, ir::InstrId instr,
                               absl::string_view text) {
  if (parent < 0 || static_cast<size_t>(parent) >= nodes_.size()) parent = kNoProv;
  if (parent != kNoProv && nodes_[parent].depth >= kMaxDepth) return parent;
  const KeyView key{parent, fn.value(), instr.value(), text};
  auto it = index_.find(key);
  if (it != index_.end()) return it->second;
  const auto id = static_cast<ProvId>(nodes_.size());
  Node node;
  node.step = ProvStep{fn, instr, std::string(text)};
  node.parent = parent;
  node.depth = parent == kNoProv ? 1 : nodes_[parent].depth + 1;
  nodes_.push_back(std::move(node));
  index_.emplace(OwnedKey{parent, fn.value(), instr.value(), std::string(text)}, id);
  return id;
}

std::vector<const ProvStep*> ProvenanceStore::Chain(ProvId id, size_t limit) const {
  std::vector<const ProvStep*> out;
  while (id > 0 && static_cast<size_t>(id) < nodes_.size() && out.size() < limit) {
    out.push_back(&nodes_[id].step);
    id = nodes_[id].parent;
  }
  return out;
}

}  // namespace flopscope::dataflow
