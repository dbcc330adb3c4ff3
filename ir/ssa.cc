// BuildSsa: promotes kLocal variables to SSA values (Cytron et al.: phis on iterated dominance
// frontiers, renaming by a dominator-tree walk), and forwards module-global / class-attribute
// stores to loads in the same body.
//
// Choices that later passes rely on:
// - Instruction ids are NEVER renumbered: Function::loops[].for_iter, WithRegion::enter and the
//   `definition`/`decorators` fields of other functions keep pointing at the same instructions.
//   A removed instruction stays in Function::instrs as a tombstone: it is dropped from its
//   Block::instrs and its Instr::block is reset to invalid. "Live" means "listed in its block".
// - New instructions (Phi, Undefined, and a Jump when a fresh entry block is needed) are appended.
// - Blocks unreachable from the entry are emptied: no instructions, succs, preds or exception
//   targets. Their instructions become tombstones.
// - A kLocal read that may see no assignment reads an `Undefined` instruction (one per variable,
//   at the start of the entry block), so every operand names a real definition.
// - If the entry block has predecessors (a loop back to the very first block), a fresh entry
//   block that jumps to it is appended and becomes Function::entry, so that the first block's
//   phis have an incoming edge for "function start".
// - Exception edges (Block::exception_targets) carry the state at the END of the raising block:
//   an approximation (an exception raised mid-block sees earlier values), accepted because the
//   analyses are flow-insensitive about where in a try body the raise happened.
// - Pruning: phis are placed only for variables live across blocks (semi-pruned), then trivial
//   phis (all inputs the same value) are replaced and phis no real instruction uses are removed,
//   which gives pruned SSA.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "ir/dominators.h"
#include "ir/ir.h"
#include "ir/passes.h"
#include "util/check.h"

namespace flopscope::ir {
namespace {

struct Variable {
  std::string name;
  VarScope scope = VarScope::kLocal;
  bool promoted = false;        // kLocal: every load, store vanishes
  bool crosses_blocks = false;  // read in some block before any write there: needs phis
  std::vector<BlockId> def_blocks;
  InstrId undefined;  // lazily created Undefined instruction (promoted variables only)
};

class SsaBuilder {
 public:
  SsaBuilder(Function& fn, const SsaOptions& options) : fn_(fn), options_(options) {}

  void Run() {
    if (fn_.blocks.empty() || !fn_.entry.valid()) {
      fn_.in_ssa = true;
      return;
    }
    ComputeCfg(fn_);
    EnsureEntryHasNoPreds();
    const DominatorTree dom(fn_);
    EmptyUnreachableBlocks(dom);
    ComputeCfg(fn_);
    DropStalePhiOperands();
    var_of_instr_.assign(fn_.instrs.size(), -1);
    CollectVariables(dom);
    if (!vars_.empty()) {
      PlacePhis(dom);
      Rename(dom);
      ForwardNonLocalLoads();
      RemoveTrivialPhis();
      RewriteOperands();
      RemoveDeadPhisAndUndefined();
      RecordLocalBindings();
      RebuildBlockLists();
    }
    fn_.in_ssa = true;
  }

 private:
  InstrId AppendInstr(Opcode op, BlockId block) {
    const InstrId id(static_cast<int32_t>(fn_.instrs.size()));
    Instr& instr = fn_.instrs.emplace_back();
    instr.op = op;
    instr.block = block;
    return id;
  }

  void EnsureEntryHasNoPreds() {
    if (fn_.block(fn_.entry).preds.empty()) return;
    const BlockId old_entry = fn_.entry;
    const BlockId fresh(static_cast<int32_t>(fn_.blocks.size()));
    Block& block = fn_.blocks.emplace_back();
    block.id = fresh;
    block.with_region = fn_.block(old_entry).with_region;
    const InstrId jump = AppendInstr(Opcode::kJump, fresh);
    fn_.instr(jump).targets = {old_entry};
    fn_.block(fresh).instrs.push_back(jump);
    fn_.entry = fresh;
    ComputeCfg(fn_);
  }

  void EmptyUnreachableBlocks(const DominatorTree& dom) {
    for (Block& block : fn_.blocks) {
      if (dom.Reachable(block.id)) continue;
      for (InstrId id : block.instrs) fn_.instr(id).block = BlockId();
      block.instrs.clear();
      block.exception_targets.clear();
    }
  }

