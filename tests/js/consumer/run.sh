#!/usr/bin/env bash
# The npm package as users get it: `npm pack` the package directory, install the tarball
# and typescript into an empty "type": "module" project in build/js-consumer/, compile
# main.ts (strict, nodenext, `using`) with that project's tsc and run it under node.
# The example kernel package (audio-kernels, scripts/build-example-kernels.sh) is packed
# and installed beside it, for kernels.ts. Both programs are typechecked twice: as in a
# browser project (DOM lib, no node types) and as in a node project (@types/node, no DOM
# lib). Five checks (pack+install, the two typechecks, run main, run kernels); the last line is
# "consumer: N passed, M failed", and the exit status is non-zero on any failure.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../../scripts/common.sh"

here="${TM_ROOT}/tests/js/consumer"
work="${TM_BUILD}/js-consumer"
project="${work}/project"
pkg="${TENSORMEM_JS_PACKAGE}"
kernels_pkg="${TENSORMEM_EXAMPLE_KERNELS_PACKAGE:-${TM_BUILD}/example-kernels/build/audio-kernels}"
# The typescript and @types/node that setup-debian.sh cached.
ts_specs=()
for spec in "${TM_JS_TOOL_VERSIONS[@]}"; do
  [[ "${spec}" == typescript@* || "${spec}" == @types/node@* ]] && ts_specs+=("${spec}")
done

passed=0
failed=0
finish() {
  echo "consumer: ${passed} passed, $((failed + $1)) failed"
  exit $((failed + $1 > 0))
}
# A step failed: it and the steps that depend on it count as failed.
abort() { echo "FAILED: $1"; finish "$2"; }

[[ -f "${pkg}/package.json" ]] || abort "no package at ${pkg} (build it: bash scripts/build-js.sh)" 5
[[ -f "${kernels_pkg}/package.json" ]] \
  || abort "no kernel package at ${kernels_pkg} (build it: bash scripts/build-example-kernels.sh)" 5

rm -rf "${work}"
mkdir -p "${project}"

# 1. Pack and install. The tarball must hold the runtime and its types, not the sources.
tm_log "npm pack ${pkg}"
if ! pack_json="$(npm pack "${pkg}" --pack-destination "${work}" --json --silent)"; then
  abort "npm pack failed" 5
fi
read -r tarball files < <(node -e '
  const [info] = JSON.parse(require("fs").readFileSync(0, "utf8"));
  console.log(info.filename, info.files.map((f) => f.path).join(","));' <<<"${pack_json}")
echo "tarball: ${tarball} (${files//,/ })"
missing=()
for f in package.json index.mjs index.d.ts; do [[ ",${files}," == *",${f},"* ]] || missing+=("${f}"); done
[[ ",${files}," == *.wasm,* ]] || missing+=("*.wasm")
stray="$(tr ',' '\n' <<<"${files}" | grep -E '\.(cpp|hpp|h|cmake|tgz)$|CMakeLists\.txt|(^|/)node_modules/' || true)"
((${#missing[@]} == 0)) || abort "tarball lacks ${missing[*]}" 5
[[ -z "${stray}" ]] || abort "tarball holds build or source files: ${stray//$'\n'/ }" 5

kernels_tarball="$(npm pack "${kernels_pkg}" --pack-destination "${work}" --silent | tail -n 1)" \
  || abort "npm pack ${kernels_pkg} failed" 5
printf '{ "name": "tensormem-consumer", "private": true, "type": "module" }\n' > "${project}/package.json"
cp "${here}/main.ts" "${here}/kernels.ts" "${here}/tsconfig.json" "${here}/tsconfig.node.json" "${project}/"
tm_log "npm install ${tarball} ${kernels_tarball} ${ts_specs[*]}"
# --prefer-offline: setup-debian.sh already fetched these into npm's cache.
(cd "${project}" && npm install --no-audit --no-fund --prefer-offline "${work}/${tarball}" \
  "${work}/${kernels_tarball}" "${ts_specs[@]}") || abort "npm install failed" 5
passed=$((passed + 1))

# 2. Typecheck with the project's own tsc (`npx tsc` alone would fetch another package),
# both ways; the node-flavoured check does not stop the run.
tm_log "tsc -p tsconfig.node.json: @types/node, no DOM lib"
if (cd "${project}" && ./node_modules/.bin/tsc -p tsconfig.node.json); then
  passed=$((passed + 1))
else
  echo "FAILED: tsc -p tsconfig.node.json"
  failed=$((failed + 1))
fi
tm_log "tsc -p tsconfig.json ($("${project}/node_modules/.bin/tsc" --version)): DOM lib, no node types"
(cd "${project}" && ./node_modules/.bin/tsc -p tsconfig.json) || abort "tsc -p tsconfig.json failed" 3
passed=$((passed + 1))

# 3. Run.
tm_log "node dist/main.js"
if (cd "${project}" && timeout 120 node dist/main.js); then
  passed=$((passed + 1))
else
  echo "FAILED: the consumer program main.ts"
  failed=$((failed + 1))
fi
tm_log "node dist/kernels.js"
(cd "${project}" && timeout 120 node dist/kernels.js) || abort "the kernel consumer program failed" 1
passed=$((passed + 1))
finish 0
