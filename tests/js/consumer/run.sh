#!/usr/bin/env bash
# The npm package as users get it: `npm pack` the package directory, install the tarball
# and typescript into an empty "type": "module" project in build/js-consumer/, compile
# main.ts (strict, nodenext, `using`) with that project's tsc and run it under node.
# Three checks (pack+install, typecheck, run); the last line is
# "consumer: N passed, M failed", and the exit status is non-zero on any failure.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../../scripts/common.sh"

here="${TM_ROOT}/tests/js/consumer"
work="${TM_BUILD}/js-consumer"
project="${work}/project"
pkg="${TENSORMEM_JS_PACKAGE}"
typescript=""
for spec in "${TM_JS_TOOL_VERSIONS[@]}"; do [[ "${spec}" == typescript@* ]] && typescript="${spec}"; done

passed=0
failed=0
finish() {
  echo "consumer: ${passed} passed, $((failed + $1)) failed"
  exit $((failed + $1 > 0))
}
# A step failed: it and the steps that depend on it count as failed.
abort() { echo "FAILED: $1"; finish "$2"; }

[[ -f "${pkg}/package.json" ]] || abort "no package at ${pkg} (build it: bash scripts/build-js.sh)" 3

rm -rf "${work}"
mkdir -p "${project}"

# 1. Pack and install. The tarball must hold the runtime and its types, not the sources.
tm_log "npm pack ${pkg}"
if ! pack_json="$(npm pack "${pkg}" --pack-destination "${work}" --json --silent)"; then
  abort "npm pack failed" 3
fi
read -r tarball files < <(node -e '
  const [info] = JSON.parse(require("fs").readFileSync(0, "utf8"));
  console.log(info.filename, info.files.map((f) => f.path).join(","));' <<<"${pack_json}")
echo "tarball: ${tarball} (${files//,/ })"
missing=()
for f in package.json index.mjs index.d.ts; do [[ ",${files}," == *",${f},"* ]] || missing+=("${f}"); done
[[ ",${files}," == *.wasm,* ]] || missing+=("*.wasm")
stray="$(tr ',' '\n' <<<"${files}" | grep -E '\.(cpp|hpp|h|cmake|tgz)$|CMakeLists\.txt|(^|/)node_modules/' || true)"
((${#missing[@]} == 0)) || abort "tarball lacks ${missing[*]}" 3
[[ -z "${stray}" ]] || abort "tarball holds build or source files: ${stray//$'\n'/ }" 3

printf '{ "name": "tensormem-consumer", "private": true, "type": "module" }\n' > "${project}/package.json"
cp "${here}/main.ts" "${here}/tsconfig.json" "${project}/"
tm_log "npm install ${tarball} ${typescript}"
# --prefer-offline: setup-debian.sh already fetched this typescript into npm's cache.
(cd "${project}" && npm install --no-audit --no-fund --prefer-offline "${work}/${tarball}" "${typescript}") \
  || abort "npm install failed" 3
passed=$((passed + 1))

# 2. Typecheck with the project's own tsc (`npx tsc` alone would fetch another package).
tm_log "tsc ($("${project}/node_modules/.bin/tsc" --version))"
(cd "${project}" && ./node_modules/.bin/tsc -p tsconfig.json) || abort "tsc failed" 2
passed=$((passed + 1))

# 3. Run.
tm_log "node dist/main.js"
(cd "${project}" && timeout 120 node dist/main.js) || abort "the consumer program failed" 1
passed=$((passed + 1))
finish 0
