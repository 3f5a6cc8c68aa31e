#!/usr/bin/env bash
# Build build/{native,asan,wasm} and run ctest in each; fuzz for 60 s (build/fuzz, clang;
# TM_FUZZ_SECONDS to change); build and pack the npm package and
# the example kernel package (against an installed tensormem), install the tarballs, and
# run the JS checks on them (node's test runner, the TypeScript consumer, headless
# Chromium for the packages and for the memory inspector's page, an app per bundler in
# Chromium); smoke-run the benchmarks. Ends with one line "N passed, N failed" (summed
# over every test run) after the time each step took. Exits non-zero if anything failed.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

total_passed=0
total_failed=0
problems=()
timings=()

# timed <label> <command...>: runs it in this shell and records how long it took.
timed() {
  local label="$1"; shift
  local start=${SECONDS} status=0
  "$@" || status=$?
  timings+=("$(printf '%-34s %5d s' "${label}" $((SECONDS - start)))")
  echo "${label}: $((SECONDS - start)) s"
  return "${status}"
}

# add_counts <label> <passed> <failed>
add_counts() {
  total_passed=$((total_passed + $2))
  total_failed=$((total_failed + $3))
  echo "${1}: $2 passed, $3 failed"
}

timed setup tm_setup

run_ctest() {
  local tree="$1" log="${TM_BUILD}/$1/ctest.log" status=0 summary failed total
  tm_log "ctest ${tree}"
  (cd "${TM_BUILD}/${tree}" && ctest --output-on-failure --no-tests=error \
     -j"${TM_JOBS}" --timeout 300) 2>&1 | tee "${log}" || status=$?
  # ctest's summary: "97% tests passed, 1 tests failed out of 35"
  summary="$(grep -E '[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "${log}" | tail -n 1 || true)"
  if [[ -z "${summary}" ]]; then
    problems+=("${tree}: ctest produced no summary (exit ${status})")
    return
  fi
  failed="$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"${summary}")"
  total="$(sed -E 's/.* failed out of ([0-9]+).*/\1/' <<<"${summary}")"
  add_counts "ctest ${tree}" $((total - failed)) "${failed}"
  ((status == 0)) || ((failed > 0)) || problems+=("${tree}: ctest exited with ${status}")
}

for tree in native asan wasm; do
  if timed "build ${tree}" tm_build "${tree}"; then
    timed "ctest ${tree}" run_ctest "${tree}"
  else
    problems+=("${tree}: build failed")
  fi
done

# ---- the libFuzzer target, natively for a bounded time (build/fuzz, clang) ----
# New inputs go to build/fuzz/corpus (tests/fuzz/corpus is read, never written);
# a crash leaves its input in build/fuzz/artifacts/ and fails the run.
TM_FUZZ_SECONDS="${TM_FUZZ_SECONDS:-60}"
run_fuzzer() {
  local dir="${TM_BUILD}/fuzz" log="${TM_BUILD}/fuzz/fuzz.log" status=0 runs
  mkdir -p "${dir}/corpus" "${dir}/artifacts"
  tm_log "fuzz ${TM_FUZZ_SECONDS} s"
  "${dir}/tests/fuzz/tensor_ops_fuzzer" -max_total_time="${TM_FUZZ_SECONDS}" -timeout=20 \
    -artifact_prefix="${dir}/artifacts/" "${dir}/corpus" "${TM_ROOT}/tests/fuzz/corpus" >"${log}" 2>&1 || status=$?
  tail -n 5 "${log}"
  runs="$(sed -nE 's/^Done ([0-9]+) runs in.*/\1/p' "${log}" | tail -n 1)"
  if ((status == 0)) && [[ -n "${runs}" ]]; then
    add_counts "fuzz (${runs} inputs in ${TM_FUZZ_SECONDS} s)" 1 0
  else
    add_counts "fuzz" 0 1
    problems+=("fuzz: exit ${status}; see ${log} and ${dir}/artifacts/")
  fi
}
if timed "build fuzz" tm_build fuzz tensor_ops_fuzzer; then
  timed "fuzz" run_fuzzer
else
  problems+=("fuzz: build failed")
fi

# ---- JavaScript: the npm package, under node, as a TypeScript consumer, in Chromium ----

