#include "frontend/scope.h"

#include <algorithm>
#include <functional>
#include <utility>

namespace flopscope::frontend {
namespace {

enum class Mode : uint8_t {
  kExpr,     // statements and expressions: identifiers are reads
  kTarget,   // assignment / del / for targets: identifiers are bindings
  kPattern,  // match patterns: bare names capture, dotted names read
};

struct Item {
  TSNode node;
  Scope* scope;
  Mode mode;
};

class Walker {
 public:
  Walker(absl::string_view source, const Syntax& syntax,
         std::function<Scope*(ScopeKind, Scope*, TSNode)> new_scope)
      : source_(source), k_(syntax), new_scope_(std::move(new_scope)) {}

  void Run(TSNode root, Scope* module) {
    Push(root, module, Mode::kExpr);
    while (!stack_.empty()) {
      const Item item = stack_.back();
      stack_.pop_back();
      if (ts_node_is_null(item.node) || IsExtra(item.node)) continue;
      switch (item.mode) {
        case Mode::kExpr:
          Expr(item.node, item.scope);
          break;
        case Mode::kTarget:
          Target(item.node, item.scope);
          break;
        case Mode::kPattern:
          Pattern(item.node, item.scope);
          break;
      }
    }
  }

 private:
  void Push(TSNode node, Scope* scope, Mode mode) {
    if (!ts_node_is_null(node)) stack_.push_back({node, scope, mode});
  }
  void PushNamedChildren(TSNode node, Scope* scope, Mode mode) {
    for (Children c(pool_, node); c.NextNamed();) Push(c.node(), scope, mode);
  }
  void Mark(Scope* scope, TSNode identifier, uint32_t flag) {
    absl::string_view name = TextOf(source_, identifier);
    if (name.empty()) return;
    auto it = scope->names.find(name);
    if (it == scope->names.end()) {
      scope->names.emplace(std::string(name), flag);
    } else {
      it->second |= flag;
    }
  }
  void MarkName(Scope* scope, absl::string_view name, uint32_t flag) { scope->names[name] |= flag; }

  // `name := value` binds in the nearest enclosing non-comprehension scope.
  void BindWalrus(Scope* scope, TSNode identifier) {
    if (scope->kind != ScopeKind::kComprehension) {
      Mark(scope, identifier, Scope::kBound);
      return;
    }
    Scope* target = scope;
    while (target->kind == ScopeKind::kComprehension) {
      Mark(target, identifier, Scope::kWalrus);
      target = target->parent;
    }
    if (target->is_function_like()) Mark(target, identifier, Scope::kBound);
  }

  void Params(TSNode params, Scope* outer, Scope* inner) {
    if (ts_node_is_null(params)) return;
    for (Children c(pool_, params); c.NextNamed();) {
      const TSNode p = c.node();
      const TSSymbol s = ts_node_symbol(p);
      if (s == k_.default_parameter || s == k_.typed_default_parameter) {
        Push(ts_node_child_by_field_id(p, k_.field.name), inner, Mode::kTarget);
        Push(ts_node_child_by_field_id(p, k_.field.value), outer, Mode::kExpr);
      } else if (s == k_.typed_parameter) {
        for (Children t(pool_, p); t.NextNamed();) {
          if (ts_node_symbol(t.node()) != k_.type) Push(t.node(), inner, Mode::kTarget);
        }
      } else if (s == k_.identifier || s == k_.list_splat_pattern ||
                 s == k_.dictionary_splat_pattern || s == k_.tuple_pattern) {
        Push(p, inner, Mode::kTarget);
      }
    }
  }

  void Comprehension(TSNode node, Scope* scope) {
    Scope* inner = new_scope_(ScopeKind::kComprehension, scope, node);
    bool first = true;
    for (Children c(pool_, node); c.NextNamed();) {
      const TSNode child = c.node();
      if (ts_node_symbol(child) != k_.for_in_clause) {
        Push(child, inner, Mode::kExpr);
        continue;
      }
      for (Children f(pool_, child); f.NextNamed();) {
        if (f.field() == k_.field.left) {
          Push(f.node(), inner, Mode::kTarget);
        } else {
          Push(f.node(), first ? scope : inner, Mode::kExpr);
        }
      }
      first = false;
    }
  }

