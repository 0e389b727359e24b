#!/usr/bin/env bash
# Claim 23 (App. Fig. 15) at s = 0 with only the clamped head active: what does that head learn?
# Trains the s = 0 match-clamped run with the other seven Layer-2 heads ablated (3e5 sequences, ~4 min on
# one core), then evaluates its final checkpoint under eval-time variants of the clamp and ablations and
# prints loss, accuracy, accuracy among the two in-context labels and the probability mass on them.
#   tools/experiments/claim23-negative-copy.sh [out-dir]      (needs `npm run build`; opto = apps/cli/dist/main.js)
set -euo pipefail
OUT=${1:-runs/claim23}
OPTO="node $(dirname "$0")/../../apps/cli/dist/main.js"
RUN=$OUT/s0-only-L2H3
mkdir -p "$OUT/specs"
[ -f "$RUN/run.json" ] || $OPTO train --preset fig15 --match 1:3@0 --only-head 1:3 --seqs 300000 --out "$RUN" --no-progress
OTHERS='"1:0","1:1","1:2","1:4","1:5","1:6","1:7"'
L1='"0:0","0:1","0:2","0:3","0:4","0:5","0:6","0:7"'
spec() { echo "{\"version\":1,$1}" > "$OUT/specs/$2.json"; }
spec "\"match\":{\"heads\":[\"1:3\"],\"strength\":0},\"ablate\":[$OTHERS]" as-trained-s0
spec "\"match\":{\"heads\":[\"1:3\"],\"strength\":1},\"ablate\":[$OTHERS]" eval-s1
spec "\"match\":{\"heads\":[\"1:3\"],\"strength\":0.5},\"ablate\":[$OTHERS]" eval-s0.5
spec "\"ablate\":[$OTHERS,\"1:3\"]" no-layer2
spec "\"match\":{\"heads\":[\"1:3\"],\"strength\":0},\"ablate\":[$OTHERS,$L1]" s0-no-layer1
printf '%-14s %-11s %7s %6s %12s %14s\n' variant set loss acc in-ctx-acc in-ctx-mass
for v in as-trained-s0 eval-s1 eval-s0.5 no-layer2 s0-no-layer1; do
  $OPTO eval "$RUN" --clamp "$OUT/specs/$v.json" --json 2>/dev/null | tail -1 | node -e '
    const d = JSON.parse(require("fs").readFileSync(0, "utf8")).metrics;
    for (const s of ["fsl_train", "fsl_val_rl"]) {
      const m = d[s];
      console.log(process.argv[1].padEnd(14), s.padEnd(11), m.loss.toFixed(3).padStart(7), m.acc.toFixed(3).padStart(6), m.in_context_acc.toFixed(3).padStart(12), m.use_context_prob.toFixed(3).padStart(14));
    }' "$v"
done
