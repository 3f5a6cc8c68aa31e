# Shared by scripts/*.sh: paths, environment and the three build trees.
# Sourced, not run. Callers have already done `set -euo pipefail`.

TM_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TM_BUILD="${TM_ROOT}/build"
TM_DEPS="${TM_BUILD}/deps"
TM_JOBS="$(nproc)"

# Emscripten's optimizer needs Debian's acorn; the machine's node does not look there.
export NODE_PATH="/usr/share/nodejs${NODE_PATH:+:${NODE_PATH}}"

# The package directories the builds assemble (scripts/build-js.sh,
# scripts/build-example-kernels.sh), and the project the JS checks install their
# tarballs into (scripts/pack-js.sh): every check uses the installed copies.
TM_JS_BUILT_PACKAGE="${TM_BUILD}/wasm/bindings/js/package"
TM_TEST_KERNELS_BUILT_PACKAGE="${TM_BUILD}/wasm/tests/js/kernels/package"
TM_EXAMPLE_KERNELS_BUILT_PACKAGE="${TM_BUILD}/example-kernels/build/audio-kernels"
TM_JS_TEST_PROJECT="${TM_BUILD}/js-test"
export TENSORMEM_JS_PACKAGE="${TENSORMEM_JS_PACKAGE:-${TM_JS_TEST_PROJECT}/node_modules/tensormem}"
export TENSORMEM_EXAMPLE_KERNELS_PACKAGE="${TENSORMEM_EXAMPLE_KERNELS_PACKAGE:-${TM_JS_TEST_PROJECT}/node_modules/audio-kernels}"
export TENSORMEM_TEST_KERNELS_PACKAGE="${TENSORMEM_TEST_KERNELS_PACKAGE:-${TM_JS_TEST_PROJECT}/node_modules/tensormem-test-kernels}"
# The npm tools the JS checks use (bundlers included), cached in build/js-tools. Exact
# versions: CI runs must not drift. vite 7, not 8: vite 8 needs npm 11, newer than
# Debian 12's npm.
TM_JS_TOOLS="${TM_BUILD}/js-tools"
TM_JS_TOOL_VERSIONS=(playwright-core@1.65.1 typescript@5.9.3 @types/node@20.19.43
  vite@7.3.8 webpack@5.113.0 esbuild@0.28.2)

tm_log() { printf '\n==> %s\n' "$*"; }

tm_setup() { bash "${TM_ROOT}/scripts/setup-debian.sh"; }

# The Google Benchmark source tree fetched by setup-debian.sh (empty if none).
tm_benchmark_source_dir() {
  local d
  for d in "${TM_DEPS}"/benchmark-*/; do
    [[ -f "${d}CMakeLists.txt" ]] && { printf '%s\n' "${d%/}"; return 0; }
  done
  return 0
}

# tm_configure <tree>: (re)configure build/<tree>; cheap when nothing changed.
tm_configure() {
  local tree="$1" dir="${TM_BUILD}/$1"
  local common=(-S "${TM_ROOT}" -B "${dir}" -DTENSORMEM_BUILD_TESTS=ON -DTENSORMEM_BUILD_EXAMPLES=ON
    -DTENSORMEM_WERROR=ON)
  tm_log "configure ${tree}"
  case "${tree}" in
    native)
      cmake "${common[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTENSORMEM_BUILD_BENCHMARKS=ON ;;
    asan)
      cmake "${common[@]}" -DCMAKE_BUILD_TYPE=Debug -DTENSORMEM_SANITIZE=ON \
        -DTENSORMEM_BUILD_BENCHMARKS=OFF ;;
    wasm)
      local bench_src
      bench_src="$(tm_benchmark_source_dir)"
      # emcmake's default emulator adds --experimental-wasm-threads, which node 20 rejects.
      emcmake cmake "${common[@]}" -DCMAKE_BUILD_TYPE=Release -DTENSORMEM_BUILD_BENCHMARKS=ON \
        -DCMAKE_CROSSCOMPILING_EMULATOR="$(command -v node)" \
        ${bench_src:+-DTENSORMEM_BENCHMARK_SOURCE_DIR="${bench_src}"} ;;
    fuzz)
      # The libFuzzer target only, with clang (ASan + UBSan + coverage): no tests, examples, benchmarks.
      cmake -S "${TM_ROOT}" -B "${dir}" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DTENSORMEM_BUILD_FUZZER=ON -DTENSORMEM_BUILD_TESTS=OFF -DTENSORMEM_BUILD_EXAMPLES=OFF \
        -DTENSORMEM_BUILD_BENCHMARKS=OFF -DTENSORMEM_INSTALL=OFF -DTENSORMEM_WERROR=ON ;;
    *)
      echo "unknown build tree: ${tree}" >&2; return 2 ;;
  esac
}

# tm_build <tree> [target...]: configure, then build all (or only the given targets).
# Explicit `|| return`: callers may use it in `if`, where set -e is suspended.
tm_build() {
  local tree="$1"; shift
  tm_configure "${tree}" || return
  local targets=()
  if (($#)); then targets=(--target "$@"); fi
  tm_log "build ${tree}${*:+ ($*)}"
  cmake --build "${TM_BUILD}/${tree}" -j"${TM_JOBS}" "${targets[@]}" || return
}
