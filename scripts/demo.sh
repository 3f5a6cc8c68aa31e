#!/usr/bin/env bash
# Build the demo natively and for wasm, then run it natively and under node.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

tm_setup
tm_build native tensormem_demo
tm_build wasm tensormem_demo

printf '\n===== tensormem_demo: native =====\n'
"${TM_BUILD}/native/examples/tensormem_demo"
printf '\n===== tensormem_demo: wasm (node %s) =====\n' "$(node --version)"
node "${TM_BUILD}/wasm/examples/tensormem_demo.js"
