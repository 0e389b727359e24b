/**
 * The GPU side of the webgpu backend: runs every kernel of the Backend interface as tfjs ops on
 * @tensorflow/tfjs-backend-webgpu, inside a GPU worker that owns the WebGPU device: a Node worker thread
 * (webgpuWorker.ts, adapter from Dawn) or a browser Web Worker (browser/webgpuWorkers.ts, navigator.gpu).
 *
 * Why a worker: the Backend interface is synchronous (the tape reads the loss every step), but WebGPU
 * reads are asynchronous (mapAsync) and tfjs's readSync needs an OffscreenCanvas, which Node lacks. The
 * engine's thread posts kernel calls in batches and blocks on Atomics.wait only when it needs a value.
 *
 * Storage: every allocation is a root tfjs tensor (1-D, float32 or int32; uint8 masks are stored as
 * int32) that this worker never hands out. A Buf is a window (root, offset, length) of one. tfjs tensors
 * are immutable, so a kernel computes its result with tfjs ops on the windows it reads and then writes
 * the result into the destination window IN PLACE with one small WebGPU program run through the tfjs
 * backend (`runWebGPUProgram(..., output = root)`). Roots are never read directly (tfjs would cache the
 * values on the CPU and go stale after the next in-place write): reads slice a fresh copy first.
 *
 * Batched runs: a backend may hold R independent replicas of every buffer (R runs of one sweep that differ
 * only in seeds, trained in one device step). A root of n elements is then R·n elements laid out [R, n],
 * a window (offset, n) means that window in every replica, and every kernel runs on all replicas at once
 * with the runs as a leading batch dimension. R = 1 is the ordinary backend.
 */
import type * as TF from '@tensorflow/tfjs-core';
import type { WebGpuAdapterProbe } from './webgpuAdapter.js';
import type { Batch, Cmd, InitReply, Kind, Reply, Win } from './webgpuProtocol.js';

/**
 * Writes `Src` ([reps, n]) into `result[rep·stride + offset + i]` for each replica rep and i < n, or adds
 * it there (`accumulate`: what every backward kernel does, in one dispatch instead of read + add + write):
 * the in-place primitive (see the file comment). Uniforms: offset, n, stride (the replica's root size).
 */
/** GELU's tanh approximation: √(2/π) and the cubic coefficient (as in the other backends). */
const GELU_C = Math.sqrt(2 / Math.PI);
const GELU_A = 0.044715;

/** tfjs-backend-webgpu's dispatch helpers. */
type WebGpuUtil = { flatDispatchLayout(s: number[]): { x: number[] }; computeDispatch(l: { x: number[] }, s: number[], w: [number, number, number]): [number, number, number] };

/** A flat program over `total` elements that writes into a window of its output root in place (tfjs's program shape). */
abstract class InPlaceProgram {
  abstract variableNames: string[];
  abstract uniforms: string;
  abstract shaderKey: string;
  outputShape: number[];
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [64, 1, 1];
  size = true;
  constructor(total: number, util: WebGpuUtil) {
    this.outputShape = [total];
    this.dispatchLayout = util.flatDispatchLayout([total]);
    this.dispatch = util.computeDispatch(this.dispatchLayout, [total], this.workgroupSize);
  }
  abstract getUserCode(): string;
}

