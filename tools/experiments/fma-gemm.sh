#!/usr/bin/env bash
# Does fused multiply-add lift the wasm core's GEMM? Wasm SIMD128 has no FMA; Node 20 offers relaxed SIMD's
# f32x4.relaxed_madd behind --experimental-wasm-relaxed-simd (x86 vfmadd where the CPU has FMA3). This builds a
# copy of packages/core-wasm whose GEMM inner products are relaxed_madd instead of mul-then-add (every
# `f32x4.add(c, f32x4.mul(a, b))` in assembly/gemm.ts), and times the engine's training step on it against the
# checkout's core, alternating in one process (`opto bench --baseline-core`). Issue 23's 3x target on mlp4-d128
# would need a faster GEMM: on the AMD EPYC (Zen 5) of the team's machines the FMA core was 3% slower
# (16.84 vs 16.32 CPU ms/step), since mul and add already issue on separate pipes. Losses differ: FMA rounds once.
#   tools/experiments/fma-gemm.sh [model]     (default mlp4-d128; needs `npm run build`)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
MODEL=${1:-mlp4-d128}
DIR=$(mktemp -d /tmp/opto-fma-core.XXXXXX)
trap 'rm -rf "$DIR"' EXIT
cp -r "$ROOT/packages/core-wasm/assembly" "$ROOT/packages/core-wasm/dist" "$DIR/"
mkdir "$DIR/build"
perl -pi -e 's/f32x4\.add\((\w+), f32x4\.mul\(((?:[^(),]|\([^()]*\))+), ((?:[^()]|\([^()]*\))+?)\)\)/f32x4.relaxed_madd($2, $3, $1)/g' "$DIR/assembly/gemm.ts"
echo "gemm.ts: $(grep -o relaxed_madd "$DIR/assembly/gemm.ts" | wc -l) fused products, $(grep -c 'f32x4.mul' "$DIR/assembly/gemm.ts") plain multiplies left (scaling by alpha)"
"$ROOT/node_modules/.bin/asc" "$DIR/assembly/index.ts" -o "$DIR/build/core.wasm" -O3 --runtime stub --enable simd,relaxed-simd --noAssert --initialMemory 16
# "baseline" in the table below is the FMA core, "this" the checkout's
node --experimental-wasm-relaxed-simd "$ROOT/apps/cli/dist/main.js" bench --model "$MODEL" --baseline-core "$DIR"
