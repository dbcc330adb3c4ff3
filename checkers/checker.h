// The interface every rule implements. A checker reads facts through the CheckContext and reports
// findings into the DiagnosticSink; it has no Status return and no other side effects (imprecision
// is an early return, never an error). One checker per rule, in checkers/fsNNN_<slug>.cc.
#ifndef FLOPSCOPE_CHECKERS_CHECKER_H_
#define FLOPSCOPE_CHECKERS_CHECKER_H_

#include "checkers/check_context.h"
#include "checkers/diagnostic.h"

namespace flopscope::checkers {

class Checker {
 public:
  virtual ~Checker() = default;
  // Must be safe to call concurrently with other checkers on the same context.
  virtual void Run(const CheckContext& ctx, DiagnosticSink& sink) const = 0;
};

}  // namespace flopscope::checkers

#endif  // FLOPSCOPE_CHECKERS_CHECKER_H_