class WindowWriteProgram extends InPlaceProgram {
  variableNames = ['Src'];
  uniforms = 'offset : i32, n : i32, stride : i32,';
  shaderKey: string;
  constructor(
    total: number,
    private readonly accumulate: boolean,
    util: WebGpuUtil,
  ) {
    super(total, util);
    this.shaderKey = accumulate ? 'optoscopeWindowAdd' : 'optoscopeWindowWrite';
  }
  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let j = (index / uniforms.n) * uniforms.stride + uniforms.offset + index % uniforms.n;
          result[j] = ${this.accumulate ? 'result[j] + ' : ''}Src[index];
        }
      }`;
  }
}

/**
 * One Adam update of one of p, m, v in place (`which`), in one dispatch, over [reps, n] windows: the ~15
 * elementwise tfjs ops (and three window writes) of the update merged into three programs. Each reads the
 * old m and v (p first, then m, then v: an element's own slot only, so in place is safe) and the gradient;
 * the destination's old value is read from `result`, never bound as an input too (WebGPU forbids a buffer
 * bound both read-only and writable in one dispatch).
 */
class AdamProgram extends InPlaceProgram {
  variableNames: string[];
  shaderKey: string;
  // c1, c2: 1 − β1 and 1 − β2 computed in float64 on the host (1 − f32(0.999) in the shader is off by 1e-5).
  uniforms = 'offset : i32, n : i32, stride : i32, lr : f32, b1 : f32, b2 : f32, c1 : f32, c2 : f32, eps : f32, bc1 : f32, bc2 : f32,';
  constructor(
    total: number,
    private readonly which: 'p' | 'm' | 'v',
    util: WebGpuUtil,
  ) {
    super(total, util);
    this.variableNames = which === 'p' ? ['G', 'M', 'V'] : ['G'];
    this.shaderKey = `optoscopeAdam_${which}`;
  }
  getUserCode(): string {
    const update = {
      // The same operations, in the same order, as the op-by-op update this replaced (and as Adam in optim.ts).
      p: `let m2 = M[index] * uniforms.b1 + g * uniforms.c1;
          let v2 = V[index] * uniforms.b2 + (g * g) * uniforms.c2;
          result[j] = result[j] - ((m2 / uniforms.bc1) * uniforms.lr) / (sqrt(v2 / uniforms.bc2) + uniforms.eps);`,
      m: `result[j] = result[j] * uniforms.b1 + g * uniforms.c1;`,
      v: `result[j] = result[j] * uniforms.b2 + (g * g) * uniforms.c2;`,
    }[this.which];
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let j = (index / uniforms.n) * uniforms.stride + uniforms.offset + index % uniforms.n;
          let g = G[index];
          ${update}
        }
      }`;
  }
}

interface Root {
  /** [R·n] float32 or int32: R replicas of n elements. */
  t: TF.Tensor1D;
  /** Elements per replica. */
  n: number;
  kind: Kind;
}
interface Space {
  runs: number;
  roots: Map<number, Root>;
}

/**
 * Build a device on the probed adapter, start tfjs's webgpu backend on it, hand `listen` the handler for
 * the engine's batches, then answer 'ready' (or 'failed', without listening) through `reply`. Every later
 * answer (reads, syncs, errors) also goes through `reply`.
 */
