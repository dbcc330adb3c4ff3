// Origins: the instructions whose values may flow into a value, across variables, modules,
// calls and literal containers. A bounded depth-first walk with a visited set, so it terminates
// on cycles; it asks the symbol resolver what attribute objects and callees are.
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "ir/resolve_engine.h"

namespace flopscope::ir::internal {
namespace {

constexpr size_t kMaxOrigins = 64;
constexpr int kMaxSteps = 4096;
// Containers found through containers (x[0][1]) nest walks; deeper ones stay opaque.
constexpr int kMaxNesting = 4;

bool IsConstInt(const Instr& instr) {
  return instr.op == Opcode::kConst && instr.aux == static_cast<int32_t>(ConstKind::kInt);
}

bool SameConst(const Instr& a, const Instr& b) {
  return a.op == Opcode::kConst && b.op == Opcode::kConst && a.aux == b.aux && a.text == b.text;
}

class OriginWalk {
 public:
  OriginWalk(Engine& engine, int nesting)
      : engine_(engine), program_(engine.program()), nesting_(nesting) {}

  std::vector<ValueRef> Run(FuncId fn, InstrId value) {
    Push({fn, value});
    int steps = 0;
    while (!stack_.empty() && result_.size() < kMaxOrigins && ++steps < kMaxSteps) {
      const ValueRef ref = stack_.back();
      stack_.pop_back();
      if (!Forward(ref)) result_.push_back(ref);
    }
    return std::move(result_);
  }

 private:
  void Push(ValueRef ref) {
    if (!ref.fn.valid() || ref.fn.index() >= program_.functions().size()) return;
    if (!ref.value.valid() || ref.value.index() >= program_.function(ref.fn).instrs.size()) {
      return;
    }
    if (visited_.insert(ref).second) stack_.push_back(ref);
  }
  void PushAll(FuncId fn, const std::vector<InstrId>& values) {
    for (InstrId value : values) Push({fn, value});
  }
  void PushAll(const std::vector<ValueRef>& refs) {
    for (const ValueRef& ref : refs) Push(ref);
  }

  // Pushes what `ref` forwards to; false when `ref` is itself an origin.
  bool Forward(ValueRef ref) {
    const Function& fn = program_.function(ref.fn);
    const Instr& instr = fn.instr(ref.value);
    switch (instr.op) {
      case Opcode::kPhi:
        PushAll(ref.fn, std::vector<InstrId>(instr.operands.begin(), instr.operands.end()));
        return true;
      case Opcode::kAwait:
        if (instr.operands.empty()) return false;
        Push({ref.fn, instr.operands[0]});
        return true;
      case Opcode::kLoadVar:
        return ForwardLoadVar(fn, instr);
      case Opcode::kLoadAttr:
        return ForwardAttr(fn, instr);
      case Opcode::kCall:
        return ForwardCall(fn, ref.value, instr);
      case Opcode::kUnpackItem:
      case Opcode::kLoadSubscript:
        return ForwardElement(fn, instr);
      case Opcode::kForIter: {
        // `for x in [f, g]`: the loop variable is any element of the iterated literal.
        if (instr.operands.empty()) return false;
        const Instr& iter = fn.instr(instr.operands[0]);
        if (iter.op != Opcode::kGetIter || iter.operands.empty()) return false;
        return ForwardElement(fn, instr, iter.operands[0]);
      }
      default:
        return false;
    }
  }

  bool ForwardLoadVar(const Function& fn, const Instr& instr) {
    std::vector<ValueRef> sources;
    switch (static_cast<VarScope>(instr.aux)) {
      case VarScope::kGlobal:
        sources = engine_.GlobalStores(fn.module, instr.text);
        break;
      case VarScope::kClass:
        if (fn.class_of_body.valid()) {
          const ClassIndex& cls = engine_.index().klass(fn.class_of_body);
          if (auto it = cls.attrs.find(instr.text); it != cls.attrs.end()) {
            for (InstrId value : it->second) sources.push_back({fn.id, value});
          }
        }
        if (sources.empty()) sources = engine_.GlobalStores(fn.module, instr.text);
        break;
      case VarScope::kCell:
        sources = engine_.CellSources(fn.id, instr.text);
        break;
      case VarScope::kLocal:
        break;
    }
    if (sources.empty()) return false;
    PushAll(sources);
    return true;
  }

