#!/usr/bin/env bash
# The five-minute GPU check: WebGPU against the wasm core on this machine's adapter (one run, batched runs
# R = 1, 8, 64, 256, auto's measured verdict, a short batched sweep, the parity tests), one table with ratios. On a machine
# without a GPU it runs on the software adapter and labels every figure as such (never GPU speed).
# Usage: tools/gpu-check.sh   (from anywhere; builds first when the CLI is not built)
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f apps/cli/dist/main.js ] || npm run build --silent
exec node tools/gpu-check.mjs
