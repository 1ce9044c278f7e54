/**
 * Server-side rendering of Vega-Lite specs: SVG from Vega's own renderer
 * (no browser, no canvas), PNG from that SVG via resvg. Both libraries load
 * on first use so that importing nestflow stays cheap.
 */
import type { TopLevelSpec } from 'vega-lite';

export type { TopLevelSpec as VegaLiteSpec } from 'vega-lite';

/** Renders a Vega-Lite spec to a standalone SVG document. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
  const { spec: vegaSpec } = vegaLite.compile(spec);
  const view = new vega.View(vega.parse(vegaSpec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Rasterises an SVG to PNG at `scale` × its size, on a white background. */
export async function svgToPng(svg: string, scale = 2): Promise<Uint8Array> {
  const { Resvg } = await import('@resvg/resvg-js');
  const png = new Resvg(svg, { background: 'white', fitTo: { mode: 'zoom', value: scale }, font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } }).render().asPng();
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}

/** Both formats of one figure. */
export async function renderFigure(spec: TopLevelSpec, scale = 2): Promise<{ svg: string; png: Uint8Array }> {
  const svg = await renderSvg(spec);
  return { svg, png: await svgToPng(svg, scale) };
}