  // Attributes of modules, classes and instances read what was stored under that name.
  bool ForwardAttr(const Function& fn, const Instr& instr) {
    if (instr.operands.empty()) return false;
    const SymbolList& objects = engine_.Value(fn.id, instr.operands[0]);
    if (!HasKnown(objects) || !objects.back().known()) return false;
    std::vector<ValueRef> sources;
    for (const Symbol& object : objects) {
      if (!AttrStores(object, instr.text, sources)) return false;
    }
    PushAll(sources);
    return !sources.empty();
  }

  bool AttrStores(const Symbol& object, const std::string& attr, std::vector<ValueRef>& out) {
    const size_t before = out.size();
    if (object.kind == Symbol::Kind::kModule && object.module.valid()) {
      for (const ValueRef& store : engine_.GlobalStores(object.module, attr)) out.push_back(store);
    } else if (object.kind == Symbol::Kind::kClass || object.kind == Symbol::Kind::kInstance) {
      for (ClassId klass : engine_.Mro(object.cls)) {
        const ClassIndex& index = engine_.index().klass(klass);
        if (auto it = index.attrs.find(attr); it != index.attrs.end()) {
          for (InstrId value : it->second) out.push_back({program_.klass(klass).body, value});
          break;
        }
        if (object.kind != Symbol::Kind::kInstance) continue;
        if (auto it = index.instance_attrs.find(attr); it != index.instance_attrs.end()) {
          for (const ValueRef& store : it->second) out.push_back(store);
        }
      }
    }
    return out.size() > before;
  }

  // Calls of in-repo functions forward to their return values; transparent decorator
  // applications to the decorated function.
  bool ForwardCall(const Function& fn, InstrId id, const Instr& instr) {
    if (instr.operands.empty()) return false;
    if (engine_.index().decorated_function({fn.id, id}).valid() && instr.operands.size() > 1) {
      return false;  // the decorated function's value is its MakeFunction: an origin here
    }
    const SymbolList& callees = engine_.Value(fn.id, instr.operands[0]);
    if (!HasKnown(callees) || !callees.back().known()) return false;
    std::vector<ValueRef> sources;
    for (const Symbol& callee : callees) {
      if (callee.kind != Symbol::Kind::kFunction && callee.kind != Symbol::Kind::kBoundMethod) {
        return false;
      }
      const Function& target = program_.function(callee.func);
      if (target.is_generator) return false;
      const int implicit = callee.kind == Symbol::Kind::kBoundMethod &&
                                   engine_.index().method_kind(callee.func) != MethodKind::kStatic
                               ? 1
                               : 0;
      for (InstrId value : engine_.index().returns(callee.func)) {
        const Instr& returned = target.instr(value);
        if (returned.op == Opcode::kParam) {
          // `return x` of a parameter: what this call passed (or the parameter, if unknown).
          const InstrId argument = BoundArgument(instr, target, returned.aux, implicit);
          if (argument.valid()) {
            sources.push_back({fn.id, argument});
            continue;
          }
        }
        sources.push_back({callee.func, value});
      }
    }
    PushAll(sources);
    return true;
  }

  // x[k] / unpacking of a literal tuple, list or dict found through the container's origins.
  bool ForwardElement(const Function& fn, const Instr& instr) {
    if (instr.operands.empty()) return false;
    return ForwardElement(fn, instr, instr.operands[0]);
  }

