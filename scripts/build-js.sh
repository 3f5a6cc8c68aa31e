#!/usr/bin/env bash
# Build the npm package: the wasm tree's tensormem_js_package target, which links the
# runtime and assembles build/wasm/bindings/js/package (ready for `npm pack`), and the
# test kernel package of the node tests (build/wasm/tests/js/kernels/package). Prints
# the package's path.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

[[ "${TM_SKIP_SETUP:-0}" == 1 ]] || tm_setup
tm_build wasm tensormem_js_package tensormem_test_kernels_package
echo "package: ${TM_BUILD}/wasm/bindings/js/package"
