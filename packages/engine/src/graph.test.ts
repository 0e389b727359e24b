/**
 * The autodiff tape itself (graph.ts), apart from any op: sites and their hooks, record-only sites, views,
 * dead-code elimination in compile, the contiguous gradient block and the backward's seeding and refusals.
 * Every op here is a hand-written push whose forward and backward count their calls and write known values,
 * so each expectation is worked out by hand, not read back from the code under test.
 */
import { describe, expect, it } from 'vitest';
import { createReferenceBackend } from './backends/reference.js';
import { Graph, type Value } from './graph.js';

const be = createReferenceBackend();

function leaf(g: Graph, values: number[], withGrad = true): Value {
  const buf = be.allocF(values.length);
  be.write(buf, values);
  return g.wrap(buf, [values.length], withGrad ? be.allocF(values.length) : null);
}

/** y = scale·x, elementwise, with counters of its forward and backward runs. */
function scale(g: Graph, x: Value, s: number, calls = { fwd: 0, bwd: 0 }): { y: Value; calls: { fwd: number; bwd: number } } {
  const y = g.value(x.shape, x.requiresGrad);
  g.push(
    y,
    [x],
    () => {
      calls.fwd++;
      be.copy(y.buf, x.buf, x.size);
      const v = be.read(y.buf);
      be.write(y.buf, Array.from(v, (a) => a * s));
    },
    () => {
      calls.bwd++;
      if (!x.grad || !y.grad) return;
      be.axpy(x.grad, y.grad, s, x.size);
    },
  );
  return { y, calls };
}

/** loss = Σ x, a [1] value. */
function sum(g: Graph, x: Value): Value {
  const y = g.value([1], x.requiresGrad);
  g.push(
    y,
    [x],
    () => be.write(y.buf, [Array.from(be.read(x.buf)).reduce((a, b) => a + b, 0)]),
    () => {
      if (!x.grad || !y.grad) return;
      const dy = be.read(y.grad)[0];
      be.write(x.grad, Array.from(be.read(x.grad), (a) => a + dy));
    },
  );
  return y;
}

const arr = (b: Value['buf']): number[] => Array.from(be.read(b));

describe('graph: values and wraps', () => {
  it('value() sizes its buffer by the shape product and needs a gradient only when training', () => {
    const t = new Graph(be, { training: true });
    const v = t.value([2, 3, 4], true);
    expect(v.size).toBe(24);
    expect(be.read(v.buf).length).toBe(24);
    expect(v.requiresGrad).toBe(true);
    expect(t.value([5], false).requiresGrad).toBe(false);
    expect(new Graph(be, { training: false }).value([5], true).requiresGrad).toBe(false);
  });

  it('wrap() keeps the owner’s gradient only when training and a gradient is given', () => {
    const buf = be.allocF(6);
    const grad = be.allocF(6);
    const t = new Graph(be, { training: true });
    const w = t.wrap(buf, [2, 3], grad);
    expect(w.size).toBe(6);
    expect(w.requiresGrad).toBe(true);
    expect(w.grad).toBe(grad);
    const c = t.wrap(buf, [2, 3], null);
    expect(c.requiresGrad).toBe(false);
    expect(c.grad).toBeNull();
    const e = new Graph(be, { training: false }).wrap(buf, [2, 3], grad);
    expect(e.requiresGrad).toBe(false);
    expect(e.grad).toBeNull();
  });
});

