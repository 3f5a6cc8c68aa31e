# Every Emscripten flag tensormem uses, in one place. Included only when EMSCRIPTEN.

# Requirements of the library itself, exported as INTERFACE usage requirements of
# tensormem::tensormem so every object in a program agrees on them:
# - -fwasm-exceptions on compile AND link: without it `catch` never runs.
# - -msimd128 -mbulk-memory: SIMD loops, and memcpy/memset as wasm instructions
#   (without bulk memory, copies >= 512 B call out to JS).
# - Growable heap up to 2 GB, and malloc returning NULL instead of aborting, so running
#   out of memory is a tensormem OUT_OF_MEMORY error, never an abort.
set(TENSORMEM_WASM_COMPILE_OPTIONS -fwasm-exceptions -msimd128 -mbulk-memory)
# The heap's maximum, also compiled into the JS runtime (a standalone module
# cannot ask its memory for its maximum; tm_init refuses a larger maxMemory).
set(TENSORMEM_WASM_MAXIMUM_MEMORY 2147483648)
set(TENSORMEM_WASM_LINK_OPTIONS
    -fwasm-exceptions -sALLOW_MEMORY_GROWTH=1 -sMAXIMUM_MEMORY=${TENSORMEM_WASM_MAXIMUM_MEMORY}
    -sABORTING_MALLOC=0)

# Only for our own programs run as command-line tools under node (tests, demo, bench);
# not exported, since an npm module or a browser page wants other loader settings.
# - WASM_ASYNC_COMPILATION=0: node 20's fetch cannot load the .wasm from a file path.
# - EXIT_RUNTIME=1: flush stdio and run atexit handlers when main returns. The exit
#   code reaches node either way, but without it unflushed output is lost.
set(TENSORMEM_WASM_PROGRAM_LINK_OPTIONS -sWASM_ASYNC_COMPILATION=0 -sEXIT_RUNTIME=1)

# emcmake sets the emulator to "node;--experimental-wasm-threads"; node 20 rejects that
# flag, so every test would fail. Drop it (targets copy the emulator when created).
if(CMAKE_CROSSCOMPILING_EMULATOR MATCHES "--experimental-wasm-threads")
  list(REMOVE_ITEM CMAKE_CROSSCOMPILING_EMULATOR "--experimental-wasm-threads")
endif()

# tensormem_wasm_compile_like_us(<target>...): third-party code built in our tree
# (GoogleTest, Google Benchmark) must use the same exception model as our objects.
function(tensormem_wasm_compile_like_us)
  foreach(target IN LISTS ARGN)
    target_compile_options(${target} PRIVATE ${TENSORMEM_WASM_COMPILE_OPTIONS})
  endforeach()
endfunction()
