// Status propagation helpers. Debian's abseil 20220623 predates ABSL_RETURN_IF_ERROR.
#ifndef FLOPSCOPE_UTIL_STATUS_MACROS_H_
#define FLOPSCOPE_UTIL_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

#define FS_RETURN_IF_ERROR(expr)                    \
  do {                                              \
    ::absl::Status fs_status_ = (expr);             \
    if (!fs_status_.ok()) return fs_status_;        \
  } while (0)

#define FS_STATUS_CONCAT_INNER_(a, b) a##b
#define FS_STATUS_CONCAT_(a, b) FS_STATUS_CONCAT_INNER_(a, b)

#define FS_ASSIGN_OR_RETURN(lhs, expr) \
  FS_ASSIGN_OR_RETURN_IMPL_(FS_STATUS_CONCAT_(fs_statusor_, __LINE__), lhs, expr)

#define FS_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.status();             \
  lhs = std::move(tmp).value()

namespace flopscope {

// Adds context to an error while keeping its code: "while lowering a.py: <message>".
inline absl::Status Annotate(const absl::Status& status, absl::string_view context) {
  if (status.ok()) return status;
  return absl::Status(status.code(), absl::StrCat(context, ": ", status.message()));
}

}  // namespace flopscope

#endif  // FLOPSCOPE_UTIL_STATUS_MACROS_H_