describe('graph: sites and passes', () => {
  it('a site is named with the pass prefix, recorded, and replaced by the hook’s value, the computed one kept as .computed', () => {
    const g = new Graph(be, { training: false });
    const x = leaf(g, [1, 2], false);
    const other = leaf(g, [7, 8], false);
    const seen: string[] = [];
    let computed: Value | undefined;
    const out = g.inPass('ref/', (name, v) => (seen.push(name), name === 'b' ? other : v), () => {
      expect(g.site('a', x)).toBe(x);
      computed = scale(g, x, 2).y;
      return g.site('b', computed);
    });
    expect(seen).toEqual(['a', 'b']); // the hook sees unprefixed names
    expect(out).toBe(other);
    expect(g.sites.get('ref/a')).toBe(x);
    expect(x.site).toBe('ref/a');
    expect(g.sites.get('ref/b')).toBe(other);
    expect(g.sites.get('ref/b.computed')).toBe(computed);
    expect(computed!.site).toBe('ref/b');
    expect(g.sites.has('ref/a.computed')).toBe(false); // unchanged by the hook: no .computed entry
    expect(g.sites.has('a')).toBe(false);
  });

  it('a value keeps the first site name it was given', () => {
    const g = new Graph(be, { training: false });
    const x = leaf(g, [1], false);
    g.site('first', x);
    g.site('second', x);
    expect(x.site).toBe('first');
  });

  it('inPass restores the outer prefix and hook, also after the traced function throws', () => {
    const g = new Graph(be, { training: false });
    const x = leaf(g, [1], false);
    expect(() => g.inPass('p/', (_n, v) => v, () => { throw new Error('boom'); })).toThrow('boom');
    g.site('outer', x);
    expect(g.sites.has('outer')).toBe(true);
    expect(g.sites.has('p/outer')).toBe(false);
    g.inPass('q/', undefined, () => g.inPass('r/', undefined, () => g.site('inner', x)));
    g.inPass('q/', undefined, () => {
      g.inPass('r/', undefined, () => undefined);
      g.site('after', x); // the inner pass ended: back to q/
    });
    expect([...g.sites.keys()]).toEqual(['outer', 'r/inner', 'q/after']);
  });

  it('a site defined twice in one forward is refused, for site and recordSite alike', () => {
    const g = new Graph(be, { training: false });
    const x = leaf(g, [1], false);
    g.inPass('p/', undefined, () => g.site('a', x));
    expect(() => g.inPass('p/', undefined, () => g.site('a', x))).toThrow("site 'p/a' defined twice in one forward");
    expect(() => g.recordSite('p/a', x)).toThrow("site 'p/a' defined twice in one forward");
    g.recordSite('r', x);
    expect(() => g.site('r', x)).toThrow("site 'r' defined twice in one forward");
    expect(() => g.recordSite('r', x)).toThrow("site 'r' defined twice in one forward");
  });

  it('recordSite registers a value under the pass prefix without calling the hook, and marks it record-only', () => {
    const g = new Graph(be, { training: false });
    const x = leaf(g, [3], false);
    const seen: string[] = [];
    g.inPass('p/', (n, v) => (seen.push(n), v), () => g.recordSite('rec', x));
    expect(seen).toEqual([]);
    expect(g.sites.get('p/rec')).toBe(x);
    expect(x.site).toBe('p/rec');
    expect([...g.recordOnly]).toEqual(['p/rec']);
    const y = leaf(g, [4], false);
    y.site = 'kept';
    g.recordSite('other', y);
    expect(y.site).toBe('kept');
  });
});

describe('graph: views', () => {
  it('refuses a shape of another size, naming both shapes', () => {
    const g = new Graph(be, { training: true });
    const x = g.value([2, 3], true);
    expect(() => g.view(x, [4, 2])).toThrow('view: [4,2] does not hold the 6 elements of [2,3]');
    expect(g.view(x, [3, 2]).size).toBe(6);
  });

  it('a view shares storage, and a view of a view shares its base’s gradient', () => {
    const g = new Graph(be, { training: true });
    const x = leaf(g, [1, 2, 3, 4, 5, 6]);
    const { y } = scale(g, x, 2); // an activation with its own gradient slot
    const v1 = g.view(y, [2, 3]);
    const v2 = g.view(v1, [3, 2]);
    expect(v2.buf).toBe(y.buf);
    const { y: z } = scale(g, v2, 3);
    const loss = sum(g, z);
    const p = g.compile(loss);
    p.forward();
    expect(arr(loss.buf)).toEqual([2 * 3 * 21]);
    p.backward();
    expect(v1.grad).toBe(y.grad);
    expect(v2.grad).toBe(y.grad);
    expect(arr(y.grad!)).toEqual([3, 3, 3, 3, 3, 3]);
    expect(arr(x.grad!)).toEqual([6, 6, 6, 6, 6, 6]);
  });

  it('a view of a constant has no gradient', () => {
    const g = new Graph(be, { training: true });
    const c = leaf(g, [1, 2], false);
    const x = leaf(g, [1, 1]);
    const v = g.view(c, [2, 1]);
    const loss = sum(g, scale(g, x, 1).y);
    g.compile(loss, [v]);
    expect(v.requiresGrad).toBe(false);
    expect(v.grad).toBeNull();
  });
});

