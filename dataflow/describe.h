// `flopscope facts FILE:LINE`: a human-readable dump of what the dataflow analysis believes about
// the values used on one source line (device, dtype, grad state, model identity with checkpoint,
// constant strings) and the grad mode there, each fact with the provenance chain by which it
// arrived. For debugging and for users asking "why does it think that".
//
// Users: driver (facts subcommand), tests.
#ifndef FLOPSCOPE_DATAFLOW_DESCRIBE_H_
#define FLOPSCOPE_DATAFLOW_DESCRIBE_H_

#include <string>

#include "absl/strings/string_view.h"
#include "dataflow/analysis.h"

namespace flopscope::dataflow {

// `path` is matched against Module::path exactly, else as a path suffix ("pkg/models.py" finds
// "/abs/repo/pkg/models.py"). Returns a message saying so when no module or no code matches.
std::string DescribeFactsAtLine(const Analysis& analysis, absl::string_view path, int line);

}  // namespace flopscope::dataflow

#endif  // FLOPSCOPE_DATAFLOW_DESCRIBE_H_
