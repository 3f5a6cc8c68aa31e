#!/usr/bin/env bash
# The npm package as users get it: install the tarballs scripts/pack-js.sh made
# (tensormem and the example kernel package audio-kernels) and typescript into an empty
# "type": "module" project in build/js-consumer/, typecheck main.ts and kernels.ts
# (strict, nodenext, `using`, no skipLibCheck) under several `lib` settings, from es2020
# without the DOM lib to esnext with it and with node's types, then compile and run them
# under node. The last line is "consumer: N passed, M failed", and the exit status is
# non-zero on any failure.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../../scripts/common.sh"

here="${TM_ROOT}/tests/js/consumer"
project="${TM_BUILD}/js-consumer/project"
# The tarballs scripts/pack-js.sh made and installed for the JS checks.
installed="${TM_JS_TEST_PROJECT}/installed.json"
# The typescript and @types/node that setup-debian.sh cached.
ts_specs=()
for spec in "${TM_JS_TOOL_VERSIONS[@]}"; do
  [[ "${spec}" == typescript@* || "${spec}" == @types/node@* ]] && ts_specs+=("${spec}")
done
# Typechecks of index.d.ts (and the programs) under these `lib` settings, without the
# DOM lib or node's types unless listed, never skipLibCheck: "name|lib|types".
lib_settings=('es2020|"ES2020"|' 'es2022|"ES2022"|' 'es2022+dom|"ES2022", "DOM"|' 'esnext|"ESNext"|'
  'esnext+dom|"ESNext", "DOM"|' 'es2022+node|"ES2022"|"node"')
total=$((1 + ${#lib_settings[@]} + 3))

passed=0
failed=0
finish() {
  echo "consumer: ${passed} passed, $((failed + $1)) failed"
  exit $((failed + $1 > 0))
}
# A step failed: it and the steps that depend on it count as failed.
abort() { echo "FAILED: $1"; finish "$2"; }

[[ -f "${installed}" ]] || abort "no ${installed} (run bash scripts/pack-js.sh)" "${total}"
read -r tarball kernels_tarball < <(node -e '
  const installed = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(installed.tensormem.tarball, installed["audio-kernels"].tarball);' "${installed}")

rm -rf "${project}"
mkdir -p "${project}"
printf '{ "name": "tensormem-consumer", "private": true, "type": "module" }\n' > "${project}/package.json"
cp "${here}/main.ts" "${here}/kernels.ts" "${here}/types-only.ts" "${here}/tsconfig.json" "${project}/"
tm_log "npm install ${tarball} ${kernels_tarball} ${ts_specs[*]}"
# --prefer-offline: setup-debian.sh already fetched these into npm's cache.
(cd "${project}" && npm install --no-audit --no-fund --prefer-offline "${tarball}" "${kernels_tarball}" \
  "${ts_specs[@]}") || abort "npm install failed" $((total - 1))
passed=$((passed + 1))

# Typecheck with the project's own tsc (`npx tsc` alone would fetch another package).
for setting in "${lib_settings[@]}"; do
  IFS='|' read -r name lib types <<<"${setting}"
  # Without host globals (console, URL, setTimeout) only types-only.ts can compile.
  files='"types-only.ts"'
  [[ "${lib}${types}" == *DOM* || "${types}" == *node* ]] && files='"types-only.ts", "main.ts", "kernels.ts"'
  printf '{ "extends": "./tsconfig.json", "compilerOptions": { "lib": [%s], "types": [%s], "noEmit": true }, "files": [%s] }\n' \
    "${lib}" "${types}" "${files}" > "${project}/tsconfig.${name}.json"
  tm_log "tsc -p tsconfig.${name}.json: lib [${lib}], types [${types}]"
  if (cd "${project}" && ./node_modules/.bin/tsc -p "tsconfig.${name}.json"); then
    passed=$((passed + 1))
  else
    echo "FAILED: tsc with lib [${lib}], types [${types}]"
    failed=$((failed + 1))
  fi
done
tm_log "tsc -p tsconfig.json ($("${project}/node_modules/.bin/tsc" --version)): emit"
(cd "${project}" && ./node_modules/.bin/tsc -p tsconfig.json) || abort "tsc -p tsconfig.json failed" 3
passed=$((passed + 1))

# Run.
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
