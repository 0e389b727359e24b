/**
 * The CLI's own parsing, in process: the argument parsers (args.ts), the clamp flags (clampFlags.ts) and the data
 * flags (dataFlags.ts). The end-to-end tests (badInput, cli, ...) run the built dist/main.js; these import the
 * sources, so a change to a parser fails here, and Stryker (stryker/apps.sh) can measure them. Each expectation
 * is written out from the flag's documented meaning (README "Interventions", `--help`), not taken from a run.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Command, CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { nonNegativeInt, oneOf, portNumber, positiveInt, sizeOrAll } from './args.js';
import { addClampOptions, clampSpec } from './clampFlags.js';
import { addDataOptions, addTaskOptions, dataBlock, dataFileBlock } from './dataFlags.js';

describe('argument parsers (args.ts)', () => {
  it('positiveInt: digits and exponent forms from 1; 0, signs, fractions, hex and unsafe integers refused with the value', () => {
    expect(positiveInt('1')).toBe(1);
    expect(positiveInt(' 42 ')).toBe(42);
    expect(positiveInt('3e5')).toBe(300000);
    expect(positiveInt('2E3')).toBe(2000);
    expect(positiveInt('1e10')).toBe(1e10);
    expect(positiveInt(String(Number.MAX_SAFE_INTEGER))).toBe(Number.MAX_SAFE_INTEGER);
    for (const bad of ['0', '-3', '+3', '1.5', '0x10', '', 'abc', '1e', '9007199254740993', '1e400', '3 4']) {
      expect(() => positiveInt(bad), bad).toThrow(`expected a positive integer, got '${bad}'`);
    }
  });

  it('nonNegativeInt: 0 accepted, the rest as positiveInt', () => {
    expect(nonNegativeInt('0')).toBe(0);
    expect(nonNegativeInt('7')).toBe(7);
    expect(nonNegativeInt('1e3')).toBe(1000);
    expect(nonNegativeInt('1e10')).toBe(1e10);
    expect(nonNegativeInt(' 7 ')).toBe(7);
    // Number() reads these, the digits-only rule does not
    for (const bad of ['-1', '0.5', 'x', '', '9007199254740993', '0x10', '0b11', '1e+3']) expect(() => nonNegativeInt(bad), bad).toThrow(`expected a non-negative integer, got '${bad}'`);
  });

  it('portNumber: 0..65535 inclusive', () => {
    expect(portNumber('0')).toBe(0);
    expect(portNumber('65535')).toBe(65535);
    expect(() => portNumber('65536')).toThrow("expected a port 0..65535, got '65536'");
    expect(() => portNumber('-1')).toThrow("expected a non-negative integer, got '-1'");
  });

  it('oneOf: exactly the choices, case-sensitive, listing them when refused', () => {
    const p = oneOf('wasm', 'webgpu', 'auto');
    expect(p('webgpu')).toBe('webgpu');
    expect(() => p('WASM')).toThrow("expected one of wasm, webgpu, auto, got 'WASM'");
    expect(() => p('')).toThrow("expected one of wasm, webgpu, auto, got ''");
  });

  it("sizeOrAll: 'all' or a positive integer", () => {
    expect(sizeOrAll('all')).toBe('all');
    expect(sizeOrAll('500')).toBe(500);
    for (const bad of ['ALL', '0', '-2', 'some']) expect(() => sizeOrAll(bad), bad).toThrow(`expected a positive integer or 'all', got '${bad}'`);
  });
});

/** Parses argv with the clamp flags as `opto train` has them; commander errors throw instead of exiting. */
function parseClampFlags(argv: string[]): Record<string, unknown> {
  const cmd = addClampOptions(new Command('t').exitOverride().configureOutput({ writeErr: () => {} }));
  cmd.parse(argv, { from: 'user' });
  return cmd.opts();
}

function commanderMessage(argv: string[]): string {
  try {
    parseClampFlags(argv);
  } catch (e) {
    if (e instanceof CommanderError) return e.message;
    throw e;
  }
  throw new Error(`${argv.join(' ')} parsed`);
}