  // Phis that existed before this pass (hand-built IR) lose the operands of removed edges.
  void DropStalePhiOperands() {
    for (Block& block : fn_.blocks) {
      for (InstrId id : block.instrs) {
        Instr& phi = fn_.instr(id);
        if (phi.op != Opcode::kPhi) break;
        absl::InlinedVector<InstrId, 2> operands;
        absl::InlinedVector<BlockId, 2> targets;
        for (size_t i = 0; i < phi.targets.size() && i < phi.operands.size(); ++i) {
          for (BlockId pred : block.preds) {
            if (pred == phi.targets[i]) {
              operands.push_back(phi.operands[i]);
              targets.push_back(pred);
              break;
            }
          }
        }
        phi.operands = std::move(operands);
        phi.targets = std::move(targets);
      }
    }
  }

  // Which (scope, name) accesses this pass rewrites: every kLocal one, plus kGlobal in a module
  // body and kClass in a class body (forwarded only; their stores stay).
  bool Tracked(const Instr& instr) const {
    if (instr.op != Opcode::kLoadVar && instr.op != Opcode::kStoreVar &&
        instr.op != Opcode::kDelVar) {
      return false;
    }
    const auto scope = static_cast<VarScope>(instr.aux);
    if (scope == VarScope::kLocal) return true;
    if (!forward_nonlocals_) return false;
    if (fn_.kind == FunctionKind::kModule && scope == VarScope::kGlobal) {
      return !options_.rebound_globals.contains(instr.text);
    }
    return fn_.kind == FunctionKind::kClassBody && scope == VarScope::kClass;
  }

  int32_t VarFor(const Instr& instr) {
    const auto scope = static_cast<VarScope>(instr.aux);
    auto [it, inserted] =
        var_ids_.try_emplace(std::make_pair(instr.aux, instr.text), static_cast<int32_t>(vars_.size()));
    if (inserted) {
      Variable& var = vars_.emplace_back();
      var.name = instr.text;
      var.scope = scope;
      var.promoted = scope == VarScope::kLocal;
    }
    return it->second;
  }

  void CollectVariables(const DominatorTree& dom) {
    // `from m import *` in a module body may bind any global: forwarding would be unsound there.
    forward_nonlocals_ = fn_.kind == FunctionKind::kModule || fn_.kind == FunctionKind::kClassBody;
    for (const Block& block : fn_.blocks) {
      for (InstrId id : block.instrs) {
        if (fn_.instr(id).op == Opcode::kImportStar) forward_nonlocals_ = false;
      }
    }
    std::vector<int32_t> written_in;  // per variable: last block id that wrote it, or -1
    for (BlockId b : dom.Preorder()) {
      for (InstrId id : fn_.block(b).instrs) {
        const Instr& instr = fn_.instr(id);
        if (!Tracked(instr)) continue;
        const int32_t v = VarFor(instr);
        var_of_instr_[id.index()] = v;
        if (written_in.size() < vars_.size()) written_in.resize(vars_.size(), -1);
        Variable& var = vars_[v];
        if (instr.op != Opcode::kStoreVar && written_in[v] != b.value()) var.crosses_blocks = true;
        if (instr.op != Opcode::kLoadVar) {
          if (written_in[v] != b.value()) var.def_blocks.push_back(b);
          written_in[v] = b.value();
        }
      }
    }
  }

  void PlacePhis(const DominatorTree& dom) {
    const std::vector<std::vector<BlockId>> frontiers = dom.Frontiers(fn_);
    new_phis_.assign(fn_.blocks.size(), {});
    std::vector<int32_t> has_phi(fn_.blocks.size(), -1);
    std::vector<int32_t> queued(fn_.blocks.size(), -1);
    std::vector<BlockId> worklist;
    for (int32_t v = 0; v < static_cast<int32_t>(vars_.size()); ++v) {
      if (!vars_[v].crosses_blocks) continue;
      worklist = vars_[v].def_blocks;
      for (BlockId b : worklist) queued[b.index()] = v;
      while (!worklist.empty()) {
        const BlockId b = worklist.back();
        worklist.pop_back();
        for (BlockId join : frontiers[b.index()]) {
          if (has_phi[join.index()] == v) continue;
          has_phi[join.index()] = v;
          AddPhi(join, v);
          if (queued[join.index()] != v) {
            queued[join.index()] = v;
            worklist.push_back(join);
          }
        }
      }
    }
  }

