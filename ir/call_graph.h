// The interprocedural call graph: every call site of every function linked to the in-repo
// functions it may run (direct calls, imported names, methods through self and the MRO,
// constructors to __init__, super(), decorators, functions passed as values: callbacks given to
// register_forward_hook, closures returned by factories, functions stored in dicts or lists) and
// to the external or builtin names it may call. Boost.Graph stays inside call_graph.cc.
#ifndef FLOPSCOPE_IR_CALL_GRAPH_H_
#define FLOPSCOPE_IR_CALL_GRAPH_H_

#include <memory>
#include <string>
#include <vector>

#include "ir/ir.h"
#include "ir/resolve.h"

namespace flopscope::ir {

enum class EdgeKind : uint8_t {
  kDirect,       // the call's callee resolves to the function
  kConstructor,  // C(...) runs C.__init__ (or an inherited one)
  kDecorator,    // the call applies a decorator
  kCallback,     // the function was passed as a value and runs where it is called
                 // (hooks run at the forward pass of the module they are attached to)
};

// Callback edges link a call site to every in-repo function passed to it as an argument, unless
// the call only stores it in a container (reading the container links it instead) or the callee
// is known never to call its arguments (isinstance, functools.wraps, ...). An in-repo decorator's
// application also gets a callback edge to the function it decorates.
struct CallEdge {
  FuncId caller;
  InstrId site;   // the Call instruction in caller
  FuncId callee;  // in-repo function
  EdgeKind kind = EdgeKind::kDirect;
};

struct ExternalCall {
  FuncId caller;
  InstrId site;
  std::string name;  // "torch.load", "<builtin>.len"
};

class CallGraph {
 public:
  CallGraph(const Program& program, const Resolver& resolver);
  ~CallGraph();
  CallGraph(const CallGraph&) = delete;
  CallGraph& operator=(const CallGraph&) = delete;

  const std::vector<CallEdge>& Callees(FuncId caller) const;  // sorted by site
  const std::vector<CallEdge>& Callers(FuncId callee) const;
  // In-repo targets of one call site (empty for external or unresolved calls).
  std::vector<FuncId> CalleesAt(FuncId caller, InstrId site) const;
  const std::vector<ExternalCall>& ExternalCallees(FuncId caller) const;

  // Strongly connected components in bottom-up order: callees before callers.
  const std::vector<std::vector<FuncId>>& SccsBottomUp() const;

  // PyCG-style adjacency JSON: {"pkg.mod.f": ["<builtin>.len", "pkg.mod.g"], ...}, keys and
  // lists sorted, names relative to the analyzed root. Every edge kind counts as a call.
  // Comprehension scopes are folded into the function that contains them (their calls are its
  // calls), and calls of call results ("torch.no_grad()", "open().read") are left out: they name
  // no function. One line per key.
  std::string ToJson() const;
  // Graphviz, through boost::write_graphviz.
  std::string ToDot() const;

  // "pkg.mod.C.m", "pkg.mod.f.<lambda1>", "pkg.mod" for a module body.
  std::string FunctionName(FuncId fn) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace flopscope::ir

#endif  // FLOPSCOPE_IR_CALL_GRAPH_H_