describe('clamp flags (clampFlags.ts)', () => {
  it('no clamp flag: no spec (the run trains unclamped)', () => {
    expect(clampSpec(parseClampFlags([]))).toBeUndefined();
  });

  it('heads, heads@strength and one head, as spec 4.2-4.6 write them', () => {
    expect(clampSpec(parseClampFlags(['--ablate', '1:0, 1:2']))).toEqual({ ablate: ['1:0', '1:2'] });
    expect(clampSpec(parseClampFlags(['--prev-token', '0:1,0:2,0:5@0.75']))).toEqual({ prevToken: { heads: ['0:1', '0:2', '0:5'], strength: 0.75 } });
    expect(clampSpec(parseClampFlags(['--match', '1:3']))).toEqual({ match: { heads: ['1:3'] } });
    expect(clampSpec(parseClampFlags(['--match', '1:3@0']))).toEqual({ match: { heads: ['1:3'], strength: 0 } });
    expect(clampSpec(parseClampFlags(['--match', '1:3@1']))).toEqual({ match: { heads: ['1:3'], strength: 1 } });
    expect(clampSpec(parseClampFlags(['--perfect-copy', '1:3']))).toEqual({ perfectCopy: { head: '1:3' } });
  });

  it('old names are aliases of the new flags', () => {
    expect(clampSpec(parseClampFlags(['--ih-clamp', '1:3@0.5']))).toEqual({ match: { heads: ['1:3'], strength: 0.5 } });
    expect(clampSpec(parseClampFlags(['--pt-clamp', '0:2']))).toEqual({ prevToken: { heads: ['0:2'] } });
    expect(clampSpec(parseClampFlags(['--perfect-l1']))).toEqual({ perfectLayer1: true });
  });

  it('strengths outside [0, 1] and heads not written layer:head are refused, naming the value', () => {
    expect(commanderMessage(['--match', '1:3@1.01'])).toContain("strength '1.01' must be a number in [0, 1]");
    expect(commanderMessage(['--match', '1:3@-0.1'])).toContain("strength '-0.1' must be a number in [0, 1]");
    expect(commanderMessage(['--prev-token', '0:2@x'])).toContain("strength 'x' must be a number in [0, 1]");
    expect(commanderMessage(['--ablate', '1:0,13'])).toContain("'13' is not a head; write layer:head with plain indices, e.g. 1:3");
    expect(commanderMessage(['--ablate', '01:3'])).toContain("'01:3' is not a head");
    expect(commanderMessage(['--perfect-copy', '1:3,1:4'])).toContain("expected one head, got '1:3,1:4'");
  });

  it('a temperature after @ is any number >= 0; without one it is 1', () => {
    expect(clampSpec(parseClampFlags(['--head-temperature', '1:3@2.5']))).toEqual({ headTemperature: { heads: ['1:3'], temperature: 2.5 } });
    expect(clampSpec(parseClampFlags(['--head-temperature', '0:2@0']))).toEqual({ headTemperature: { heads: ['0:2'], temperature: 0 } });
    expect(clampSpec(parseClampFlags(['--head-temperature', '0:2']))).toEqual({ headTemperature: { heads: ['0:2'], temperature: 1 } });
    for (const bad of ['-1', '', ' ', 'hot', 'Infinity']) expect(commanderMessage(['--head-temperature', `1:3@${bad}`])).toContain(`'${bad}' after @ must be a number ≥ 0`);
  });

  it('layers, files, words and switches', () => {
    const ckpt = path.join(os.tmpdir(), 'donor.safetensors');
    // the file is stored absolute, whatever the working directory
    expect(clampSpec(parseClampFlags(['--graft', path.relative(process.cwd(), ckpt), '--graft-till', '1']))).toEqual({ graft: { checkpoint: ckpt, tillLayer: 1 } });
    expect(clampSpec(parseClampFlags(['--graft', ckpt]))).toEqual({ graft: { checkpoint: ckpt, tillLayer: 0 } });
    expect(clampSpec(parseClampFlags(['--graft', ckpt, '--graft-till', '0']))).toEqual({ graft: { checkpoint: ckpt, tillLayer: 0 } });
    for (const bad of ['-1', '1.5', 'one']) expect(commanderMessage(['--graft-till', bad])).toContain(`expected a layer index, got '${bad}'`);
    expect(() => clampSpec(parseClampFlags(['--graft-till', '1']))).toThrow('--graft-till needs --graft <checkpoint>');
    expect(clampSpec(parseClampFlags(['--preserve', 'patterns, values']))).toEqual({ preserve: { patterns: true, values: true } });
    expect(clampSpec(parseClampFlags(['--ablate-embedding']))).toEqual({ ablateEmbedding: true });
  });

  it('--only-head ablates the other heads of its layer in the given model, on top of --ablate', () => {
    expect(clampSpec(parseClampFlags(['--only-head', '1:3']), undefined, { nLayers: 2, nHeads: 4 })).toEqual({ ablate: ['1:0', '1:1', '1:2'] });
    const spec = clampSpec(parseClampFlags(['--only-head', '1:3', '--ablate', '0:1']), undefined, { nLayers: 2, nHeads: 4 }) as { ablate: string[] };
    expect([...spec.ablate].sort()).toEqual(['0:1', '1:0', '1:1', '1:2']);
  });

  it('--help lists each clamp flag with its help; old names are hidden, described as the new flag\'s', () => {
    const cmd = addClampOptions(new Command('t'));
    const opt = (long: string) => cmd.options.find((o) => o.long === long)!;
    expect(opt('--clamp').description).toBe('intervention spec file (see README "Interventions")');
    expect([opt('--match').hidden, opt('--match').description]).toEqual([false, 'match (induction) clamp on the query row (4.5), e.g. 1:3@0.75']);
    expect([opt('--ih-clamp').hidden, opt('--ih-clamp').description, opt('--ih-clamp').flags]).toEqual([true, 'old name of --match', '--ih-clamp <heads[@s]>']);
    expect([opt('--perfect-l1').hidden, opt('--perfect-l1').description]).toEqual([true, 'old name of --perfect-layer1']);
    expect(cmd.helpInformation()).not.toContain('--ih-clamp');
  });

  it('flags layer over a --clamp spec file and over a base spec; flags given win over the file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opto-flags-'));
    try {
      const file = path.join(dir, 'spec.json');
      fs.writeFileSync(file, JSON.stringify({ version: 1, ablate: ['0:0'], match: { heads: ['1:1'], strength: 0.2 } }));
      const spec = clampSpec(parseClampFlags(['--clamp', file, '--match', '1:3@0.9']), { version: 1, perfectLayer1: true } as never);
      expect(spec).toEqual({ version: 1, perfectLayer1: true, ablate: ['0:0'], match: { heads: ['1:3'], strength: 0.9 } });
      fs.writeFileSync(file, '[1, 2]');
      expect(() => clampSpec(parseClampFlags(['--clamp', file]))).toThrow(file);
      expect(() => clampSpec(parseClampFlags(['--clamp', path.join(dir, 'none.json')]))).toThrow(`clamp spec not found: ${path.join(dir, 'none.json')}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('data flags (dataFlags.ts)', () => {
  const parse = (argv: string[]) => addDataOptions(new Command('t').exitOverride()).parse(argv, { from: 'user' }).opts();

  it('only the fields given; none without either flag', () => {
    expect(dataBlock(parse([]))).toBeUndefined();
    // strict: a flag not given leaves no key at all (the config's own default then applies)
    expect(dataBlock(parse(['--data', 'synthetic']))).toStrictEqual({ source: 'synthetic' });
    expect(dataBlock(parse(['--dataset-path', 'a/b']))).toStrictEqual({ datasetPath: 'a/b' });
    expect(dataBlock(parse(['--data', 'f.h5', '--dataset-path', 'a/b']))).toEqual({ source: 'f.h5', datasetPath: 'a/b' });
  });

  it('--help describes both flags, with the command\'s own note', () => {
    const described = (cmd: Command) => Object.fromEntries(cmd.options.map((o) => [o.long, o.description]));
    expect(described(addDataOptions(new Command('t'), " (default: the sweep spec's)"))).toEqual({
      '--data': "'synthetic' or a feature file (.h5/.hdf5/.npy) (default: the sweep spec's)",
      '--dataset-path': 'HDF5 dataset path inside the file (default resnet18/224/feat)',
    });
    expect(described(addDataOptions(new Command('t')))['--data']).toBe("'synthetic' or a feature file (.h5/.hdf5/.npy)");
  });

  it('--classes and --labels: positive integers, documented with the paper\'s values', () => {
    const cmd = addTaskOptions(new Command('t').exitOverride().configureOutput({ writeErr: () => {} }));
    expect(cmd.parse(['--classes', '200', '--labels', '15'], { from: 'user' }).opts()).toEqual({ classes: 200, labels: 15 });
    expect(() => addTaskOptions(new Command('t').exitOverride().configureOutput({ writeErr: () => {} })).parse(['--labels', '0'], { from: 'user' })).toThrow("expected a positive integer, got '0'");
    expect(cmd.options.map((o) => o.description)).toEqual(['training classes (spec 1.2: 50; Fig. 6: 100, 200)', 'output labels L (spec 1.3: 5; Fig. 6: 10, 15)']);
  });

  it('sweep and report: --dataset-path alone names no file and is refused', () => {
    expect(dataFileBlock(parse([]))).toBeUndefined();
    expect(dataFileBlock(parse(['--data', 'f.h5', '--dataset-path', 'x']))).toEqual({ source: 'f.h5', datasetPath: 'x' });
    expect(() => dataFileBlock(parse(['--dataset-path', 'x']))).toThrow('--dataset-path x: give the feature file with --data <file>');
  });
});