  void Expr(TSNode node, Scope* scope) {
    const TSSymbol s = ts_node_symbol(node);
    const auto& f = k_.field;
    if (s == k_.identifier) {
      Mark(scope, node, Scope::kUsed);
    } else if (s == k_.attribute) {
      Push(ts_node_child_by_field_id(node, f.object), scope, Mode::kExpr);
    } else if (s == k_.keyword_argument) {
      Push(ts_node_child_by_field_id(node, f.value), scope, Mode::kExpr);
    } else if (s == k_.type || s == k_.dotted_name || s == k_.parameters ||
               s == k_.lambda_parameters || s == k_.type_parameter) {
      // Annotations are not evaluated by the lowering; dotted names only occur in imports.
    } else if (s == k_.function_definition) {
      Mark(scope, ts_node_child_by_field_id(node, f.name), Scope::kBound);
      Scope* inner = new_scope_(ScopeKind::kFunction, scope, node);
      Params(ts_node_child_by_field_id(node, f.parameters), scope, inner);
      Push(ts_node_child_by_field_id(node, f.body), inner, Mode::kExpr);
    } else if (s == k_.lambda) {
      Scope* inner = new_scope_(ScopeKind::kLambda, scope, node);
      Params(ts_node_child_by_field_id(node, f.parameters), scope, inner);
      Push(ts_node_child_by_field_id(node, f.body), inner, Mode::kExpr);
    } else if (s == k_.class_definition) {
      Mark(scope, ts_node_child_by_field_id(node, f.name), Scope::kBound);
      Push(ts_node_child_by_field_id(node, f.superclasses), scope, Mode::kExpr);
      Scope* inner = new_scope_(ScopeKind::kClass, scope, node);
      Push(ts_node_child_by_field_id(node, f.body), inner, Mode::kExpr);
    } else if (s == k_.list_comprehension || s == k_.set_comprehension ||
               s == k_.dictionary_comprehension || s == k_.generator_expression) {
      Comprehension(node, scope);
    } else if (s == k_.assignment) {
      Push(ts_node_child_by_field_id(node, f.left), scope, Mode::kTarget);
      Push(ts_node_child_by_field_id(node, f.right), scope, Mode::kExpr);
    } else if (s == k_.augmented_assignment) {
      const TSNode left = ts_node_child_by_field_id(node, f.left);
      Push(left, scope, Mode::kTarget);
      Push(left, scope, Mode::kExpr);
      Push(ts_node_child_by_field_id(node, f.right), scope, Mode::kExpr);
    } else if (s == k_.for_statement || s == k_.with_item || s == k_.as_pattern ||
               s == k_.except_clause) {
      // for: `left` is the target; as_pattern (with/except) and except_clause: `alias` is.
      for (Children c(pool_, node); c.NextNamed();) {
        const bool target = c.field() == f.left || c.field() == f.alias;
        Push(c.node(), scope, target ? Mode::kTarget : Mode::kExpr);
      }
    } else if (s == k_.named_expression) {
      const TSNode name = ts_node_child_by_field_id(node, f.name);
      if (!ts_node_is_null(name)) BindWalrus(scope, name);
      Push(ts_node_child_by_field_id(node, f.value), scope, Mode::kExpr);
    } else if (s == k_.import_statement || s == k_.import_from_statement ||
               s == k_.future_import_statement) {
      for (Children c(pool_, node); c.NextNamed();) {
        if (c.field() != f.name) continue;
        const TSNode name = c.node();
        if (ts_node_symbol(name) == k_.aliased_import) {
          const TSNode alias = ts_node_child_by_field_id(name, f.alias);
          if (!ts_node_is_null(alias)) Mark(scope, alias, Scope::kBound);
        } else {
          const TSNode first = FirstNamedChild(pool_, name);
          if (!ts_node_is_null(first)) Mark(scope, first, Scope::kBound);
        }
      }
    } else if (s == k_.global_statement || s == k_.nonlocal_statement) {
      const uint32_t flag = s == k_.global_statement ? Scope::kGlobalDecl : Scope::kNonlocalDecl;
      for (Children c(pool_, node); c.NextNamed();) {
        if (ts_node_symbol(c.node()) == k_.identifier) Mark(scope, c.node(), flag);
      }
    } else if (s == k_.delete_statement) {
      PushNamedChildren(node, scope, Mode::kTarget);
    } else if (s == k_.case_clause) {
      for (Children c(pool_, node); c.NextNamed();) {
        const bool pattern = ts_node_symbol(c.node()) == k_.case_pattern;
        Push(c.node(), scope, pattern ? Mode::kPattern : Mode::kExpr);
      }
    } else if (s == k_.type_alias_statement) {
      const TSNode left = ts_node_child_by_field_id(node, f.left);
      const TSNode name = ts_node_is_null(left) ? left : FirstNamedChild(pool_, left);
      if (ts_node_is_null(name)) return;
      const TSSymbol ns = ts_node_symbol(name);
      if (ns == k_.identifier) {
        Mark(scope, name, Scope::kBound);
      } else if (ns == k_.generic_type) {
        const TSNode base = FirstNamedChild(pool_, name);
        if (!ts_node_is_null(base) && ts_node_symbol(base) == k_.identifier) {
          Mark(scope, base, Scope::kBound);
        }
      } else {
        // `type(x).attr = value`, misread by the grammar as a type alias: an assignment.
        Push(name, scope, Mode::kTarget);
        const TSNode right = ts_node_child_by_field_id(node, f.right);
        if (!ts_node_is_null(right)) Push(FirstNamedChild(pool_, right), scope, Mode::kExpr);
      }
    } else {
      PushNamedChildren(node, scope, Mode::kExpr);
    }
  }

