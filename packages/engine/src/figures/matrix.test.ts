import { describe, expect, it } from 'vitest';
import { headMatrixSpec, learningTimeSpec, renderSvg } from './index.js';

const count = (svg: string, role: string) => svg.split(`aria-roledescription="${role}"`).length - 1;
const texts = (svg: string) => [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);

const grid = (f: (i: number, j: number) => number) => Array.from({ length: 8 }, (_, i) => Array.from({ length: 8 }, (_, j) => f(i, j)));

describe('head matrices (App. Fig. 11)', () => {
  it('one annotated 8×8 panel per matrix, heads on both axes, a diverging legend centred on 0', async () => {
    const spec = headMatrixSpec(
      [
        { label: 'value-preserving', matrix: grid((i, j) => (i === 3 && j === 2 ? -0.4 : 0.01 * (i - j))) },
        { label: 'pattern-preserving', matrix: grid(() => 0) },
      ],
      { title: 'Wiring: M', colorTitle: 'Δ accuracy', diverging: true },
    );
    const svg = await renderSvg(spec);
    expect(count(svg, 'rect mark')).toBe(2 * 64);
    expect(count(svg, 'text mark')).toBe(2 * 64);
    const t = texts(svg);
    for (const s of ['Wiring: M', 'value-preserving', 'pattern-preserving', 'L1H0', 'L2H7', 'Layer-1 head', 'Layer-2 head', 'Δ accuracy', '−0.40']) expect(t).toContain(s);
    const color = (spec as unknown as { spec: { layer: { encoding: { color: { scale: { domain: number[] } } } }[] } }).spec.layer[0]!.encoding.color.scale;
    expect(color.domain).toEqual([-0.4, 0.4]);
  });

  it('sequential scale over the data extent; NaN cells are left empty', async () => {
    const m = grid((i, j) => (i + j) / 14);
    m[0]![0] = Number.NaN;
    const svg = await renderSvg(headMatrixSpec([{ label: 'N', matrix: m }], { showValues: false }));
    expect(count(svg, 'rect mark')).toBe(63);
    expect(count(svg, 'text mark')).toBe(0);
  });
});

describe('learning time (Fig. 6)', () => {
  it('one line per group, learned points filled and unlearned hollow, labelled axes', async () => {
    const pts = [5, 10, 15].flatMap((x, k) => [
      { x, seqs: 100_000 * (k + 1), learned: true, group: '50 classes', run: `a${k}` },
      { x, seqs: 200_000 * (k + 1), learned: k < 2, group: '100 classes', run: `b${k}` },
    ]);
    const svg = await renderSvg(learningTimeSpec(pts, { legendTitle: 'classes' }));
    expect(count(svg, 'line mark')).toBe(2);
    expect(count(svg, 'point')).toBe(6);
    expect((svg.match(/fill="white"/g) ?? []).length).toBeGreaterThanOrEqual(1);
    const t = texts(svg);
    for (const s of ['Learning time', '# labels', 'learning time (# sequences)', '50 classes', '100 classes', 'classes', '600k']) expect(t).toContain(s);
  });
});
