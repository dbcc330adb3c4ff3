// Fixed name tables of the resolver: Python's builtin namespace and the decorators known to leave
// a function callable as itself. Kept apart from the engine so they are easy to review and extend.
#include <algorithm>
#include <array>
#include <string_view>

#include "ir/resolve.h"

namespace flopscope::ir {
namespace {

// Python 3.12's `dir(builtins)` without the module dunders; sorted for binary search.
constexpr std::array<std::string_view, 152> kBuiltinNames = {
    "ArithmeticError", "AssertionError", "AttributeError", "BaseException",
    "BaseExceptionGroup", "BlockingIOError", "BrokenPipeError", "BufferError", "BytesWarning",
    "ChildProcessError", "ConnectionAbortedError", "ConnectionError", "ConnectionRefusedError",
    "ConnectionResetError", "DeprecationWarning", "EOFError", "Ellipsis", "EncodingWarning",
    "EnvironmentError", "Exception", "ExceptionGroup", "False", "FileExistsError",
    "FileNotFoundError", "FloatingPointError", "FutureWarning", "GeneratorExit", "IOError",
    "ImportError", "ImportWarning", "IndentationError", "IndexError", "InterruptedError",
    "IsADirectoryError", "KeyError", "KeyboardInterrupt", "LookupError", "MemoryError",
    "ModuleNotFoundError", "NameError", "None", "NotADirectoryError", "NotImplemented",
    "NotImplementedError", "OSError", "OverflowError", "PendingDeprecationWarning",
    "PermissionError", "ProcessLookupError", "RecursionError", "ReferenceError",
    "ResourceWarning", "RuntimeError", "RuntimeWarning", "StopAsyncIteration", "StopIteration",
    "SyntaxError", "SyntaxWarning", "SystemError", "SystemExit", "TabError", "TimeoutError",
    "True", "TypeError", "UnboundLocalError", "UnicodeDecodeError", "UnicodeEncodeError",
    "UnicodeError", "UnicodeTranslateError", "UnicodeWarning", "UserWarning", "ValueError",
    "Warning", "ZeroDivisionError", "__build_class__", "__debug__", "__import__", "abs", "aiter",
    "all", "anext", "any", "ascii", "bin", "bool", "breakpoint", "bytearray", "bytes", "callable",
    "chr", "classmethod", "compile", "complex", "copyright", "credits", "delattr", "dict", "dir",
    "divmod", "enumerate", "eval", "exec", "exit", "filter", "float", "format", "frozenset",
    "getattr", "globals", "hasattr", "hash", "help", "hex", "id", "input", "int", "isinstance",
    "issubclass", "iter", "len", "license", "list", "locals", "map", "max", "memoryview", "min",
    "next", "object", "oct", "open", "ord", "pow", "print", "property", "quit", "range", "repr",
    "reversed", "round", "set", "setattr", "slice", "sorted", "staticmethod", "str", "sum",
    "super", "tuple", "type", "vars", "zip",
};

// Qualified names (as Symbol::QualifiedName prints them) of decorators after which the decorated
// name still denotes the function: caches, grad-mode context managers, method kinds and the like
// wrap the function but run it unchanged. Sorted for binary search.
constexpr std::array<std::string_view, 30> kTransparentDecorators = {
    "<builtin>.classmethod",
    "<builtin>.property",
    "<builtin>.staticmethod",
    "abc.abstractmethod",
    "contextlib.asynccontextmanager",
    "contextlib.contextmanager",
    "dataclasses.dataclass",
    "dataclasses.dataclass()",
    "functools.cache",
    "functools.cached_property",
    "functools.lru_cache",
    "functools.lru_cache()",
    "functools.singledispatch",
    "functools.total_ordering",
    "functools.wraps()",
    "torch.autocast()",
    "torch.compile",
    "torch.compile()",
    "torch.cuda.amp.autocast()",
    "torch.enable_grad",
    "torch.enable_grad()",
    "torch.inference_mode",
    "torch.inference_mode()",
    "torch.jit.script",
    "torch.no_grad",
    "torch.no_grad()",
    "torch.set_grad_enabled()",
    "typing.final",
    "typing.overload",
    "typing_extensions.override",
};

template <size_t N>
bool Contains(const std::array<std::string_view, N>& sorted, absl::string_view name) {
  return std::binary_search(sorted.begin(), sorted.end(),
                            std::string_view(name.data(), name.size()));
}

}  // namespace

bool Resolver::IsBuiltinName(absl::string_view name) { return Contains(kBuiltinNames, name); }

bool Resolver::IsTransparentDecorator(absl::string_view qualified_name) {
  return Contains(kTransparentDecorators, qualified_name);
}

// Compile-time guard: the binary searches above need sorted tables.
static_assert(std::is_sorted(kBuiltinNames.begin(), kBuiltinNames.end()));
static_assert(std::is_sorted(kTransparentDecorators.begin(), kTransparentDecorators.end()));

}  // namespace flopscope::ir