  void Target(TSNode node, Scope* scope) {
    const TSSymbol s = ts_node_symbol(node);
    if (s == k_.identifier) {
      Mark(scope, node, Scope::kBound);
    } else if (s == k_.attribute) {
      Push(ts_node_child_by_field_id(node, k_.field.object), scope, Mode::kExpr);
    } else if (s == k_.subscript) {
      for (Children c(pool_, node); c.NextNamed();) Push(c.node(), scope, Mode::kExpr);
    } else if (s == k_.list_splat_pattern || s == k_.list_splat || s == k_.pattern_list ||
               s == k_.tuple_pattern || s == k_.list_pattern || s == k_.tuple || s == k_.list ||
               s == k_.parenthesized_expression || s == k_.as_pattern_target ||
               s == k_.expression_list || s == k_.dictionary_splat_pattern) {
      PushNamedChildren(node, scope, Mode::kTarget);
    } else {
      Expr(node, scope);
    }
  }

  void Pattern(TSNode node, Scope* scope) {
    const TSSymbol s = ts_node_symbol(node);
    if (s == k_.dotted_name) {
      int count = 0;
      TSNode first{};
      for (Children c(pool_, node); c.NextNamed();) {
        if (count++ == 0) first = c.node();
      }
      if (count == 1) Mark(scope, first, Scope::kBound);
      if (count > 1) Mark(scope, first, Scope::kUsed);
    } else if (s == k_.identifier) {
      Mark(scope, node, Scope::kBound);
    } else if (s == k_.keyword_pattern) {
      bool keyword = true;  // the first identifier is the attribute name
      for (Children c(pool_, node); c.NextNamed();) {
        if (keyword && ts_node_symbol(c.node()) == k_.identifier) {
          keyword = false;
          continue;
        }
        Push(c.node(), scope, Mode::kPattern);
      }
    } else if (s == k_.class_pattern) {
      bool class_name = true;
      for (Children c(pool_, node); c.NextNamed();) {
        if (class_name && ts_node_symbol(c.node()) == k_.dotted_name) {
          const TSNode first = FirstNamedChild(pool_, c.node());
          if (!ts_node_is_null(first)) Mark(scope, first, Scope::kUsed);
          class_name = false;
          continue;
        }
        Push(c.node(), scope, Mode::kPattern);
      }
    } else if (s == k_.string || s == k_.concatenated_string || s == k_.integer || s == k_.float_ ||
               s == k_.complex_pattern) {
      // literals
    } else {
      PushNamedChildren(node, scope, Mode::kPattern);
    }
  }

