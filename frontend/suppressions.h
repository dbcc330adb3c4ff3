// Suppression comments, read from the tree so that a `#` inside a string never counts.
//
//   x = load(name)  # noqa: FS401, FS105        Ruff's form; only flopscope's codes are taken
//   x = load(name)  # flopscope: ignore[FS401]  flopscope's own form
//   x = load(name)  # flopscope: ignore         every flopscope rule on this line
//
// A bare `# noqa` (no codes) belongs to other linters (flake8, Ruff) and suppresses nothing here:
// silencing a whole-program finding should name it.
#ifndef FLOPSCOPE_FRONTEND_SUPPRESSIONS_H_
#define FLOPSCOPE_FRONTEND_SUPPRESSIONS_H_

#include <tree_sitter/api.h>

#include <optional>
#include <vector>

#include "absl/strings/string_view.h"
#include "ir/ir.h"

namespace flopscope::frontend {

// The directive in one comment's text (starting at its `#`), if any.
std::optional<ir::Suppression> ParseSuppressionComment(absl::string_view comment);

// Every suppression comment of a parsed file, ascending by line.
std::vector<ir::Suppression> CollectSuppressions(TSNode root, absl::string_view text);

}  // namespace flopscope::frontend

#endif  // FLOPSCOPE_FRONTEND_SUPPRESSIONS_H_