  bool ForwardElement(const Function& fn, const Instr& instr, InstrId container_value) {
    if (nesting_ >= kMaxNesting) return false;
    const Instr* key = nullptr;
    if (instr.op == Opcode::kLoadSubscript && instr.operands.size() > 1) {
      key = &fn.instr(instr.operands[1]);
    }
    std::vector<ValueRef> elements;
    OriginWalk inner(engine_, nesting_ + 1);
    for (const ValueRef& container : inner.Run(fn.id, container_value)) {
      if (!Elements(container, instr, key, elements)) return false;
    }
    if (elements.empty()) return false;
    PushAll(elements);
    return true;
  }

  const Instr& At(ValueRef ref) const { return program_.function(ref.fn).instr(ref.value); }

  // The elements of a literal container that `access` may read, including elements written
  // into it later (ProgramIndex::WritesInto); false when `container` is no literal.
  bool Elements(ValueRef container, const Instr& access, const Instr* key,
                std::vector<ValueRef>& out) {
    const Instr& literal = At(container);
    const bool mutable_literal = literal.op == Opcode::kBuildDict ||
                                 literal.op == Opcode::kBuildList ||
                                 literal.op == Opcode::kBuildSet;
    if (!mutable_literal && literal.op != Opcode::kBuildTuple) return false;
    std::vector<ContainerWrite> entries;  // (key, value); key invalid for sequences
    if (literal.op == Opcode::kBuildDict) {
      for (size_t i = 0; i + 1 < literal.operands.size(); i += 2) {
        if (i / 2 < literal.arg_names.size() && literal.arg_names[i / 2] == "**") return false;
        entries.push_back({{container.fn, literal.operands[i]},
                           {container.fn, literal.operands[i + 1]}});
      }
    } else {
      for (size_t i = 0; i < literal.operands.size(); ++i) {
        if (i < literal.arg_names.size() && literal.arg_names[i] == "*") return false;
        entries.push_back({ValueRef(), {container.fn, literal.operands[i]}});
      }
    }
    const size_t literal_size = entries.size();
    if (mutable_literal) {
      for (const ContainerWrite& write : engine_.index().WritesInto(container)) {
        entries.push_back(write);
      }
    }
    if (access.op == Opcode::kForIter) {  // a dict iterates its keys
      for (const ContainerWrite& entry : entries) {
        const ValueRef item = literal.op == Opcode::kBuildDict ? entry.key : entry.value;
        if (item.fn.valid()) out.push_back(item);
      }
      return true;
    }
    if (literal.op == Opcode::kBuildDict) {
      if (access.op != Opcode::kLoadSubscript) return false;
      for (const ContainerWrite& entry : entries) {
        // A constant key reads only entries under an equal constant (or an unknown key).
        const bool may_match = key == nullptr || key->op != Opcode::kConst ||
                               !entry.key.fn.valid() || At(entry.key).op != Opcode::kConst ||
                               SameConst(*key, At(entry.key));
        if (may_match) out.push_back(entry.value);
      }
      return true;
    }
    int64_t index = 0;
    bool exact = entries.size() == literal_size;  // appends make positions unknown
    if (access.op == Opcode::kUnpackItem) {
      index = access.aux;
    } else if (key != nullptr && IsConstInt(*key)) {
      exact = exact && absl::SimpleAtoi(key->text, &index);
    } else {
      exact = false;
    }
    if (exact) {
      const auto size = static_cast<int64_t>(literal_size);
      if (index < 0) index += size;
      if (index < 0 || index >= size) return true;  // out of range: contributes nothing
      out.push_back(entries[static_cast<size_t>(index)].value);
      return true;
    }
    for (const ContainerWrite& entry : entries) out.push_back(entry.value);
    return true;
  }

  Engine& engine_;
  const Program& program_;
  const int nesting_;
  std::vector<ValueRef> stack_;
  std::vector<ValueRef> result_;
  absl::flat_hash_set<ValueRef> visited_;
};

}  // namespace

std::vector<ValueRef> Engine::Origins(FuncId fn, InstrId value) {
  return OriginWalk(*this, 0).Run(fn, value);
}

}  // namespace flopscope::ir::internal
