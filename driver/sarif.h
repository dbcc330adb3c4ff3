// SARIF 2.1.0 output, shaped for GitHub code scanning: rule metadata from the registry and the
// embedded rule pages, one result per finding with its call path as a codeFlow, related
// locations, partialFingerprints (GitHub's primaryLocationLineHash and flopscope's own), URIs
// relative to %SRCROOT%, UTF-16 columns, and read/parse problems as tool execution notifications.
// docs/output.md describes the mapping.
//
// Users: the driver (`check --format sarif`); tests.
#ifndef FLOPSCOPE_DRIVER_SARIF_H_
#define FLOPSCOPE_DRIVER_SARIF_H_

#include <string>

#include "absl/strings/string_view.h"
#include "checkers/diagnostic.h"
#include "checkers/registry.h"
#include "driver/json.h"
#include "driver/report.h"

namespace flopscope::driver {

// The SARIF log as a JSON document.
json::Value BuildSarif(const Report& report);
// The same, serialized (pretty-printed, trailing newline).
std::string RenderSarif(const Report& report);

// SARIF level of a catalog severity: Critical and High are "error", Medium "warning", Low "note".
absl::string_view SarifLevel(checkers::Severity severity);

// Percent-encodes a relative path for a URI reference: unreserved characters, '/' and the
// sub-delims that are safe in a path stay; everything else (space, '%', '#', '?', non-ASCII
// bytes) becomes %XX.
std::string PercentEncodePath(absl::string_view path);

}  // namespace flopscope::driver

#endif  // FLOPSCOPE_DRIVER_SARIF_H_
