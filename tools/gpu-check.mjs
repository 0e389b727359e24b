/**
 * The GPU check behind tools/gpu-check.sh: every WebGPU figure README needs, in one table with ratios
 * against the wasm core, from one command on a machine with a GPU (a few minutes):
 *   1. `opto bench --webgpu`: one run's ms/step, webgpu against wasm;
 *   2. `opto bench --batched-runs R` for R = 1, 8, 64, 256: R runs per device step, sequences/s against
 *      one wasm run (R = 1 and 8 only on a software adapter);
 *   3. `--backend auto`'s measured verdict on a short run (run.json's backend.timing);
 *   4. the 200-step training parity tests on this adapter (webgpu.test.ts).
 * On a software adapter (llvmpipe, SwiftShader) it still runs end to end, with fewer steps and `--software`,
 * and every figure is labelled a software-adapter figure: they check the pipeline, never GPU speed.
 * Batched sweeps (`opto sweep` grouping members onto the device) are not built yet; the table says so.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OPTO = path.join(ROOT, 'apps/cli/bin/opto.js');
const log = (s) => process.stderr.write(`[gpu-check] ${s}\n`);

/** Run `opto ...args --json` and parse its last line. */
function optoJson(args, env = {}) {
  const r = spawnSync(process.execPath, [OPTO, ...args, '--json'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'], timeout: 1_800_000 });
  const last = r.stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(last);
  } catch {
    return { refused: `opto ${args.join(' ')} exited ${r.status}: ${last || r.stderr}` };
  }
}

const rows = [];
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}x` : '-');
const fmt = (x, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : '-');

log('1/4 opto bench --webgpu');
let first = optoJson(['bench', '--webgpu']);
const software = Boolean(first.isSoftware);
if (!first.adapter) {
  process.stdout.write(`gpu-check: no WebGPU adapter on this machine: ${first.refused}\n`);
  process.exit(1);
}
// A software adapter is far slower: fewer steps, so the whole check stays within minutes.
const steps = software ? ['--steps', '10', '--warmup', '2', '--software'] : ['--steps', '300', '--warmup', '30'];
if (software) first = optoJson(['bench', '--webgpu', ...steps]);
if (first.webgpu) rows.push(['one run, ms/step', fmt(first.webgpu.msPerStep), fmt(first.wasm.msPerStep), ratio(first.wasm.msPerStep, first.webgpu.msPerStep)]);
else rows.push(['one run, ms/step', 'not timed', '', first.refused ?? '']);

for (const R of [1, 8, 64, 256]) {
  if (software && R > 8) {
    // 64 or 256 replicas of every kernel on a CPU shader emulator take many minutes per step.
    rows.push([`${R} runs per device step, seq/s`, 'GPU only', '', 'skipped on a software adapter']);
    continue;
  }
  log(`2/4 opto bench --batched-runs ${R}`);
  const b = optoJson(['bench', '--batched-runs', String(R), ...(software ? ['--steps', '5', '--warmup', '1', '--software'] : ['--steps', '100', '--warmup', '10'])]);
  if (b.webgpu) rows.push([`${R} runs per device step, seq/s`, Math.round(b.webgpu.seqsPerSec).toLocaleString('en-US'), Math.round(b.wasm.seqsPerSec).toLocaleString('en-US'), ratio(b.webgpu.seqsPerSec, b.wasm.seqsPerSec)]);
  else rows.push([`${R} runs per device step, seq/s`, 'not timed', '', b.refused ?? '']);
}

log('3/4 --backend auto on a short run');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'opto-gpu-check-'));
try {
  optoJson(['train', '--preset', 'smoke', '--seqs', '640', '--backend', 'auto', '--out', path.join(tmp, 'run'), '--no-progress'], {
    OPTO_CACHE_DIR: path.join(tmp, 'cache'),
    ...(software && { OPTO_AUTO_TIME_SOFTWARE: '1' }),
  });
  const rec = JSON.parse(fs.readFileSync(path.join(tmp, 'run', 'run.json'), 'utf8'));
  const t = rec.backend.timing;
  if (t) rows.push(['auto: run\'s own step, ms/step', fmt(t.webgpuMsPerStep), fmt(t.wasmMsPerStep), `${ratio(t.wasmMsPerStep, t.webgpuMsPerStep)}; picked ${t.picked}`]);
  else rows.push(['auto', rec.backend.used, '', rec.backend.reason]);
} catch (e) {
  rows.push(['auto', 'failed', '', e.message.split('\n')[0]]);
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}

log('4/4 200-step parity tests on this adapter');
const parity = spawnSync('npx', ['vitest', 'run', 'packages/engine/src/backends/webgpu.test.ts', '-t', 'parity'], { cwd: ROOT, encoding: 'utf8', timeout: 1_800_000 });
const passed = /Tests\s+(?:\S+\s+)*?(\d+) passed/.exec(parity.stdout.replace(/\x1b\[[0-9;]*m/g, ''));
rows.push(['200-step parity with the reference', parity.status === 0 ? `pass (${passed?.[1] ?? '?'} tests)` : `FAIL (exit ${parity.status})`, '', '']);
rows.push(['batched sweep (opto sweep on the device)', 'not built yet', '', 'opto sweep trains members one per wasm worker']);

const head = ['check', 'webgpu', 'wasm', 'webgpu vs wasm (higher is faster)'];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
const line = (r) => `| ${r.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
const out = [
  software
    ? `SOFTWARE ADAPTER (${first.adapter}): these figures time a CPU emulating a GPU; they check the pipeline and are not GPU speed.`
    : `adapter: ${first.adapter}`,
  line(head),
  `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
  ...rows.map(line),
];
process.stdout.write(out.join('\n') + '\n');
process.exit(parity.status === 0 ? 0 : 1);