describe('graph: compile keeps only what the loss and kept values need', () => {
  it('an op nothing reads never runs; a kept one does; keep "all" keeps every site', () => {
    const mk = () => {
      const g = new Graph(be, { training: false });
      const x = leaf(g, [1, 2], false);
      const used = scale(g, x, 2);
      const dead = scale(g, x, 5);
      g.site('dead', dead.y);
      g.site('used', used.y);
      return { g, used, dead, loss: sum(g, used.y) };
    };
    const a = mk();
    const pa = a.g.compile(a.loss);
    pa.forward();
    expect([a.used.calls.fwd, a.dead.calls.fwd]).toEqual([1, 0]);
    expect(arr(a.loss.buf)).toEqual([6]);
    expect([...pa.sites.keys()]).toEqual(['used']);
    expect(() => pa.read('dead')).toThrow("unknown site 'dead'; recorded sites: used");

    const b = mk();
    const pb = b.g.compile(b.loss, [b.dead.y]);
    pb.forward();
    expect([b.used.calls.fwd, b.dead.calls.fwd]).toEqual([1, 1]);
    expect(Array.from(pb.read('dead'))).toEqual([5, 10]);

    const c = mk();
    const pc = c.g.compile(null, 'all');
    pc.forward();
    expect([c.used.calls.fwd, c.dead.calls.fwd]).toEqual([1, 1]);
    expect(Array.from(pc.read('used'))).toEqual([2, 4]);
    expect(pc.loss).toBeNull();
  });

  it('an op is reached through every one of its inputs, including a second one', () => {
    const g = new Graph(be, { training: false });
    const a = leaf(g, [1], false);
    const up = scale(g, a, 4);
    const y = g.value([1], false);
    g.push(y, [null, a, up.y], () => be.write(y.buf, [be.read(a.buf)[0] + be.read(up.y.buf)[0]]), () => undefined);
    const p = g.compile(null, [y]);
    p.forward();
    expect(up.calls.fwd).toBe(1);
    expect(arr(y.buf)).toEqual([5]);
  });

  it('ops shared by two roots run once, in tape order', () => {
    const g = new Graph(be, { training: false });
    const x = leaf(g, [1], false);
    const order: string[] = [];
    const a = g.value([1], false);
    g.push(a, [x], () => (order.push('a'), be.write(a.buf, [2])), () => undefined);
    const b = g.value([1], false);
    g.push(b, [a], () => (order.push('b'), be.write(b.buf, [be.read(a.buf)[0] * 10])), () => undefined);
    const c = g.value([1], false);
    g.push(c, [a], () => (order.push('c'), be.write(c.buf, [be.read(a.buf)[0] + 1])), () => undefined);
    const p = g.compile(null, [c, b]);
    p.forward();
    expect(order).toEqual(['a', 'b', 'c']);
    expect([arr(b.buf)[0], arr(c.buf)[0]]).toEqual([20, 3]);
  });
});

