// Invariant checks for flopscope's own code. A failed check is a flopscope bug, never a user
// error: user-caused problems travel as absl::Status. Debian's abseil (20220623) has no absl/log,
// so this is the project's CHECK.
#ifndef FLOPSCOPE_UTIL_CHECK_H_
#define FLOPSCOPE_UTIL_CHECK_H_

#include <cstdio>
#include <cstdlib>

#define FS_CHECK(cond)                                                                 \
  do {                                                                                 \
    if (!(cond)) {                                                                     \
      std::fprintf(stderr, "flopscope internal error: %s:%d: check failed: %s\n",       \
                   __FILE__, __LINE__, #cond);                                         \
      std::abort();                                                                    \
    }                                                                                  \
  } while (0)

#ifdef NDEBUG
#define FS_DCHECK(cond) \
  do {                  \
  } while (0)
#else
#define FS_DCHECK(cond) FS_CHECK(cond)
#endif

#endif  // FLOPSCOPE_UTIL_CHECK_H_