export async function startWebGpuExecutor(probe: WebGpuAdapterProbe, reply: (m: Reply | InitReply) => void, listen: (onBatch: (b: Batch) => void) => void): Promise<void> {
  if (!probe.adapter || !probe.gpu) return reply({ type: 'failed', reason: probe.reason });
  if (probe.globals) {
    // Node: tfjs-backend-webgpu checks navigator.gpu and uses the GPU* globals (GPUBufferUsage, ...) that a
    // browser provides; Dawn's are installed before tfjs loads. Node 21+ has a read-only navigator, hence
    // defineProperty. A browser worker has both already.
    Object.assign(globalThis, probe.globals);
    Object.defineProperty(globalThis, 'navigator', { value: { gpu: probe.gpu }, configurable: true, writable: true });
  }
  const tf = await import('@tensorflow/tfjs-core');
  const tfw = (await import('@tensorflow/tfjs-backend-webgpu')) as unknown as {
    WebGPUBackend: new (device: unknown, info: unknown) => unknown;
    webgpu_util: WebGpuUtil;
  };
  const adapter = probe.adapter;
  const lim = adapter.limits;
  // tfjs's own registration asks navigator.gpu for a default adapter, which on a compatibility-only
  // adapter (llvmpipe via GLES) is null; register a factory over the adapter found above instead.
  const device = (await adapter.requestDevice({
    requiredFeatures: adapter.features.has('timestamp-query') ? ['timestamp-query'] : [],
    requiredLimits: {
      maxComputeWorkgroupStorageSize: lim.maxComputeWorkgroupStorageSize,
      maxComputeWorkgroupsPerDimension: lim.maxComputeWorkgroupsPerDimension,
      maxStorageBufferBindingSize: lim.maxStorageBufferBindingSize,
      maxBufferSize: lim.maxBufferSize,
      maxComputeWorkgroupSizeX: lim.maxComputeWorkgroupSizeX,
      maxComputeInvocationsPerWorkgroup: lim.maxComputeInvocationsPerWorkgroup,
    },
  })) as { addEventListener?: (t: string, f: (e: { error?: { message?: string } }) => void) => void };
  let gpuError: string | null = null;
  device.addEventListener?.('uncapturederror', (e) => {
    gpuError ??= `WebGPU device error: ${e.error?.message ?? 'unknown'}`;
  });
  tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => new tfw.WebGPUBackend(device, adapter.info) as TF.KernelBackend, 3);
  if (!(await tf.setBackend('webgpu'))) return reply({ type: 'failed', reason: `tfjs could not start its webgpu backend on ${probe.reason}` });
  // Every op on the GPU: tfjs would otherwise run small ops whose inputs are still on the CPU in JS.
  tf.env().set('WEBGPU_CPU_FORWARD', false);
  const tfBackend = tf.backend() as unknown as {
    runWebGPUProgram(p: InPlaceProgram, inputs: TF.TensorInfo[], dtype: TF.DataType, uniforms: { type: string; data: number[] }[], output: TF.TensorInfo): TF.TensorInfo;
  };

  /** The first kernel error since the last answer; reported (and cleared) by the next read or sync. */
  let failed: string | null = null;
  const spaces = new Map<number, Space>();
  const rootOf = (bid: number, w: Win): Root => {
    const r = spaces.get(bid)?.roots.get(w.r);
    if (!r) throw new Error(`buffer root ${w.r} of backend ${bid} does not exist (used after release?)`);
    if (w.o < 0 || w.o + w.n > r.n) throw new Error(`window [${w.o}, ${w.o + w.n}) outside root ${w.r} of ${r.n} elements`);
    return r;
  };

  // Position and causal-mask tables are small constants; built once per shape and kept.
  const constants = new Map<string, TF.Tensor>();
  const constant = (key: string, make: () => TF.Tensor): TF.Tensor => {
    let t = constants.get(key);
    if (!t) constants.set(key, (t = tf.keep(make())));
    return t;
  };
  const ropePositions = (M: number, T: number, pos0: number) =>
    constant(`rope:${M}:${T}:${pos0}`, () => tf.tensor1d(Int32Array.from({ length: M }, (_, r) => pos0 + (T > 0 ? r % T : 0)), 'int32'));
  const causalMask = (Tq: number, Tk: number, qPos0: number) =>
    constant(`mask:${Tq}:${Tk}:${qPos0}`, () => tf.tensor2d(Array.from({ length: Tq * Tk }, (_, e) => (e % Tk <= qPos0 + Math.floor(e / Tk) ? 1 : 0)), [Tq, Tk], 'bool'));

  function runBatch(bid: number, runs: number, cmds: Cmd[]): Promise<void> | void {
    let space = spaces.get(bid);
    if (!space) spaces.set(bid, (space = { runs, roots: new Map() }));
    const { roots } = space;
    const R = space.runs;
    /** A window in every replica: [R, n]. */
    const view = (w: Win): TF.Tensor2D => {
      const r = rootOf(bid, w);
      if (w.o === 0 && w.n === r.n) return tf.reshape(r.t, [R, r.n]);
      return tf.slice(tf.reshape(r.t, [R, r.n]), [0, w.o], [R, w.n]) as TF.Tensor2D;
    };
    /** A window in every replica as [R, ...shape]. */
    const mat = (w: Win, shape: number[]): TF.Tensor => tf.reshape(view(w), [R, ...shape]);
    /** Write `value` (reps·n elements, [reps, n]) into the window of replicas first .. first+reps−1. */
    const write = (w: Win, value: TF.Tensor, first: number, reps: number, accumulate = false) => {
      const r = rootOf(bid, w);
      if (value.size !== reps * w.n) throw new Error(`result of ${value.size} elements for a window of ${w.n}${reps > 1 ? ` in ${reps} runs` : ''}`);
      let v: TF.Tensor = tf.reshape(value, [reps * w.n]);
      const dtype = r.kind === 'f32' ? 'float32' : 'int32';
      if (v.dtype !== dtype) v = tf.cast(v, dtype);
      // A destination buffer cannot also be bound as the source (copy of a root onto itself): copy first.
      if (v.dataId === r.t.dataId) v = tf.add(v, tf.scalar(0, dtype));
      // One entry per scalar: tfjs packs a multi-value entry as a vector, with a vector's alignment.
      const uniforms = [first * r.n + w.o, w.n, r.n].map((x) => ({ type: 'int32', data: [x] }));
      tfBackend.runWebGPUProgram(new WindowWriteProgram(reps * w.n, accumulate, tfw.webgpu_util), [v], dtype, uniforms, r.t);
    };
    const put = (w: Win, value: TF.Tensor) => write(w, value, 0, R);
    const acc = (w: Win | null, value: () => TF.Tensor) => {
      if (w) write(w, value(), 0, R, true);
    };
    const ops: Record<string, (...a: any[]) => void> = {
      alloc(id: number, n: number, kind: Kind) {
        roots.get(id)?.t.dispose();
        const m = Math.max(n, 1);
        roots.set(id, { t: tf.keep(tf.zeros([R * m], kind === 'f32' ? 'float32' : 'int32')) as TF.Tensor1D, n: m, kind });
      },
      release(from: number) {
        for (const [id, r] of roots) if (id >= from) (r.t.dispose(), roots.delete(id));
      },
      dispose() {
        for (const r of roots.values()) r.t.dispose();
        spaces.delete(bid);
      },
      /** Host values into one run (`run`), or the same values into every run (`run` null). */
      write(w: Win, data: Float32Array | Int32Array, run: number | null) {
        const t = data instanceof Float32Array ? tf.tensor1d(data, 'float32') : tf.tensor1d(data, 'int32');
        if (run === null) put(w, R === 1 ? t : tf.tile(t, [R]));
        else write(w, t, run, 1);
      },
      matmulNT(C: Win, A: Win, B: Win, M: number, N: number, K: number, a: boolean) {
        const r = tf.matMul(mat(A, [M, K]), mat(B, [N, K]), false, true);
        put(C, a ? tf.add(r, mat(C, [M, N])) : r);
      },
      matmulNN(C: Win, A: Win, B: Win, M: number, N: number, K: number, a: boolean) {
        const r = tf.matMul(mat(A, [M, K]), mat(B, [K, N]));
        put(C, a ? tf.add(r, mat(C, [M, N])) : r);
      },
      matmulTN(C: Win, A: Win, B: Win, M: number, N: number, K: number, a: boolean) {
        const r = tf.matMul(mat(A, [K, M]), mat(B, [K, N]), true, false);
        put(C, a ? tf.add(r, mat(C, [M, N])) : r);
      },
      addBias(Y: Win, b: Win, M: number, N: number) {
        put(Y, tf.add(mat(Y, [M, N]), mat(b, [1, N])));
      },
      sumRows(db: Win, dY: Win, M: number, N: number) {
        acc(db, () => tf.sum(mat(dY, [M, N]), 1));
      },
      layerNormFwd(Y: Win, mean: Win, rstd: Win, X: Win, g: Win, b: Win, M: number, N: number, eps: number) {
        const x = mat(X, [M, N]);
        const mu = tf.mean(x, 2, true);
        const xc = tf.sub(x, mu);
        const r = tf.rsqrt(tf.add(tf.mean(tf.square(xc), 2, true), eps));
        const y = tf.add(tf.mul(tf.mul(xc, r), mat(g, [1, N])), mat(b, [1, N]));
        put(Y, y);
        put(mean, mu);
        put(rstd, r);
      },
      layerNormBwd(dX: Win | null, dg: Win | null, db: Win | null, dY: Win, X: Win, mean: Win, rstd: Win, g: Win, M: number, N: number) {
        const dy = mat(dY, [M, N]);
        const rs = mat(rstd, [M, 1]);
        const xh = tf.mul(tf.sub(mat(X, [M, N]), mat(mean, [M, 1])), rs);
        acc(dg, () => tf.sum(tf.mul(dy, xh), 1));
        acc(db, () => tf.sum(dy, 1));
        if (dX) {
          // dx = r·(dxhat − mean(dxhat) − xhat·mean(dxhat·xhat)), dxhat = dy·g.
          const d = tf.mul(dy, mat(g, [1, N]));
          const meanD = tf.mean(d, 2, true);
          const meanDX = tf.mean(tf.mul(d, xh), 2, true);
          acc(dX, () => tf.mul(rs, tf.sub(tf.sub(d, meanD), tf.mul(xh, meanDX))));
        }
      },
      ropeFwd(Y: Win, X: Win, M: number, width: number, T: number, pos0: number, cos: Win, sin: Win, hd: number) {
        const [x0, x1, c, s] = ropeParts(X, M, width, T, pos0, cos, sin, hd);
        put(Y, tf.concat([tf.sub(tf.mul(x0, c), tf.mul(x1, s)), tf.add(tf.mul(x1, c), tf.mul(x0, s))], 3));
      },
      ropeBwd(dX: Win, dY: Win, M: number, width: number, T: number, pos0: number, cos: Win, sin: Win, hd: number) {
        const [g0, g1, c, s] = ropeParts(dY, M, width, T, pos0, cos, sin, hd);
        acc(dX, () => tf.concat([tf.add(tf.mul(g0, c), tf.mul(g1, s)), tf.sub(tf.mul(g1, c), tf.mul(g0, s))], 3));
      },
      attnScoresFwd(S: Win, Q: Win, K: Win, Bn: number, H: number, Tq: number, Tk: number, D: number, qPos0: number, scale: number) {
        const s = tf.mul(tf.matMul(heads(Q, Bn, Tq, H, D), heads(K, Bn, Tk, H, D), false, true), scale);
        put(S, tf.where(causalMask(Tq, Tk, qPos0), s, tf.scalar(-1e20)));
      },
      attnScoresBwd(dQ: Win | null, dK: Win | null, dS: Win, Q: Win, K: Win, Bn: number, H: number, Tq: number, Tk: number, D: number, qPos0: number, scale: number) {
        // Masked scores carry no gradient, whatever dS holds there.
        const g = tf.where(causalMask(Tq, Tk, qPos0), tf.mul(fold(dS, [Bn, H, Tq, Tk]), scale), tf.scalar(0) as TF.Tensor);
        acc(dQ, () => unheads(tf.matMul(g, heads(K, Bn, Tk, H, D))));
        acc(dK, () => unheads(tf.matMul(g, heads(Q, Bn, Tq, H, D), true, false)));
      },
      softmaxFwd(P: Win, S: Win, rows: number, n: number) {
        put(P, tf.softmax(mat(S, [rows, n])));
      },
      softmaxBwd(dS: Win, dP: Win, P: Win, rows: number, n: number) {
        const p = mat(P, [rows, n]);
        const dp = mat(dP, [rows, n]);
        acc(dS, () => tf.mul(p, tf.sub(dp, tf.sum(tf.mul(dp, p), 2, true))));
      },
      attnAvFwd(Z: Win, P: Win, V: Win, Bn: number, H: number, Tq: number, Tk: number, D: number) {
        put(Z, unheads(tf.matMul(fold(P, [Bn, H, Tq, Tk]), heads(V, Bn, Tk, H, D))));
      },
      attnAvBwd(dP: Win | null, dV: Win | null, dZ: Win, P: Win, V: Win, Bn: number, H: number, Tq: number, Tk: number, D: number) {
        const dz = heads(dZ, Bn, Tq, H, D);
        acc(dP, () => tf.matMul(dz, heads(V, Bn, Tk, H, D), false, true));
        acc(dV, () => unheads(tf.matMul(fold(P, [Bn, H, Tq, Tk]), dz, true, false)));
      },
      geluFwd(Y: Win, X: Win, n: number) {
        const x = view(sub(X, n));
        put(sub(Y, n), tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(geluInner(x)), 1)));
      },
      geluBwd(dX: Win, dY: Win, X: Win, n: number) {
        const x = view(sub(X, n));
        const t = tf.tanh(geluInner(x));
        const du = tf.mul(tf.add(tf.mul(tf.square(x), 3 * GELU_A), 1), GELU_C);
        const d = tf.add(tf.mul(tf.add(t, 1), 0.5), tf.mul(tf.mul(tf.mul(x, 0.5), tf.sub(1, tf.square(t))), du));
        acc(sub(dX, n), () => tf.mul(view(sub(dY, n)), d));
      },
      gatherRows(Y: Win, X: Win, idx: Win, M: number, N: number) {
        // Per run: run r's rows from run r's table (batchDims 1).
        put(Y, tf.gather(mat(X, [X.n / N, N]), view({ ...idx, n: M }), 1, 1));
      },
      scatterAddRows(dX: Win, dY: Win, idx: Win, M: number, N: number) {
        // Segment ids offset by run, so each run's rows land in its own replica.
        const rows = dX.n / N;
        const ids = R === 1 ? view({ ...idx, n: M }) : tf.add(view({ ...idx, n: M }), tf.mul(tf.reshape(tf.range(0, R, 1, 'int32'), [R, 1]), tf.scalar(rows, 'int32')));
        acc(dX, () => tf.unsortedSegmentSum(tf.reshape(mat(dY, [M, N]), [R * M, N]), tf.reshape(ids, [R * M]), R * rows));
      },
      add(Y: Win, A: Win, B: Win, n: number) {
        put(sub(Y, n), tf.add(view(sub(A, n)), view(sub(B, n))));
      },
      axpy(Y: Win, X: Win, alpha: number, n: number) {
        acc(sub(Y, n), () => tf.mul(view(sub(X, n)), alpha));
      },
      fill(Y: Win, value: number, n: number) {
        put(sub(Y, n), tf.fill([R, n], value, rootOf(bid, Y).kind === 'f32' ? 'float32' : 'int32'));
      },
      copy(Y: Win, X: Win, n: number) {
        put(sub(Y, n), view(sub(X, n)));
      },
      whereFwd(Y: Win, mask: Win, A: Win, B: Win, n: number) {
        put(sub(Y, n), tf.where(tf.notEqual(view(sub(mask, n)), 0), view(sub(A, n)), view(sub(B, n))));
      },
      whereBwd(dA: Win | null, dB: Win | null, dY: Win, mask: Win, n: number) {
        const m = tf.notEqual(view(sub(mask, n)), 0);
        const dy: TF.Tensor = view(sub(dY, n));
        const zero = tf.scalar(0) as TF.Tensor;
        if (dA) acc(sub(dA, n), () => tf.where(m, dy, zero));
        if (dB) acc(sub(dB, n), () => tf.where(m, zero, dy));
      },
      crossEntropyFwd(loss: Win, P: Win, logits: Win, targets: Win, Bn: number, C: number) {
        const z = mat(logits, [Bn, C]);
        const mx = tf.max(z, 2, true);
        const lse = tf.add(mx, tf.log(tf.sum(tf.exp(tf.sub(z, mx)), 2, true)));
        put(P, tf.exp(tf.sub(z, lse)));
        const zt = tf.sum(tf.mul(z, tf.oneHot(view({ ...targets, n: Bn }), C)), 2);
        put(sub(loss, Bn), tf.sub(tf.reshape(lse, [R, Bn]), zt));
      },
      crossEntropyBwd(dl: Win, P: Win, targets: Win, Bn: number, C: number, scale: number) {
        acc(dl, () => tf.mul(tf.sub(mat(P, [Bn, C]), tf.oneHot(view({ ...targets, n: Bn }), C)), scale));
      },
      sumSqInto(out: Win, X: Win, n: number) {
        put(sub(out, 1), tf.sum(tf.square(view(sub(X, n))), 1));
      },
      adamStep(p: Win, g: Win, m: Win, v: Win, n: number, lr: number, b1: number, b2: number, eps: number, bc1: number, bc2: number) {
        const roots = [p, g, m, v].map((w) => rootOf(bid, w).t.dataId);
        if (new Set(roots).size === 4) {
          // Three merged programs (AdamProgram) instead of ~15 elementwise ops and three window writes.
          const [gg, mm, vv] = [g, m, v].map((w) => view(sub(w, n)));
          const f32 = (x: number) => ({ type: 'float32', data: [x] });
          const i32 = (x: number) => ({ type: 'int32', data: [x] });
          for (const [which, dst, inputs] of [['p', p, [gg, mm, vv]], ['m', m, [gg]], ['v', v, [gg]]] as const) {
            const r = rootOf(bid, dst);
            const uniforms = [i32(dst.o), i32(n), i32(r.n), f32(lr), f32(b1), f32(b2), f32(1 - b1), f32(1 - b2), f32(eps), f32(bc1), f32(bc2)];
            tfBackend.runWebGPUProgram(new AdamProgram(R * n, which, tfw.webgpu_util), [...inputs], 'float32', uniforms, r.t);
          }
          return;
        }
        const gg = view(sub(g, n));
        const m2 = tf.add(tf.mul(view(sub(m, n)), b1), tf.mul(gg, 1 - b1));
        const v2 = tf.add(tf.mul(view(sub(v, n)), b2), tf.mul(tf.square(gg), 1 - b2));
        const step = tf.div(tf.mul(tf.div(m2, bc1), lr), tf.add(tf.sqrt(tf.div(v2, bc2)), eps));
        put(sub(p, n), tf.sub(view(sub(p, n)), step));
        put(sub(m, n), m2);
        put(sub(v, n), v2);
      },
    };
    /** GELU's tanh argument √(2/π)·(x + 0.044715·x³). */
    const geluInner = (x: TF.Tensor) => tf.mul(tf.add(x, tf.mul(tf.mul(tf.square(x), x), GELU_A)), GELU_C);
    /** The first n elements of a window (kernels take an explicit count that may be below the length). */
    const sub = (w: Win, n: number): Win => {
      if (n > w.n) throw new Error(`count ${n} exceeds a buffer of ${w.n}`);
      return n === w.n ? w : { ...w, n };
    };
    /** A window as [R·shape[0], ...shape[1:]]: runs folded into the leading dimension (tfjs's where and
     * several webgpu kernels stop at rank 4). */
    const fold = (w: Win, shape: number[]): TF.Tensor => tf.reshape(view(w), [R * shape[0], ...shape.slice(1)]);
    /** [Bn·T, H·D] rows of every run → [R·Bn, H, T, D]. */
    const heads = (w: Win, Bn: number, T: number, H: number, D: number) => tf.transpose(fold(w, [Bn, T, H, D]), [0, 2, 1, 3]);
    /** [R·Bn, H, T, D] → [R·Bn, T, H, D] (flattened by put). */
    const unheads = (t: TF.Tensor) => tf.transpose(t, [0, 2, 1, 3]);
    /** x split into (even, odd) lanes [R·M, heads, half, 1] and the cos/sin rows of each row's position. */
    const ropeParts = (X: Win, M: number, width: number, T: number, pos0: number, cos: Win, sin: Win, hd: number) => {
      const half = hd / 2;
      const x = fold(X, [M, width / hd, half, 2]);
      const [x0, x1] = tf.split(x, 2, 3);
      const pos = ropePositions(M, T, pos0);
      const c = tf.reshape(tf.gather(mat(cos, [cos.n / half, half]), pos, 1), [R * M, 1, half, 1]);
      const s = tf.reshape(tf.gather(mat(sin, [sin.n / half, half]), pos, 1), [R * M, 1, half, 1]);
      return [x0, x1, c, s] as const;
    };

    for (let i = 0; i < cmds.length; i++) {
      const [name, ...args] = cmds[i];
      if (name === 'read' || name === 'sync') {
        const rest = cmds.slice(i + 1);
        return answer(name, args).then(() => (rest.length ? runBatch(bid, runs, rest) : undefined));
      }
      if (failed) continue; // after an error the state is undefined; report it at the next read and stop
      const op = ops[name];
      try {
        if (!op) throw new Error('unknown command');
        tf.tidy(() => op(...args));
        if (gpuError) throw new Error(gpuError);
      } catch (e) {
        failed = `webgpu kernel ${name}(${describeArgs(args)}) failed: ${(e as Error).message}`;
      }
    }

    async function answer(name: string, args: unknown[]): Promise<void> {
      if (failed) {
        const message = failed;
        failed = null;
        return reply({ type: 'error', message });
      }
      if (name === 'sync') return reply({ type: 'ok' });
      const w = args[0] as Win;
      /** One run's values, or every run's ([R, n] flattened) when null. */
      const run = args[1] as number | null;
      let copy: TF.Tensor | null = null;
      try {
        const r = rootOf(bid, w);
        const all = tf.reshape(r.t, [R, r.n]);
        copy = run === null ? tf.slice(all, [0, w.o], [R, w.n]) : tf.slice(all, [run, w.o], [1, w.n]);
        all.dispose();
        const values = (await copy.data()) as Float32Array | Int32Array;
        reply(gpuError ? { type: 'error', message: gpuError } : { type: 'values', values });
      } catch (e) {
        reply({ type: 'error', message: `webgpu read of [${w.o}, ${w.o + w.n}) of root ${w.r} failed: ${(e as Error).message}` });
      } finally {
        copy?.dispose();
      }
    }
  }

  let chain: Promise<void> = Promise.resolve();
  // Batches run strictly in arrival order: a read's answer waits for the GPU, and later batches wait for it.
  listen((b: Batch) => {
    chain = chain.then(() => runBatch(b.bid, b.runs, b.cmds)).catch((e) => {
      failed ??= `webgpu worker: ${(e as Error).message}`;
    });
  });
  reply({ type: 'ready', info: probe.info!, isSoftware: probe.isSoftware, via: probe.via, reason: probe.reason });
}

function describeArgs(args: unknown[]): string {
  return args
    .map((a) => (a && typeof a === 'object' && 'r' in a ? `buf(root ${(a as Win).r} @${(a as Win).o}, n=${(a as Win).n})` : ArrayBuffer.isView(a) ? `data[${(a as Float32Array).length}]` : String(a)))
    .join(', ');
}

