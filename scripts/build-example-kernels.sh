#!/usr/bin/env bash
# Build the example kernel package (examples/kernels: spectrogram and rowRms) exactly
# as a user would: install tensormem's wasm build into a fresh prefix, then configure
# examples/kernels against that prefix with find_package and build it. The last line
# is "package: <dir>", the package directory (ready for `npm pack`).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

[[ "${TM_SKIP_SETUP:-0}" == 1 ]] || tm_setup
tm_build wasm tensormem

work="${TM_BUILD}/example-kernels"
prefix="${work}/prefix"
tm_log "install tensormem (wasm) into a fresh prefix ${prefix}"
rm -rf "${work}"
cmake --install "${TM_BUILD}/wasm" --prefix "${prefix}" >/dev/null

# Emscripten's CMake toolchain searches packages only inside its sysroot
# (CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY); BOTH lets CMAKE_PREFIX_PATH work as usual.
tm_log "configure examples/kernels against ${prefix}"
emcmake cmake -S "${TM_ROOT}/examples/kernels" -B "${work}/build" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="${prefix}" -DCMAKE_FIND_ROOT_PATH_MODE_PACKAGE=BOTH \
  -DCMAKE_CROSSCOMPILING_EMULATOR="$(command -v node)"
tm_log "build examples/kernels"
cmake --build "${work}/build" -j"${TM_JOBS}"
echo "package: ${work}/build/audio-kernels"