describe('graph: gradients', () => {
  it('one contiguous gradient block, zeroed before every backward; parameter gradients accumulate', () => {
    const g = new Graph(be, { training: true });
    const x = leaf(g, [1, 2, 3]);
    const a = scale(g, x, 2);
    const b = scale(g, a.y, 3);
    const loss = sum(g, b.y);
    const p = g.compile(loss);
    p.forward();
    expect(arr(loss.buf)).toEqual([36]);
    p.backward();
    expect(arr(a.y.grad!)).toEqual([3, 3, 3]); // activation gradient: d loss / d a
    expect(arr(x.grad!)).toEqual([6, 6, 6]);
    p.backward();
    expect(arr(a.y.grad!)).toEqual([3, 3, 3]); // zeroed, not doubled
    expect(arr(x.grad!)).toEqual([12, 12, 12]); // the owner's buffer accumulates
    expect([a.calls.bwd, b.calls.bwd]).toEqual([2, 2]);
  });

  it('backward runs the ops in reverse tape order', () => {
    const g = new Graph(be, { training: true });
    const x = leaf(g, [1]);
    const order: string[] = [];
    const a = g.value([1], true);
    g.push(a, [x], () => be.copy(a.buf, x.buf, 1), () => order.push('a'));
    const b = g.value([1], true);
    g.push(b, [a], () => be.copy(b.buf, a.buf, 1), () => order.push('b'));
    const p = g.compile(b, []);
    p.forward();
    p.backward();
    expect(order).toEqual(['b', 'a']);
  });

  it('gradients live only for values the program needs: a dead activation gets none', () => {
    const g = new Graph(be, { training: true });
    const x = leaf(g, [1, 2]);
    const dead = scale(g, x, 5);
    const live = scale(g, x, 2);
    g.compile(sum(g, live.y));
    expect(live.y.grad).not.toBeNull();
    expect(dead.y.grad).toBeNull();
  });

  it('the loss gradient is known to be 1 only when nothing consumes the loss and no seed is given', () => {
    const g = new Graph(be, { training: true });
    const x = leaf(g, [1, 2]);
    const loss = sum(g, scale(g, x, 2).y);
    const p = g.compile(loss);
    p.forward();
    p.backward();
    expect(loss.knownGrad).toBe(1);
    expect(arr(loss.grad!)).toEqual([1]);
    p.backward({ from: { value: loss, seed: [0.5] } });
    expect(loss.knownGrad).toBeNull();
    expect(arr(x.grad!)).toEqual([2 + 1, 2 + 1]); // 2 from the first backward, 1 = 0.5·2 from the seeded one

    // A loss that another op reads: its gradient is what that op puts there, so it is not "known".
    const h = new Graph(be, { training: true });
    const y = leaf(h, [1]);
    const l2 = sum(h, scale(h, y, 1).y);
    const after = scale(h, l2, 4);
    const p2 = h.compile(l2, [after.y]);
    p2.forward();
    p2.backward();
    expect(l2.knownGrad).toBeNull();
  });

  it('backward from a seeded value is the vector-Jacobian product with that seed', () => {
    const g = new Graph(be, { training: true });
    const x = leaf(g, [1, 2, 3]);
    const a = scale(g, x, 2);
    const p = g.compile(null, [a.y]);
    p.forward();
    p.backward({ from: { value: a.y, seed: [1, -1, 0.25] } });
    expect(arr(x.grad!)).toEqual([2, -2, 0.5]);
  });

  it('backward refuses a program without training, a seed on a value without gradient, and a loss-less program', () => {
    const e = new Graph(be, { training: false });
    const ex = leaf(e, [1]);
    const pe = e.compile(sum(e, ex));
    expect(() => pe.backward()).toThrow('backward() on a program compiled without training');

    const g = new Graph(be, { training: true });
    const x = leaf(g, [1]);
    const c = leaf(g, [1], false);
    const a = scale(g, x, 2);
    const p = g.compile(null, [a.y, c]);
    expect(() => p.backward()).toThrow('backward(): the program has no differentiable loss');
    expect(() => p.backward({ from: { value: c, seed: [1] } })).toThrow('backward(): the seeded value has no gradient');

    const h = new Graph(be, { training: true });
    const k = leaf(h, [1], false);
    const constLoss = sum(h, k); // no input needs a gradient: a loss without one
    const ph = h.compile(constLoss);
    expect(() => ph.backward()).toThrow('backward(): the program has no differentiable loss');
  });

  it('read() returns the live site’s values and names every recorded site when the name is unknown', () => {
    const g = new Graph(be, { training: false });
    const x = leaf(g, [1, 2], false);
    g.site('in', x);
    const a = scale(g, x, 3);
    g.site('out', a.y);
    const p = g.compile(null, [a.y]);
    p.forward();
    expect(Array.from(p.read('out'))).toEqual([3, 6]);
    expect(Array.from(p.read('in'))).toEqual([1, 2]); // a leaf: no producer, always readable
    expect(() => p.read('nope')).toThrow("unknown site 'nope'; recorded sites: in, out");
  });
});