  void AddPhi(BlockId block, int32_t var) {
    const InstrId id = AppendInstr(Opcode::kPhi, block);
    Instr& phi = fn_.instr(id);
    phi.text = vars_[var].name;
    const std::vector<BlockId>& preds = fn_.block(block).preds;
    phi.targets.assign(preds.begin(), preds.end());
    phi.operands.assign(preds.size(), InstrId());
    new_phis_[block.index()].push_back(id);
    phis_.push_back(id);
    if (phi_var_.size() <= id.index()) phi_var_.resize(id.index() + 1, -1);
    phi_var_[id.index()] = var;
  }

  InstrId UndefinedFor(int32_t v) {
    Variable& var = vars_[v];
    if (!var.undefined.valid()) {
      var.undefined = AppendInstr(Opcode::kUndefined, fn_.entry);
      fn_.instr(var.undefined).text = var.name;
      entry_prefix_.push_back(var.undefined);
    }
    return var.undefined;
  }

  // The value a read of `v` sees now. Promoted variables never answer "none": an unbound read
  // reads the Undefined instruction. Forwarded (non-local) ones answer invalid for "unknown".
  InstrId Current(int32_t v) {
    const InstrId value = current_[v];
    if (value.valid() || !vars_[v].promoted) return value;
    return UndefinedFor(v);
  }

  void Define(int32_t v, InstrId value) {
    undo_log_.emplace_back(v, current_[v]);
    current_[v] = value;
  }

  void Remove(InstrId id) { removed_[id.index()] = true; }

  int32_t PhiVar(InstrId id) const {
    return id.valid() && id.index() < phi_var_.size() ? phi_var_[id.index()] : -1;
  }

  void VisitInstr(InstrId id) {
    const int32_t v = var_of_instr_[id.index()];
    if (v < 0) return;
    Instr& instr = fn_.instr(id);
    const bool promoted = vars_[v].promoted;
    switch (instr.op) {
      case Opcode::kLoadVar:
        if (promoted) {
          replacement_[id.index()] = Current(v);
          Remove(id);
        } else {
          pending_loads_.emplace_back(id, current_[v]);
        }
        break;
      case Opcode::kStoreVar:
        Define(v, instr.operands.empty() ? InstrId() : instr.operands[0]);
        if (promoted) Remove(id);
        break;
      case Opcode::kDelVar:
        if (promoted) {
          const InstrId deleted = Current(v);
          fn_.instr(id).operands = {deleted};
        }
        Define(v, InstrId());
        break;
      default:
        break;
    }
  }

  void FillSuccessorPhis(BlockId block) {
    const Block& b = fn_.block(block);
    for (size_t s = 0; s < b.succs.size(); ++s) {
      const BlockId succ = b.succs[s];
      if (new_phis_[succ.index()].empty()) continue;
      const std::vector<BlockId>& preds = fn_.block(succ).preds;
      size_t index = 0;
      while (index < preds.size() && preds[index] != block) ++index;
      FS_CHECK(index < preds.size());
      for (InstrId phi : new_phis_[succ.index()]) {
        const InstrId value = Current(PhiVar(phi));  // may append an Undefined instruction
        fn_.instr(phi).operands[index] = value;
      }
    }
  }

  // Dominator-tree walk with an explicit stack; definitions are undone through undo_log_ when a
  // subtree is left, so the walk is O(instructions) and never recurses.
  void Rename(const DominatorTree& dom) {
    current_.assign(vars_.size(), InstrId());
    replacement_.assign(fn_.instrs.size(), InstrId());
    removed_.assign(fn_.instrs.size(), false);
    struct Frame {
      BlockId block;
      size_t next_child;
      size_t undo_mark;
    };
    std::vector<Frame> stack;
    const auto enter = [&](BlockId block) {
      stack.push_back(Frame{block, 0, undo_log_.size()});
      for (InstrId phi : new_phis_[block.index()]) Define(PhiVar(phi), phi);
      for (InstrId id : fn_.block(block).instrs) VisitInstr(id);
      FillSuccessorPhis(block);
    };
    enter(fn_.entry);
    while (!stack.empty()) {
      Frame& frame = stack.back();
      const std::vector<BlockId>& kids = dom.Children(frame.block);
      if (frame.next_child < kids.size()) {
        enter(kids[frame.next_child++]);
        continue;
      }
      while (undo_log_.size() > frame.undo_mark) {
        current_[undo_log_.back().first] = undo_log_.back().second;
        undo_log_.pop_back();
      }
      stack.pop_back();
    }
    // Instructions appended during the walk (Undefined) need entries in the side tables.
    replacement_.resize(fn_.instrs.size(), InstrId());
    removed_.resize(fn_.instrs.size(), false);
  }

