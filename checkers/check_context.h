// What a checker may read: the whole Program, name resolution, the call graph and, built lazily on
// first request and then shared by every checker, the dataflow analysis. The context owns none of
// the IR objects; the driver builds them once and keeps them alive while checkers run.
//
// The dataflow accessors are declared here with forward declarations only, so this header stays
// light and compiles before dataflow/analysis.h exists. Their definitions live in
// checkers/check_context_dataflow.cc, written by whoever integrates the dataflow layer: it builds
// the object under `analysis_once_` into `analysis_` (a shared_ptr, so this header never needs the
// complete type) and returns it. Until that file exists, calling analysis() is a link error.
//
// Users: every checker; the driver constructs one per run.
#ifndef FLOPSCOPE_CHECKERS_CHECK_CONTEXT_H_
#define FLOPSCOPE_CHECKERS_CHECK_CONTEXT_H_

#include <memory>
#include <mutex>
#include <string>

#include "checkers/diagnostic.h"
#include "ir/ir.h"

namespace flopscope::ir {
class Resolver;
class CallGraph;
}  // namespace flopscope::ir

namespace flopscope::dataflow {
class Analysis;
}  // namespace flopscope::dataflow

namespace flopscope::checkers {

class CheckContext {
 public:
  // All three must outlive the context. `resolver` and `call_graph` must describe `program`.
  CheckContext(const ir::Program& program, const ir::Resolver& resolver,
               const ir::CallGraph& call_graph);
  ~CheckContext();
  CheckContext(const CheckContext&) = delete;
  CheckContext& operator=(const CheckContext&) = delete;

  const ir::Program& program() const { return program_; }
  const ir::Resolver& resolver() const { return resolver_; }
  const ir::CallGraph& call_graph() const { return call_graph_; }

  // The interprocedural abstract interpretation (device, dtype, grad state, model identity and the
  // supporting facts), computed on first call and cached; thread-safe. Defined in
  // check_context_dataflow.cc (see the file comment).
  const dataflow::Analysis& analysis() const;

  // --- Helpers that turn IR positions into report locations. ---

  // The location of instruction `instr` of function `fn`: its module's path and the instruction's
  // range.
  Location LocationOf(ir::FuncId fn, ir::InstrId instr) const;
  // The location of a whole function definition (its `def` line range).
  Location LocationOfFunction(ir::FuncId fn) const;
  // "pkg.models.Loader.load" (module name + the function's qualname); the module name for a
  // module body. Used as Diagnostic::logical_location.
  std::string QualifiedName(ir::FuncId fn) const;
  // What users call the function in a call path step: its qualname ("Loader.load", "sweep"), or
  // "<module>" for a module body.
  std::string DisplayName(ir::FuncId fn) const;

 private:
  const ir::Program& program_;
  const ir::Resolver& resolver_;
  const ir::CallGraph& call_graph_;

  // Lazily built dataflow state; see analysis().
  mutable std::once_flag analysis_once_;
  mutable std::shared_ptr<const dataflow::Analysis> analysis_;
};

}  // namespace flopscope::checkers

#endif  // FLOPSCOPE_CHECKERS_CHECK_CONTEXT_H_
