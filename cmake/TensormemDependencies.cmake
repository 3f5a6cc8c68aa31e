# Where tensormem's dependencies come from.
#
# Natively: installed packages (Debian: libfmt-dev, libgtest-dev, libbenchmark-dev).
# Emscripten: a wasm-built package if find_package sees one (e.g. in an emsdk sysroot),
# otherwise sources/headers on the host, located through the cache variables
#   TENSORMEM_FMT_INCLUDE_DIR        directory containing fmt/format.h
#   TENSORMEM_GOOGLETEST_SOURCE_DIR  GoogleTest source tree (with googletest/ inside)
#   TENSORMEM_BENCHMARK_SOURCE_DIR   Google Benchmark source tree
# Debian's locations are only hints. The toolchain file re-roots searches into the
# Emscripten sysroot, so host paths are searched with NO_CMAKE_FIND_ROOT_PATH.

# Third-party code built in our tree: no install rules, no tests, no -Werror, and its
# headers are SYSTEM so our strict warnings do not apply to them.
set(CMAKE_POLICY_DEFAULT_CMP0077 NEW)  # let plain variables preset their option()s

# Fail early when a directory given by hand is not what we expect.
function(_tensormem_require_file var file)
  if(NOT EXISTS "${${var}}/${file}")
    message(FATAL_ERROR "${var}=${${var}} does not contain ${file}")
  endif()
endfunction()

function(_tensormem_system_includes target)
  get_target_property(dirs ${target} INTERFACE_INCLUDE_DIRECTORIES)
  if(dirs)
    set_target_properties(${target} PROPERTIES INTERFACE_SYSTEM_INCLUDE_DIRECTORIES "${dirs}")
  endif()
endfunction()

# --- fmt (PUBLIC: tensormem's headers include <fmt/format.h>) -------------------------
# Sets TENSORMEM_FMT_TARGET, and TENSORMEM_FMT_BUNDLED when the headers are shipped
# with tensormem (wasm header-only fallback).
macro(tensormem_find_fmt)
  set(TENSORMEM_FMT_BUNDLED OFF)
  if(NOT EMSCRIPTEN)
    find_package(fmt 9 CONFIG REQUIRED)
    set(TENSORMEM_FMT_TARGET fmt::fmt)
  else()
    find_package(fmt 9 CONFIG QUIET)
    if(fmt_FOUND)
      set(TENSORMEM_FMT_TARGET fmt::fmt)
    else()
      find_path(TENSORMEM_FMT_INCLUDE_DIR fmt/format.h
        HINTS /usr/include /usr/local/include NO_CMAKE_FIND_ROOT_PATH
        DOC "Directory containing fmt/format.h, used header-only in the wasm build")
      if(NOT TENSORMEM_FMT_INCLUDE_DIR)
        message(FATAL_ERROR "fmt not found: install libfmt-dev, or set "
          "TENSORMEM_FMT_INCLUDE_DIR (directory containing fmt/format.h) or fmt_DIR")
      endif()
      _tensormem_require_file(TENSORMEM_FMT_INCLUDE_DIR fmt/format.h)
      # Same minimum as the native build (FMT_VERSION is in core.h, base.h since 11).
      file(STRINGS "${TENSORMEM_FMT_INCLUDE_DIR}/fmt/core.h" _tm_fmt_version
        REGEX "^#define FMT_VERSION [0-9]+")
      if(NOT _tm_fmt_version AND EXISTS "${TENSORMEM_FMT_INCLUDE_DIR}/fmt/base.h")
        file(STRINGS "${TENSORMEM_FMT_INCLUDE_DIR}/fmt/base.h" _tm_fmt_version
          REGEX "^#define FMT_VERSION [0-9]+")
      endif()
      string(REGEX MATCH "[0-9]+" _tm_fmt_version "${_tm_fmt_version}")
      if(_tm_fmt_version LESS 90000)
        message(FATAL_ERROR "fmt in ${TENSORMEM_FMT_INCLUDE_DIR} is too old "
          "(FMT_VERSION ${_tm_fmt_version}); tensormem needs fmt 9 or newer")
      endif()
      # Link only fmt/ into a build-tree dir: /usr/include itself must never be on the
      # wasm include path (host libc headers would shadow Emscripten's).
      set(_tm_fmt_dir "${PROJECT_BINARY_DIR}/_deps/fmt-include")
      file(MAKE_DIRECTORY "${_tm_fmt_dir}")
      file(REMOVE "${_tm_fmt_dir}/fmt")
      file(CREATE_LINK "${TENSORMEM_FMT_INCLUDE_DIR}/fmt" "${_tm_fmt_dir}/fmt" SYMBOLIC)
      add_library(tensormem_fmt INTERFACE)
      set_target_properties(tensormem_fmt PROPERTIES EXPORT_NAME fmt_headers)
      target_include_directories(tensormem_fmt SYSTEM INTERFACE
        "$<BUILD_INTERFACE:${_tm_fmt_dir}>"
        "$<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}/tensormem/third_party>")
      # Not header-only: fmt's implementation is compiled once, into the tensormem
      # library (src/third_party/fmt.cpp), instead of inlined at every call site of
      # a program that formats with fmt (kernels' fail(), tests). tensormem itself
      # formats with tensormem/format.hpp and uses only fmt's shortest-digits routine.
      # FMT_STATIC_THOUSANDS_SEPARATOR: tensormem never formats with a locale, and
      # without it fmt pulls std::locale and its facets into every wasm module (~60 KB).
      target_compile_definitions(tensormem_fmt INTERFACE "FMT_STATIC_THOUSANDS_SEPARATOR=','")
      set(TENSORMEM_FMT_TARGET tensormem_fmt)
      set(TENSORMEM_FMT_BUNDLED ON)
    endif()
  endif()
