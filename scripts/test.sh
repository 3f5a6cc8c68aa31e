#!/usr/bin/env bash
# Build build/{native,asan,wasm}, run ctest in each, smoke-run the benchmarks, and end
# with one line "N passed, N failed" (summed over the three ctest runs).
# Exits non-zero if any build, test or benchmark smoke run failed.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

tm_setup

trees=(native asan wasm)
total_passed=0
total_failed=0
problems=()

for tree in "${trees[@]}"; do
  start=${SECONDS}
  if ! tm_build "${tree}"; then
    problems+=("${tree}: build failed")
    continue
  fi
  echo "${tree}: build took $((SECONDS - start)) s"

  tm_log "ctest ${tree}"
  log="${TM_BUILD}/${tree}/ctest.log"
  status=0
  (cd "${TM_BUILD}/${tree}" && ctest --output-on-failure --no-tests=error \
     -j"${TM_JOBS}" --timeout 300) 2>&1 | tee "${log}" || status=$?
  # ctest's summary: "97% tests passed, 1 tests failed out of 35"
  summary="$(grep -E '[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "${log}" | tail -n 1 || true)"
  if [[ -z "${summary}" ]]; then
    problems+=("${tree}: ctest produced no summary (exit ${status})")
    continue
  fi
  failed="$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"${summary}")"
  total="$(sed -E 's/.* failed out of ([0-9]+).*/\1/' <<<"${summary}")"
  total_failed=$((total_failed + failed))
  total_passed=$((total_passed + total - failed))
  ((status == 0)) || ((failed > 0)) || problems+=("${tree}: ctest exited with ${status}")
done

# Benchmarks: a very short run of every benchmark, so they keep compiling and running.
bench_args=(--benchmark_min_time=0.01)
run_bench() {
  local name="$1"; shift
  tm_log "benchmark smoke run (${name})"
  local start=${SECONDS}
  if "$@" "${bench_args[@]}"; then
    echo "${name}: benchmarks took $((SECONDS - start)) s"
  else
    problems+=("benchmark smoke run (${name}) failed")
  fi
}
if [[ -x "${TM_BUILD}/native/bench/tensormem_bench" ]]; then
  run_bench native "${TM_BUILD}/native/bench/tensormem_bench"
else
  problems+=("native benchmark binary missing")
fi
if [[ -f "${TM_BUILD}/wasm/bench/tensormem_bench.js" ]]; then
  run_bench wasm node "${TM_BUILD}/wasm/bench/tensormem_bench.js"
else
  problems+=("wasm benchmark binary missing")
fi

echo
for p in "${problems[@]+"${problems[@]}"}"; do
  echo "FAILED: ${p}"
done
echo "${total_passed} passed, ${total_failed} failed"
((total_failed == 0 && ${#problems[@]} == 0))
