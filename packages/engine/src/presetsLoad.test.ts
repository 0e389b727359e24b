/**
 * The preset catalogues load: their tables are built when the modules load, so this imports them inside
 * a test (a module that throws while loading then fails a test, not the collection of a test file).
 */
import { expect, it } from 'vitest';

it('the paper and task presets load, every one with a builder and a description', async () => {
  const { PRESETS } = await import('./presets.js');
  const { TASK_PRESETS } = await import('./taskPresets.js');
  expect(Object.keys(PRESETS)).toHaveLength(28);
  expect(Object.keys(TASK_PRESETS)).toHaveLength(3);
  for (const p of Object.values(PRESETS)) {
    expect(typeof p.build).toBe('function');
    expect(p.description.length).toBeGreaterThan(20);
  }
});
