// The JSON report for scripts (`check --format json`); the schema is documented in
// docs/output.md and versioned by its top-level "version" field.
//
// Users: the driver; tests/integration/corpus_test.cc reads it back.
#ifndef FLOPSCOPE_DRIVER_REPORT_JSON_H_
#define FLOPSCOPE_DRIVER_REPORT_JSON_H_

#include <string>

#include "driver/json.h"
#include "driver/report.h"

namespace flopscope::driver {

// Version of the JSON report schema; bumped on any incompatible change.
inline constexpr int kJsonReportVersion = 1;

json::Value BuildJsonReport(const Report& report);
// Serialized, pretty-printed, with a trailing newline.
std::string RenderJson(const Report& report);

}  // namespace flopscope::driver

#endif  // FLOPSCOPE_DRIVER_REPORT_JSON_H_