  absl::string_view source_;
  const Syntax& k_;
  std::function<Scope*(ScopeKind, Scope*, TSNode)> new_scope_;
  CursorPool pool_;
  std::vector<Item> stack_;
};

// The scope that owns `name` for a read in `scope`: the nearest enclosing function scope binding
// it. Class bodies are skipped, as at run time. Null when the name is global.
Scope* FindOwner(const Scope& scope, absl::string_view name) {
  for (Scope* p = scope.parent; p != nullptr; p = p->parent) {
    if (p->kind == ScopeKind::kClass) continue;
    if (p->kind == ScopeKind::kModule) return nullptr;
    const uint32_t flags = p->flags(name);
    if (flags & Scope::kGlobalDecl) return nullptr;
    if (flags & (Scope::kNonlocalDecl | Scope::kWalrus | Scope::kFree)) continue;
    if (flags & Scope::kBound) return p;
  }
  return nullptr;
}

void Sorted(std::vector<std::string>& names) { std::sort(names.begin(), names.end()); }

}  // namespace

ScopeTable::ScopeTable(TSNode root, absl::string_view source) : source_(source) {
  NewScope(ScopeKind::kModule, nullptr, root);
  Walk(root);
  Finalize();
}

Scope* ScopeTable::NewScope(ScopeKind kind, Scope* parent, TSNode node) {
  auto scope = std::make_unique<Scope>();
  scope->kind = kind;
  scope->parent = parent;
  scope->node = node;
  Scope* raw = scope.get();
  scopes_.push_back(std::move(scope));
  by_node_.emplace(KeyOf(node), raw);
  return raw;
}

Scope* ScopeTable::ForNode(TSNode node) const {
  auto it = by_node_.find(KeyOf(node));
  return it == by_node_.end() ? nullptr : it->second;
}

void ScopeTable::Walk(TSNode root) {
  Walker walker(source_, GetSyntax(), [this](ScopeKind kind, Scope* parent, TSNode node) {
    return NewScope(kind, parent, node);
  });
  walker.Run(root, module_scope());
}

void ScopeTable::Finalize() {
  // Resolve free names. Iterating a scope's own map while marking *other* scopes is safe; the
  // current scope's entries are only updated in place.
  for (const auto& owned : scopes_) {
    Scope& scope = *owned;
    if (scope.kind == ScopeKind::kModule) continue;
    for (auto& [name, flags] : scope.names) {
      if (flags & (Scope::kGlobalDecl | Scope::kFree | Scope::kGlobalImplicit)) continue;
      const bool rebinds = flags & (Scope::kNonlocalDecl | Scope::kWalrus);
      if (!rebinds && (flags & Scope::kBound)) continue;  // a plain local or class attribute
      if (!rebinds && !(flags & Scope::kUsed)) continue;
      Scope* owner = FindOwner(scope, name);
      if (owner == nullptr) {
        flags |= Scope::kGlobalImplicit;
        continue;
      }
      owner->names[name] |= Scope::kCaptured | (rebinds ? Scope::kRebound : 0);
      flags |= Scope::kFree;
      for (Scope* between = scope.parent; between != owner; between = between->parent) {
        between->names[name] |= Scope::kFree;
      }
    }
  }
  for (const auto& owned : scopes_) {
    Scope& scope = *owned;
    for (const auto& [name, flags] : scope.names) {
      if (flags & Scope::kGlobalDecl) scope.global_decls.push_back(name);
      if (flags & Scope::kFree) scope.free_vars.push_back(name);
      if ((flags & Scope::kCaptured) && scope.is_function_like()) scope.cell_vars.push_back(name);
    }
    Sorted(scope.global_decls);
    Sorted(scope.free_vars);
    Sorted(scope.cell_vars);
  }
}

VarAccess ScopeTable::Access(const Scope& scope, absl::string_view name) {
  if (scope.kind == ScopeKind::kModule) return {ir::VarScope::kGlobal, false};
  const uint32_t flags = scope.flags(name);
  if (flags & Scope::kGlobalDecl) return {ir::VarScope::kGlobal, false};
  // A class body's own bindings stay class attributes even when a method reads the same name
  // from an enclosing function through it.
  if (scope.kind == ScopeKind::kClass && (flags & Scope::kBound) &&
      !(flags & Scope::kNonlocalDecl)) {
    return {ir::VarScope::kClass, false};
  }
  if (flags & Scope::kFree) return {ir::VarScope::kCell, false};
  if (flags & Scope::kGlobalImplicit) return {ir::VarScope::kGlobal, false};
  if (flags & Scope::kBound) {
    if (scope.kind == ScopeKind::kClass) return {ir::VarScope::kClass, false};
    if (flags & Scope::kRebound) return {ir::VarScope::kCell, false};
    return {ir::VarScope::kLocal, (flags & Scope::kCaptured) != 0};
  }
  // A name the pre-pass did not record (only in malformed trees): resolve without marking.
  return {FindOwner(scope, name) != nullptr ? ir::VarScope::kCell : ir::VarScope::kGlobal, false};
}

}  // namespace flopscope::frontend
