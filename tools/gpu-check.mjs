/**
 * The GPU check behind tools/gpu-check.sh: every WebGPU figure README needs, in one table with ratios
 * against the wasm core, from one command on a machine with a GPU (a few minutes):
 *   1. `opto bench --webgpu`: one run's ms/step, webgpu against wasm;
 *   2. `opto bench --batched-runs R` for R = 1, 8, 64, 256: R runs per device step, sequences/s against
 *      one wasm run (R = 1 and 8 only on a software adapter);
 *   3. `--backend auto`'s measured verdict on a short run (run.json's backend.timing);
 *   4. a short batched sweep (`opto sweep --backend webgpu`: 4 seeds x 2 clamps, R replicas per device
 *      step, R measured) against the same sweep on the wasm pool, sequences/s;
 *   5. the 200-step training parity tests on this adapter (webgpu.test.ts).
 * On a software adapter (llvmpipe, SwiftShader) it still runs end to end, with fewer steps and `--software`,
 * and every figure is labelled a software-adapter figure: they check the pipeline, never GPU speed.
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

log('1/5 opto bench --webgpu');
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
  log(`2/5 opto bench --batched-runs ${R}`);
  const b = optoJson(['bench', '--batched-runs', String(R), ...(software ? ['--steps', '5', '--warmup', '1', '--software'] : ['--steps', '100', '--warmup', '10'])]);
  if (b.webgpu) rows.push([`${R} runs per device step, seq/s`, Math.round(b.webgpu.seqsPerSec).toLocaleString('en-US'), Math.round(b.wasm.seqsPerSec).toLocaleString('en-US'), ratio(b.webgpu.seqsPerSec, b.wasm.seqsPerSec)]);
  else rows.push([`${R} runs per device step, seq/s`, 'not timed', '', b.refused ?? '']);
}

log('3/5 --backend auto on a short run');
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

log('4/5 a short batched sweep: 4 seeds x 2 clamps on webgpu (R measured) and on the wasm pool');
const sweepDir = fs.mkdtempSync(path.join(os.tmpdir(), 'opto-gpu-check-sweep-'));
try {
  const seqs = software ? 256 : 20_000;
  const spec = {
    name: 'gpucheck',
    base: { schedule: { seqs, evalEvery: seqs / 2, ckptEvery: seqs / 2, evalSize: software ? 32 : 200 }, optim: { batchSize: software ? 8 : 32 } },
    grid: { interventions: [{}, { ablate: ['0:3', '1:0'] }] },
    zip: { 'seeds.init': [5, 6, 7, 8], 'seeds.train': [105, 106, 107, 108] },
  };
  fs.writeFileSync(path.join(sweepDir, 's.json'), JSON.stringify(spec));
  const sweepRate = (backend) => {
    const t0 = Date.now();
    const r = spawnSync(process.execPath, [OPTO, 'sweep', 's.json', '--runs', `runs-${backend}`, '--backend', backend, '--no-progress'], { cwd: sweepDir, encoding: 'utf8', timeout: 1_800_000 });
    const s = (Date.now() - t0) / 1000;
    const how = /replicas per device step[^\n]*\((R = \d+ measured|--replicas \d+)/.exec(r.stderr)?.[1] ?? '';
    return r.status === 0 ? { seqsPerSec: (8 * seqs) / s, how } : { failed: `exit ${r.status}: ${(r.stderr || r.stdout).trim().split('\n').at(-1)}` };
  };
  const gpu = sweepRate('webgpu');
  const cpu = sweepRate('wasm');
  if (gpu.failed || cpu.failed) rows.push(['batched sweep, 8 runs, seq/s (wall)', gpu.failed ? 'FAILED' : '', cpu.failed ? 'FAILED' : '', gpu.failed ?? cpu.failed]);
  else rows.push([`batched sweep, 8 runs, seq/s (wall, ${gpu.how})`, Math.round(gpu.seqsPerSec).toLocaleString('en-US'), Math.round(cpu.seqsPerSec).toLocaleString('en-US'), ratio(gpu.seqsPerSec, cpu.seqsPerSec)]);
} finally {
  fs.rmSync(sweepDir, { recursive: true, force: true });
}

log('5/5 200-step parity tests on this adapter');
const parity = spawnSync('npx', ['vitest', 'run', 'packages/engine/src/backends/webgpu.test.ts', '-t', 'parity'], { cwd: ROOT, encoding: 'utf8', timeout: 1_800_000 });
const passed = /Tests\s+(?:\S+\s+)*?(\d+) passed/.exec(parity.stdout.replace(/\x1b\[[0-9;]*m/g, ''));
rows.push(['200-step parity with the reference', parity.status === 0 ? `pass (${passed?.[1] ?? '?'} tests)` : `FAIL (exit ${parity.status})`, '', '']);

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
