#!/usr/bin/env bash
# Build the npm package: the wasm tree's tensormem_js target, which assembles
# build/wasm/bindings/js/package (ready for `npm pack`). Prints its path.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

[[ "${TM_SKIP_SETUP:-0}" == 1 ]] || tm_setup
tm_build wasm tensormem_js
echo "package: ${TM_BUILD}/wasm/bindings/js/package"
