/** Renders a Vega specification to an SVG string, headless (no browser, no canvas). */
import { parse, View, type Spec } from 'vega';

/** The SVG of a Vega specification. */
export async function renderSvg(spec: Spec): Promise<string> {
  const view = new View(parse(spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
