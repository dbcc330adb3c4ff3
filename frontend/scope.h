// Internal to the frontend: the symbol-table pre-pass. Before lowering, one walk over the whole
// tree records, per scope (module, def, lambda, class body, comprehension), which names are bound,
// used, declared global/nonlocal, or bound by a walrus from an inner comprehension. Finalize() then
// resolves every name the way CPython's symtable does: locals, globals, class attributes, and
// closure variables (cell in the owner, free in the users and in every scope in between).
//
// The walk uses an explicit work stack, so any nesting depth is safe.
#ifndef FLOPSCOPE_FRONTEND_SCOPE_H_
#define FLOPSCOPE_FRONTEND_SCOPE_H_

#include <tree_sitter/api.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "frontend/syntax.h"
#include "ir/ir.h"

namespace flopscope::frontend {

enum class ScopeKind : uint8_t { kModule, kFunction, kLambda, kClass, kComprehension };

// How lowering accesses one name in one scope.
struct VarAccess {
  ir::VarScope scope = ir::VarScope::kGlobal;
  // For a local captured by an inner function (and never rebound there): stores go to the local
  // (SSA) *and* to the cell, so the owner keeps SSA precision and closures see the value.
  bool also_store_cell = false;
};

struct Scope {
  // Flags per name.
  static constexpr uint32_t kBound = 1;         // assigned, imported, def'd, deleted, a parameter
  static constexpr uint32_t kUsed = 2;          // read
  static constexpr uint32_t kGlobalDecl = 4;    // `global name`
  static constexpr uint32_t kNonlocalDecl = 8;  // `nonlocal name`
  static constexpr uint32_t kWalrus = 16;       // comprehension: bound by := in the enclosing scope
  static constexpr uint32_t kCaptured = 32;     // owner: read by an inner scope
  static constexpr uint32_t kRebound = 64;  // owner: written by an inner scope (nonlocal/walrus)
  static constexpr uint32_t kFree = 128;    // resolved: lives in an enclosing function's cell
  static constexpr uint32_t kGlobalImplicit = 256;  // resolved: not found in any enclosing function

  ScopeKind kind = ScopeKind::kModule;
  Scope* parent = nullptr;
  TSNode node{};
  absl::flat_hash_map<std::string, uint32_t> names;
  // Filled by Finalize, sorted.
  std::vector<std::string> cell_vars;
  std::vector<std::string> free_vars;
  std::vector<std::string> global_decls;

  bool is_function_like() const {
    return kind == ScopeKind::kFunction || kind == ScopeKind::kLambda ||
           kind == ScopeKind::kComprehension;
  }
  uint32_t flags(absl::string_view name) const {
    auto it = names.find(name);
    return it == names.end() ? 0 : it->second;
  }
};

class ScopeTable {
 public:
  // Walks the whole tree of `root` (a module node) and resolves every scope.
  ScopeTable(TSNode root, absl::string_view source);

  Scope* module_scope() const { return scopes_.front().get(); }
  // The scope a def/lambda/class/comprehension node opens, or null if the walk never saw it.
  Scope* ForNode(TSNode node) const;

  // How `name` is read and written in `scope`.
  static VarAccess Access(const Scope& scope, absl::string_view name);

 private:
  Scope* NewScope(ScopeKind kind, Scope* parent, TSNode node);
  void Walk(TSNode root);
  void Finalize();

  absl::string_view source_;
  std::vector<std::unique_ptr<Scope>> scopes_;
  absl::flat_hash_map<NodeKey, Scope*> by_node_;
};

}  // namespace flopscope::frontend

#endif  // FLOPSCOPE_FRONTEND_SCOPE_H_
