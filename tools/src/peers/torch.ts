/**
 * Peer benchmark: runs tools/peers/torch_step.py (the same model in PyTorch eager, CPU, 1 thread) in a
 * child process and reads its one-line JSON result. Never throws: when no Python with torch is found, or
 * the script fails, the result says `unavailable` with the reason.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface TorchBenchResult {
  name: string;
  /** Median wall time of one training step over the timed steps, in ms. */
  msPerStep: number;
  msPerStepMean?: number;
  /** Median process CPU time per step (time.process_time), in ms. */
  cpuMsPerStep?: number;
  torchVersion?: string;
  /** torch.get_num_threads(): PyTorch's own intra-op pool. */
  threads?: number;
  /** OS threads of the peer process after the timed steps (Linux /proc), OpenBLAS's pool included. */
  osThreads?: number;
  lossFirst?: number;
  lossLast?: number;
  python?: string;
}

export interface PeerUnavailable {
  name: string;
  unavailable: string;
}

const NAME = 'pytorch-eager';
/**
 * Interpreters tried in order: $OPTO_TORCH_PYTHON if set, PATH python3 (on the dev machine a pyenv without
 * torch), then Debian's /usr/bin/python3 (where apt's python3-torch installs).
 */
export function defaultTorchPythons(): string[] {
  const env = process.env['OPTO_TORCH_PYTHON'];
  return [...(env ? [env] : []), 'python3', '/usr/bin/python3'];
}

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  error?: Error;
}

function run(cmd: string, args: string[], timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr), error: error ?? undefined });
    });
  });
}

/**
 * Locates tools/peers/torch_step.py from this module's location: src/peers/torch.ts (vitest) and
 * dist/peers/torch.js (built) both sit two levels below the package root; walk up to be safe.
 */
export function torchScriptPath(): string | undefined {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = path.join(dir, 'peers', 'torch_step.py');
    if (existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return undefined;
}

/** First interpreter that can `import torch` (and the other `modules`), or the reasons each one failed. */
export async function findTorchPython(
  candidates: string[] = defaultTorchPythons(),
  modules: readonly string[] = [],
): Promise<{ python: string; version: string } | { reasons: string[] }> {
  const reasons: string[] = [];
  const imports = ['torch', ...modules].join(', ');
  for (const py of candidates) {
    const r = await run(py, ['-c', `import ${imports}; print(torch.__version__)`], 60_000);
    if (r.code === 0) return { python: py, version: r.stdout.trim() };
    const why = r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT'
      ? 'not found'
      : lastLine(r.stderr) || r.error?.message || `exit ${r.code}`;
    reasons.push(`${py}: ${why}`);
  }
  return { reasons };
}

function lastLine(s: string): string {
  const lines = s.trim().split('\n');
  return lines[lines.length - 1]?.trim() ?? '';
}

/**
 * Times one training step of the PyTorch peer. Timed region (in Python): zero_grad, forward, backward,
 * Adam step, loss.item(); batch sampling (torch ops) is outside it. msPerStep is the median.
 */
export async function benchTorch(opts: {
  steps: number;
  warmup: number;
  /** Interpreters to try, in order (default: defaultTorchPythons()). */
  pythons?: string[];
  /** A model variant: the engine's ModelConfig keys that differ from the paper's (torch_step.py --model). */
  model?: Record<string, unknown>;
}): Promise<TorchBenchResult | PeerUnavailable> {
  const script = torchScriptPath();
  if (!script) return { name: NAME, unavailable: 'tools/peers/torch_step.py not found next to the tools package' };
  const found = await findTorchPython(opts.pythons);
  if ('reasons' in found) {
    return { name: NAME, unavailable: `no Python with torch (${found.reasons.join('; ')})` };
  }
  const r = await run(
    found.python,
    [script, '--steps', String(opts.steps), '--warmup', String(opts.warmup), ...(opts.model && Object.keys(opts.model).length ? ['--model', JSON.stringify(opts.model)] : [])],
    30 * 60_000,
  );
  if (r.code !== 0) {
    return { name: NAME, unavailable: `torch_step.py failed (${lastLine(r.stderr) || r.error?.message || `exit ${r.code}`})` };
  }
  const jsonLine = r.stdout
    .trim()
    .split('\n')
    .reverse()
    .find((l) => l.trim().startsWith('{'));
  if (!jsonLine) return { name: NAME, unavailable: 'torch_step.py printed no JSON line' };
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(jsonLine) as Record<string, unknown>;
  } catch (e) {
    return { name: NAME, unavailable: `torch_step.py output is not JSON: ${(e as Error).message}` };
  }
  const ms = parsed['ms_per_step'];
  if (typeof ms !== 'number' || !Number.isFinite(ms)) {
    return { name: NAME, unavailable: `torch_step.py gave no ms_per_step: ${jsonLine}` };
  }
  const num = (k: string): number | undefined => (typeof parsed[k] === 'number' ? (parsed[k] as number) : undefined);
  return {
    name: typeof parsed['name'] === 'string' ? (parsed['name'] as string) : NAME,
    msPerStep: ms,
    msPerStepMean: num('ms_per_step_mean'),
    cpuMsPerStep: num('cpu_ms_per_step'),
    torchVersion: typeof parsed['torch'] === 'string' ? (parsed['torch'] as string) : undefined,
    threads: num('threads'),
    osThreads: num('os_threads'),
    lossFirst: num('loss_first'),
    lossLast: num('loss_last'),
    python: found.python,
  };
}
