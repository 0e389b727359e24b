/** Human-readable renderings of engine results for the terminal. */
import { LEARNED_LOSS, type RunSummary } from '@optoscope/engine';

export function formatSummary(s: RunSummary): string {
  const sets = Object.keys(s.final);
  const w = Math.max(...sets.map((x) => x.length), 8);
  const lines = [
    '',
    `run ${s.run_dir}: ${s.seqs.toLocaleString('en-US')} sequences, ${s.steps.toLocaleString('en-US')} steps on ${s.backend}, ${s.ms_per_step.toFixed(3)} ms/step, ${s.wall_s.toFixed(1)} s wall`,
    '',
    `${'eval set'.padEnd(w)}   initial loss   acc     final loss   acc`,
  ];
  for (const set of sets) {
    const i = s.initial[set];
    const f = s.final[set];
    lines.push(
      `${set.padEnd(w)}   ${fmt(i?.loss).padStart(12)}   ${fmt(i?.acc, 3).padStart(5)}   ${fmt(f.loss).padStart(10)}   ${fmt(f.acc, 3).padStart(5)}`,
    );
  }
  // Learning time is the paper's measure (fsl_train); the tasks of issue 23 have their own checks.
  if (!('fsl_train' in s.final)) return lines.join('\n');
  lines.push('');
  lines.push(
    s.learned
      ? `learning time (first eval with fsl_train loss < 0.4·ln 2 = ${LEARNED_LOSS.toFixed(3)}): ${s.learning_time.toLocaleString('en-US')} sequences`
      : `not learned: fsl_train loss never fell below 0.4·ln 2 = ${LEARNED_LOSS.toFixed(3)} (learning time = last eval, ${s.learning_time.toLocaleString('en-US')})`,
  );
  return lines.join('\n');
}

function fmt(x: number | undefined, digits = 4): string {
  return x === undefined ? '-' : x.toFixed(digits);
}
