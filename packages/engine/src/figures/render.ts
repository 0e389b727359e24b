/** Server-side SVG of a figure spec: vega-lite compiles to Vega, a headless Vega view renders SVG (no canvas needed). */
import * as vega from 'vega';
import { compile } from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';

/** Compile a Vega-Lite spec to a Vega spec (throws on an invalid spec). */
export function compileSpec(spec: TopLevelSpec): vega.Spec {
  return compile(spec).spec;
}

/** Render a Vega-Lite spec to an SVG document string. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compileSpec(spec)), { renderer: 'none', logLevel: vega.Error });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
