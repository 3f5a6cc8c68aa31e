# Warnings and sanitizers for the targets tensormem builds (never for consumers).

# tensormem_set_warnings(<target>): strict warnings, PRIVATE so they never leak to users.
function(tensormem_set_warnings target)
  if(MSVC)
    target_compile_options(${target} PRIVATE /W4 /permissive-)
    if(TENSORMEM_WERROR)
      target_compile_options(${target} PRIVATE /WX)
    endif()
  else()
    target_compile_options(${target} PRIVATE
      -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion)
    if(TENSORMEM_WERROR)
      target_compile_options(${target} PRIVATE -Werror)
    endif()
  endif()
endfunction()

# Sanitizers apply to everything built in this directory tree (library, tests, examples),
# so the whole program is instrumented. Native only.
set(TENSORMEM_SANITIZE_FLAGS
    -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
# Runtime options for sanitized test runs. allocator_may_return_null: a test asks for an
# impossible size and expects OUT_OF_MEMORY, not an ASan abort.
set(TENSORMEM_SANITIZE_ENVIRONMENT
    "ASAN_OPTIONS=allocator_may_return_null=1:detect_leaks=1:abort_on_error=0"
    "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")
# The libFuzzer target (tests/fuzz) needs clang; its tree is instrumented for coverage.
option(TENSORMEM_BUILD_FUZZER "Build the libFuzzer target (clang; implies TENSORMEM_SANITIZE)" OFF)
if(TENSORMEM_BUILD_FUZZER)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang" OR EMSCRIPTEN)
    message(FATAL_ERROR "TENSORMEM_BUILD_FUZZER needs a native clang (CMAKE_CXX_COMPILER=clang++)")
  endif()
  set(TENSORMEM_SANITIZE ON)
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
if(TENSORMEM_SANITIZE)
  if(EMSCRIPTEN)
    message(WARNING "TENSORMEM_SANITIZE is supported for native builds only; ignored")
  else()
    add_compile_options(${TENSORMEM_SANITIZE_FLAGS})
    add_link_options(${TENSORMEM_SANITIZE_FLAGS})
  endif()
endif()

# tensormem_add_program(<name> <source>...): an executable of ours (test, demo, bench)
# linked to tensormem, with our warnings and, in wasm, the flags to run it under node.
function(tensormem_add_program name)
  add_executable(${name} ${ARGN})
  set_target_properties(${name} PROPERTIES CXX_EXTENSIONS OFF)
  target_link_libraries(${name} PRIVATE tensormem::tensormem)
  tensormem_set_warnings(${name})
  if(EMSCRIPTEN)
    target_link_options(${name} PRIVATE ${TENSORMEM_WASM_PROGRAM_LINK_OPTIONS})
  endif()
endfunction()