  // A forwarded phi is usable only if every path into it carries a store of this body: an
  // invalid operand (no store on that path) poisons it and every phi that uses it.
  void ForwardNonLocalLoads() {
    absl::flat_hash_map<InstrId, bool> defined;
    absl::flat_hash_map<InstrId, std::vector<InstrId>> users;
    std::vector<InstrId> poisoned;
    for (InstrId phi : phis_) {
      if (vars_[PhiVar(phi)].promoted) continue;
      defined[phi] = true;
      for (InstrId op : fn_.instr(phi).operands) {
        if (!op.valid()) {
          poisoned.push_back(phi);
        } else if (PhiVar(op) >= 0) {
          users[op].push_back(phi);
        }
      }
    }
    while (!poisoned.empty()) {
      const InstrId phi = poisoned.back();
      poisoned.pop_back();
      if (!defined[phi]) continue;
      defined[phi] = false;
      Remove(phi);
      if (auto it = users.find(phi); it != users.end()) {
        for (InstrId user : it->second) poisoned.push_back(user);
      }
    }
    for (const auto& [load, value] : pending_loads_) {
      if (!value.valid()) continue;
      if (auto it = defined.find(value); it != defined.end() && !it->second) continue;
      replacement_[load.index()] = value;
      Remove(load);
    }
  }

  InstrId Resolve(InstrId id) const {
    size_t steps = 0;
    while (id.valid() && id.index() < replacement_.size() && replacement_[id.index()].valid()) {
      id = replacement_[id.index()];
      FS_CHECK(++steps <= replacement_.size());
    }
    return id;
  }

  // A phi whose inputs are all one value v (or itself) is v. Replacing it may make the phis that
  // use it trivial, hence the worklist.
  void RemoveTrivialPhis() {
    absl::flat_hash_map<InstrId, std::vector<InstrId>> phi_users;
    std::vector<InstrId> worklist;
    for (auto it = phis_.rbegin(); it != phis_.rend(); ++it) {
      const InstrId phi = *it;
      if (removed_[phi.index()]) continue;
      worklist.push_back(phi);  // reversed, so phis are examined in creation order
      for (InstrId op : fn_.instr(phi).operands) {
        if (PhiVar(op) >= 0) phi_users[op].push_back(phi);
      }
    }
    while (!worklist.empty()) {
      const InstrId phi = worklist.back();
      worklist.pop_back();
      if (removed_[phi.index()]) continue;
      InstrId same;
      bool trivial = true;
      for (InstrId op : fn_.instr(phi).operands) {
        const InstrId value = Resolve(op);
        if (value == phi || value == same) continue;
        if (same.valid() || !value.valid()) {
          trivial = false;
          break;
        }
        same = value;
      }
      if (!trivial || !same.valid()) continue;
      replacement_[phi.index()] = same;
      Remove(phi);
      if (auto it = phi_users.find(phi); it != phi_users.end()) {
        for (InstrId user : it->second) worklist.push_back(user);
      }
    }
  }

  template <typename F>
  void ForEachLiveInstr(F&& f) {
    for (const Block& block : fn_.blocks) {
      for (InstrId phi : new_phis_[block.id.index()]) {
        if (!removed_[phi.index()]) f(phi);
      }
      for (InstrId id : block.instrs) {
        if (!removed_[id.index()]) f(id);
      }
    }
    for (InstrId id : entry_prefix_) f(id);
  }

  void RewriteOperands() {
    ForEachLiveInstr([&](InstrId id) {
      for (InstrId& op : fn_.instr(id).operands) op = Resolve(op);
    });
  }

  // Phis (and Undefined values) that no real instruction needs: mark from the non-phi uses and
  // follow phi operands.
  void RemoveDeadPhisAndUndefined() {
    std::vector<bool> used(fn_.instrs.size(), false);
    std::vector<InstrId> worklist;
    const auto use = [&](InstrId op) {
      if (!op.valid() || op.index() >= used.size() || used[op.index()]) return;
      used[op.index()] = true;
      worklist.push_back(op);
    };
    ForEachLiveInstr([&](InstrId id) {
      if (PhiVar(id) < 0) {
        for (InstrId op : fn_.instr(id).operands) use(op);
      }
    });
    while (!worklist.empty()) {
      const InstrId id = worklist.back();
      worklist.pop_back();
      if (PhiVar(id) < 0) continue;
      for (InstrId op : fn_.instr(id).operands) use(op);
    }
    for (InstrId phi : phis_) {
      if (!used[phi.index()]) Remove(phi);
    }
    for (InstrId id : entry_prefix_) {
      if (!used[id.index()]) Remove(id);
    }
  }

