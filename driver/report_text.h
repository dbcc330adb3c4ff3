// The human-readable report (`check --format text`, the default):
//
//   experiments.py:41:17: FS101 `gpt2-xl` is reloaded on every iteration [reload-in-loop]
//       experiments.py:41: in layer_sweep(): calls models.load()
//       models.py:12: in load(): model loaded from `gpt2-xl` here
//       experiments.py:39: note: loop starts here
//       fix: load once before the loop; restore modified weights from a saved copy
//
// one block per finding (call path steps, then related locations as notes, then the fix), the
// read/parse problems, and a final summary line. Columns are the IR's 1-based UTF-8 byte columns.
//
// Users: the driver.
#ifndef FLOPSCOPE_DRIVER_REPORT_TEXT_H_
#define FLOPSCOPE_DRIVER_REPORT_TEXT_H_

#include <string>

#include "driver/report.h"

namespace flopscope::driver {

// `with_summary` = false leaves out the final summary line (for a caller that prints its own).
std::string RenderText(const Report& report, bool with_summary = true);

// "Found 3 findings (FS101: 2, FS201: 1) in 5 files; 1 file had problems." style summary, no
// newline.
std::string TextSummary(const Report& report);

}  // namespace flopscope::driver

#endif  // FLOPSCOPE_DRIVER_REPORT_TEXT_H_
