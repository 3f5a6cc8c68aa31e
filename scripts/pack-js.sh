#!/usr/bin/env bash
# Build and pack the npm packages as users install them:
#   dist/tensormem-<version>.tgz      the runtime (scripts/build-js.sh)
#   dist/audio-kernels-<version>.tgz  the example kernel package (scripts/build-example-kernels.sh)
# Install one with `npm install ./dist/tensormem-<version>.tgz`.
#
# Then it installs them (and the test kernel package) into the project every JS check
# uses, build/js-test/: node's tests, the examples, the benchmarks, the browser and
# bundler checks import `tensormem` from build/js-test/node_modules, as a user's app
# would. One install per run, from the tarballs only (no registry).
#
# TM_SKIP_BUILD=1 packs what is built already. Prints the tarballs' paths.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

if [[ "${TM_SKIP_BUILD:-0}" != 1 ]]; then
  bash "${TM_ROOT}/scripts/build-js.sh"
  TM_SKIP_SETUP=1 bash "${TM_ROOT}/scripts/build-example-kernels.sh"
fi

dist="${TM_ROOT}/dist"
packs="${TM_JS_TEST_PROJECT}/packs"
mkdir -p "${dist}" "${packs}"

# pack_into <package dir> <destination>: the tarball's path.
pack_into() {
  [[ -f "$1/package.json" ]] || { echo "pack-js.sh: no package at $1 (build it first)" >&2; return 1; }
  local name
  name="$(cd "$2" && npm pack "$1" --silent | tail -n 1)"
  printf '%s/%s\n' "$2" "${name}"
}

tm_log "npm pack"
base="$(pack_into "${TM_JS_BUILT_PACKAGE}" "${dist}")"
audio="$(pack_into "${TM_EXAMPLE_KERNELS_BUILT_PACKAGE}" "${dist}")"
test_kernels="$(pack_into "${TM_TEST_KERNELS_BUILT_PACKAGE}" "${packs}")"

tm_log "install the tarballs into ${TM_JS_TEST_PROJECT}"
node "${TM_ROOT}/tests/js/install/project.mjs" "${TM_JS_TEST_PROJECT}" "${base}" "${audio}" "${test_kernels}"

echo "tarball: ${base}"
echo "tarball: ${audio}"
