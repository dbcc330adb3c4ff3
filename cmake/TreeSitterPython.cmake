# Fetches the Python grammar (npm package tree-sitter-python, pinned) into the build tree at
# configure time, checks its sha512 against the value pinned here, and builds it as a static
# library. The grammar's source is third-party and is never committed.
#
# 0.23.6 declares LANGUAGE_VERSION 14, the newest ABI Debian 12's tree-sitter runtime (0.20.7)
# loads; 0.25 declares 15 and would not load.
set(FLOPSCOPE_TS_PYTHON_VERSION "0.23.6")
# The npm registry's dist.integrity for that version, as hex.
set(FLOPSCOPE_TS_PYTHON_SHA512
    "c8833dcf4a31288c53edb02d3ce860a1597a8135e59a5221b9eee58854f8a013c5fe585aec76b8750052f3602fea130c459a159c5248f0cea62fe4b05a82c3dc")

set(_ts_dir "${CMAKE_BINARY_DIR}/_deps/tree-sitter-python-${FLOPSCOPE_TS_PYTHON_VERSION}")
set(_ts_tgz "${_ts_dir}/tree-sitter-python-${FLOPSCOPE_TS_PYTHON_VERSION}.tgz")

if(NOT EXISTS "${_ts_dir}/package/src/parser.c")
  file(MAKE_DIRECTORY "${_ts_dir}")
  if(NOT EXISTS "${_ts_tgz}")
    find_program(NPM_EXECUTABLE npm REQUIRED)
    message(STATUS "Fetching tree-sitter-python ${FLOPSCOPE_TS_PYTHON_VERSION} with npm pack")
    execute_process(
      COMMAND "${NPM_EXECUTABLE}" pack "tree-sitter-python@${FLOPSCOPE_TS_PYTHON_VERSION}"
              --pack-destination "${_ts_dir}" --silent
      WORKING_DIRECTORY "${_ts_dir}"
      RESULT_VARIABLE _npm_result
      OUTPUT_QUIET)
    if(NOT _npm_result EQUAL 0 OR NOT EXISTS "${_ts_tgz}")
      message(FATAL_ERROR "could not fetch tree-sitter-python ${FLOPSCOPE_TS_PYTHON_VERSION} "
                          "with npm pack (exit ${_npm_result})")
    endif()
  endif()
  file(SHA512 "${_ts_tgz}" _ts_actual)
  if(NOT _ts_actual STREQUAL FLOPSCOPE_TS_PYTHON_SHA512)
    file(REMOVE "${_ts_tgz}")
    message(FATAL_ERROR "tree-sitter-python tarball integrity mismatch:\n"
                        "  expected ${FLOPSCOPE_TS_PYTHON_SHA512}\n  actual   ${_ts_actual}")
  endif()
  file(ARCHIVE_EXTRACT INPUT "${_ts_tgz}" DESTINATION "${_ts_dir}")
endif()

add_library(tree_sitter_python STATIC
  "${_ts_dir}/package/src/parser.c"
  "${_ts_dir}/package/src/scanner.c")
target_include_directories(tree_sitter_python PRIVATE "${_ts_dir}/package/src")
# The generated parser is a huge table; optimizing it costs build time and buys little.
set_source_files_properties("${_ts_dir}/package/src/parser.c" PROPERTIES COMPILE_OPTIONS "-O1;-w")
set_source_files_properties("${_ts_dir}/package/src/scanner.c" PROPERTIES COMPILE_OPTIONS "-w")
set_target_properties(tree_sitter_python PROPERTIES C_STANDARD 11 POSITION_INDEPENDENT_CODE ON)
