#!/usr/bin/env bash
# Build the demo natively and for wasm and run it natively and under node; then build
# and pack the npm packages (the runtime, and the example kernel package against an
# installed tensormem) and install their tarballs (scripts/pack-js.sh); run the
# JavaScript demo, the example of docs/js-guide.md and the kernel demo on the installed copies.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

tm_setup
tm_build native tensormem_demo
tm_build wasm tensormem_demo

printf '\n===== tensormem_demo: native =====\n'
"${TM_BUILD}/native/examples/tensormem_demo"
printf '\n===== tensormem_demo: wasm (node %s) =====\n' "$(node --version)"
node "${TM_BUILD}/wasm/examples/tensormem_demo.js"

TM_SKIP_SETUP=1 bash "${TM_ROOT}/scripts/pack-js.sh"   # setup ran above
cd "${TM_ROOT}"
# --expose-gc lets the demo show the FinalizationRegistry safety net at work.
printf '\n===== examples/js/demo.mjs (node %s) =====\n' "$(node --version)"
node --expose-gc examples/js/demo.mjs
printf '\n===== examples/js/guide-example.mjs =====\n'
node -e '
  const fs = require("fs");
  const [doc, example] = ["docs/js-guide.md", "examples/js/guide-example.mjs"].map((f) => fs.readFileSync(f, "utf8"));
  if (!doc.includes(example.trimEnd())) throw new Error("docs/js-guide.md must show examples/js/guide-example.mjs as it is");'
node --import ./examples/js/resolve-tensormem.mjs examples/js/guide-example.mjs

printf '\n===== examples/kernels/demo.mjs: C++ kernels on views, file after file =====\n'
node examples/kernels/demo.mjs