# run_counted <label> <log> <summary-regex> <command...>: runs the command, then takes
# "<label>: N passed, M failed" from the last line of its output matching the regex.
run_counted() {
  local label="$1" log="$2" pattern="$3" status=0 summary
  shift 3
  tm_log "${label}"
  "$@" 2>&1 | tee "${log}" || status=$?
  summary="$(grep -E "${pattern}" "${log}" | tail -n 1 || true)"
  if [[ -z "${summary}" ]]; then
    problems+=("${label}: no summary (exit ${status})")
    return
  fi
  local passed failed
  passed="$(sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed.*/\1/' <<<"${summary}")"
  failed="$(sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed.*/\2/' <<<"${summary}")"
  add_counts "${label}" "${passed}" "${failed}"
  ((status == 0)) || ((failed > 0)) || problems+=("${label}: exited with ${status}")
}

# node --test's TAP summary: "# pass N", "# fail N", "# cancelled N" (cancelled = failed).
run_node_tests() {
  local log="${TM_BUILD}/js-node-tests.log" status=0 passed failed cancelled
  tm_log "node --test tests/js/"
  (cd "${TM_ROOT}" && timeout 900 node --test --expose-gc --test-reporter=tap tests/js/) 2>&1 \
    | tee "${log}" || status=$?
  passed="$(sed -nE 's/^# pass ([0-9]+)$/\1/p' "${log}" | tail -n 1)"
  failed="$(sed -nE 's/^# fail ([0-9]+)$/\1/p' "${log}" | tail -n 1)"
  cancelled="$(sed -nE 's/^# cancelled ([0-9]+)$/\1/p' "${log}" | tail -n 1)"
  if [[ -z "${passed}" || -z "${failed}" ]]; then
    problems+=("node tests: no summary (exit ${status})")
    return
  fi
  ((passed + failed > 0)) || problems+=("node tests: no tests found in tests/js/")
  add_counts "node tests" "${passed}" $((failed + ${cancelled:-0}))
  ((status == 0)) || ((failed + ${cancelled:-0} > 0)) || problems+=("node tests: exited with ${status}")
}

# Every JS check uses the packages as users install them: pack-js.sh builds and packs the
# tarballs (dist/) and installs them once into build/js-test/.
if timed "build, pack, install npm packages" env TM_SKIP_SETUP=1 bash "${TM_ROOT}/scripts/pack-js.sh"; then
  timed "node tests" run_node_tests
  timed "TypeScript consumer" run_counted "TypeScript consumer" "${TM_BUILD}/js-consumer.log" \
    '^consumer: [0-9]+ passed, [0-9]+ failed' bash "${TM_ROOT}/tests/js/consumer/run.sh"
  timed "browser (chromium)" run_counted "browser (chromium)" "${TM_BUILD}/js-browser.log" \
    '^browser: [0-9]+ passed, [0-9]+ failed' node "${TM_ROOT}/tests/js/browser/run.mjs"
  timed "bundlers (chromium)" run_counted "bundlers (chromium)" "${TM_BUILD}/js-bundlers.log" \
    '^bundlers: [0-9]+ passed, [0-9]+ failed' node "${TM_ROOT}/tests/js/bundlers/run.mjs"
else
  problems+=("npm packages: build or pack failed (scripts/pack-js.sh)")
fi

# The memory inspector's page in Chromium, on a generated snapshot (needs no wasm build).
timed "inspector (chromium)" run_counted "inspector (chromium)" "${TM_BUILD}/js-inspector.log" \
  '^inspector: [0-9]+ passed, [0-9]+ failed' node "${TM_ROOT}/tests/js/inspector/run.mjs"

# ---- benchmarks: a very short run of each, so they keep compiling and running ----

run_bench() {
  local name="$1"; shift
  tm_log "benchmark smoke run (${name})"
  timed "benchmarks ${name}" "$@" || problems+=("benchmark smoke run (${name}) failed")
}
bench_args=(--benchmark_min_time=0.01)
if [[ -x "${TM_BUILD}/native/bench/tensormem_bench" ]]; then
  run_bench native "${TM_BUILD}/native/bench/tensormem_bench" "${bench_args[@]}"
else
  problems+=("native benchmark binary missing")
fi
if [[ -f "${TM_BUILD}/wasm/bench/tensormem_bench.js" ]]; then
  run_bench wasm node "${TM_BUILD}/wasm/bench/tensormem_bench.js" "${bench_args[@]}"
else
  problems+=("wasm benchmark binary missing")
fi
if grep -qs -- '--quick' "${TM_ROOT}/bench/js/run.mjs"; then
  run_bench js node "${TM_ROOT}/bench/js/run.mjs" --quick
fi

echo
echo "timings:"
printf '  %s\n' "${timings[@]}"
printf '  %-34s %5d s\n' total "${SECONDS}"
echo
for p in "${problems[@]+"${problems[@]}"}"; do
  echo "FAILED: ${p}"
done
echo "${total_passed} passed, ${total_failed} failed"
((total_failed == 0 && ${#problems[@]} == 0))