endmacro()

# --- GoogleTest: defines GTest::gtest_main -------------------------------------------
macro(tensormem_find_googletest)
  if(NOT EMSCRIPTEN)
    find_package(GTest REQUIRED)
  else()
    find_package(GTest CONFIG QUIET)
    if(NOT GTest_FOUND AND NOT TARGET GTest::gtest_main)
      find_path(TENSORMEM_GOOGLETEST_SOURCE_DIR googletest/include/gtest/gtest.h
        HINTS /usr/src/googletest NO_CMAKE_FIND_ROOT_PATH
        DOC "GoogleTest source tree, built for the wasm tests")
      if(NOT TENSORMEM_GOOGLETEST_SOURCE_DIR)
        message(FATAL_ERROR "GoogleTest source not found: install libgtest-dev, or set "
          "TENSORMEM_GOOGLETEST_SOURCE_DIR to a GoogleTest checkout")
      endif()
      _tensormem_require_file(TENSORMEM_GOOGLETEST_SOURCE_DIR CMakeLists.txt)
      set(INSTALL_GTEST OFF)
      set(BUILD_GMOCK OFF)
      set(gtest_disable_pthreads ON)  # single-threaded wasm
      add_subdirectory("${TENSORMEM_GOOGLETEST_SOURCE_DIR}"
        "${PROJECT_BINARY_DIR}/_deps/googletest" EXCLUDE_FROM_ALL)
      tensormem_wasm_compile_like_us(gtest gtest_main)
      _tensormem_system_includes(gtest)
      _tensormem_system_includes(gtest_main)
    endif()
  endif()
endmacro()

# --- Google Benchmark: defines benchmark::benchmark ----------------------------------
macro(tensormem_find_benchmark)
  if(NOT EMSCRIPTEN)
    find_package(benchmark REQUIRED)
  else()
    find_package(benchmark CONFIG QUIET)
    if(NOT benchmark_FOUND AND NOT TARGET benchmark::benchmark)
      # scripts/setup-debian.sh extracts Debian's source package into build/deps/.
      file(GLOB _tm_bench_hints LIST_DIRECTORIES true
        "${PROJECT_SOURCE_DIR}/build/deps/benchmark-*")
      find_path(TENSORMEM_BENCHMARK_SOURCE_DIR include/benchmark/benchmark.h
        HINTS ${_tm_bench_hints} NO_CMAKE_FIND_ROOT_PATH NO_DEFAULT_PATH
        DOC "Google Benchmark source tree, built for the wasm benchmarks")
      if(NOT TENSORMEM_BENCHMARK_SOURCE_DIR)
        message(FATAL_ERROR "Google Benchmark source not found: run "
          "scripts/setup-debian.sh, or set TENSORMEM_BENCHMARK_SOURCE_DIR")
      endif()
      _tensormem_require_file(TENSORMEM_BENCHMARK_SOURCE_DIR CMakeLists.txt)
      set(BENCHMARK_ENABLE_TESTING OFF)
      set(BENCHMARK_ENABLE_GTEST_TESTS OFF)
      set(BENCHMARK_ENABLE_WERROR OFF)
      set(BENCHMARK_ENABLE_INSTALL OFF)
      set(BENCHMARK_INSTALL_DOCS OFF)
      # Its ~35 configure checks would each link a wasm program with em++; compiling
      # is enough to answer them, and saves ~20 s per fresh configure.
      set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
      add_subdirectory("${TENSORMEM_BENCHMARK_SOURCE_DIR}"
        "${PROJECT_BINARY_DIR}/_deps/benchmark" EXCLUDE_FROM_ALL)
      tensormem_wasm_compile_like_us(benchmark)
      _tensormem_system_includes(benchmark)
    endif()
  endif()
endmacro()
