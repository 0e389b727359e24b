/** `--heads-from <run>` (train and sweep): pitfall 10's per-seed heads, picked from a finished unclamped run. */
import { headsFromRun, type PresetHeads } from '@optoscope/engine';

export async function headsFromFlag(run: string): Promise<PresetHeads> {
  const { heads, scores, checkpoint } = await headsFromRun(run);
  const fmt = (xs: number[]) => xs.map((x) => x.toFixed(3)).join(' ');
  process.stderr.write(
    `heads from ${run} @ ${checkpoint}: induction ${heads.ih} (strengths ${fmt(scores.induction)}), previous-token ${heads.pt}, group {${heads.ptGroup.join(', ')}} (scores at label tokens ${fmt(scores.prevTokenAtLabels)})\n`,
  );
  return heads;
}