  // Before the block lists drop the removed stores: each promoted store or `del` becomes a
  // LocalBinding anchored at the next instruction that stays (a terminator at the latest).
  void RecordLocalBindings() {
    // A second run sees only the kept `del`s: the first run's records are the complete ones.
    if (fn_.in_ssa) return;
    fn_.local_bindings.clear();
    for (const Block& block : fn_.blocks) {
      size_t pending = fn_.local_bindings.size();
      for (InstrId id : block.instrs) {
        const int32_t v = id.index() < var_of_instr_.size() ? var_of_instr_[id.index()] : -1;
        const Opcode op = fn_.instr(id).op;
        // Earlier bindings take effect before this instruction when it stays (a `del` stays).
        if (!removed_[id.index()]) {
          for (; pending < fn_.local_bindings.size(); ++pending) {
            fn_.local_bindings[pending].anchor = id;
          }
        }
        if (v < 0 || !vars_[v].promoted) continue;
        if (op == Opcode::kStoreVar) {
          const Instr& store = fn_.instr(id);
          fn_.local_bindings.push_back(LocalBinding{
              vars_[v].name, store.operands.empty() ? InstrId() : Resolve(store.operands[0]), {}});
        } else if (op == Opcode::kDelVar) {
          fn_.local_bindings.push_back(LocalBinding{vars_[v].name, InstrId(), {}});
        }
      }
      // A block always ends in a terminator that stays; anything left over has no anchor.
      fn_.local_bindings.resize(pending);
    }
  }

  void RebuildBlockLists() {
    for (Block& block : fn_.blocks) {
      std::vector<InstrId> instrs;
      instrs.reserve(block.instrs.size() + new_phis_[block.id.index()].size());
      if (block.id == fn_.entry) {
        for (InstrId id : entry_prefix_) {
          if (!removed_[id.index()]) instrs.push_back(id);
        }
      }
      for (InstrId id : new_phis_[block.id.index()]) {
        if (!removed_[id.index()]) instrs.push_back(id);
      }
      for (InstrId id : block.instrs) {
        if (!removed_[id.index()]) instrs.push_back(id);
      }
      block.instrs = std::move(instrs);
    }
    for (size_t i = 0; i < removed_.size(); ++i) {
      if (removed_[i]) fn_.instrs[i].block = BlockId();
    }
  }

  Function& fn_;
  const SsaOptions& options_;
  bool forward_nonlocals_ = false;
  std::vector<Variable> vars_;
  absl::flat_hash_map<std::pair<int32_t, std::string>, int32_t> var_ids_;
  std::vector<int32_t> var_of_instr_;  // tracked LoadVar/StoreVar/DelVar -> variable, else -1
  std::vector<std::vector<InstrId>> new_phis_;  // per block
  std::vector<InstrId> phis_;  // placed phis, in creation order
  // Placed phi -> its variable (-1 for every other instruction); grows with fn_.instrs.
  std::vector<int32_t> phi_var_;
  std::vector<InstrId> entry_prefix_;  // Undefined values, placed first in the entry block
  std::vector<InstrId> current_;       // per variable: reaching definition during the walk
  std::vector<std::pair<int32_t, InstrId>> undo_log_;
  std::vector<InstrId> replacement_;  // removed load / trivial phi -> the value it stands for
  std::vector<bool> removed_;
  std::vector<std::pair<InstrId, InstrId>> pending_loads_;  // non-local load, reaching value
};

}  // namespace

void BuildSsa(Function& fn) { BuildSsa(fn, SsaOptions()); }

void BuildSsa(Function& fn, const SsaOptions& options) { SsaBuilder(fn, options).Run(); }

SsaOptions SsaOptionsFor(const Program& program, const Function& fn) {
  SsaOptions options;
  const std::vector<Function>& functions = program.functions();
  if (fn.kind != FunctionKind::kModule || !fn.id.valid() || fn.id.index() >= functions.size() ||
      &functions[fn.id.index()] != &fn) {
    return options;
  }
  // Program::AddModule keeps a module's functions contiguous, its body first.
  for (size_t i = fn.id.index() + 1; i < functions.size() && functions[i].module == fn.module;
       ++i) {
    for (const std::string& name : functions[i].global_decls) options.rebound_globals.insert(name);
  }
  return options;
}

}  // namespace flopscope::ir
