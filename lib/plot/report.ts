/**
 * `nestflow plot`: the corner plot and diagnostics of a run as SVG and PNG,
 * and one self-contained HTML report (inline SVG, no external files) that
 * puts them beside the run's summary and settings.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { cornerSpec, diagnosticsSpec, type CornerOptions } from './figures.js';
import { renderSvg, svgToPng } from './render.js';
import { loadRun, type PlotRun } from './run.js';

export interface PlotOptions extends CornerOptions {
  /** Folder for the outputs. Default: beside the run's files. */
  outDir?: string;
  /** Default ['svg', 'png']. */
  formats?: Array<'svg' | 'png'>;
  /** Write `<root>_report.html`. Default true. */
  html?: boolean;
}

const escapeHtml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function fmt(v: unknown, digits = 3): string {
  if (typeof v !== 'number') return v === undefined || v === null ? '—' : String(v);
  if (!Number.isFinite(v)) return String(v);
  return Number.isInteger(v) ? v.toLocaleString('en-US') : v.toFixed(digits);
}

/** The report page: summary table, the figures inline, settings. */
export function reportHtml(run: PlotRun, figures: Array<{ id: string; title: string; svg: string }>): string {
  const s = run.summary?.status === 'finished' ? run.summary : undefined;
  const ref = run.referenceLogZ;
  const rows: Array<[string, string]> = [
    ['log Z', `${fmt(run.logZ)} ± ${fmt(run.logZErr)}${run.logZSource === 'recomputed' ? ' (recomputed from the files)' : ''}`],
    ...(Number.isFinite(ref) ? [['reference log Z', `${fmt(ref)} (Δ = ${fmt(run.logZ - ref)} = ${fmt((run.logZ - ref) / run.logZErr, 2)} σ)`] as [string, string]] : []),
    ['likelihood calls', fmt(run.nLike)],
    ['dead points', fmt(run.logL.length)],
    ['calls per dead point', Number.isFinite(run.nLike) ? fmt(run.nLike / run.logL.length, 2) : '—'],
    ['effective sample size', fmt(Math.round(run.ess))],
    ['information H', `${fmt(run.information, 2)} nats`],
    ['parameters', run.paramNames.join(', ')],
  ];
  if (run.iterations.length) rows.push(['iterations', fmt(run.iterations.length)]);
  if (s) {
    if (s.insertionPValue !== null) rows.push(['insertion-index KS p (run)', fmt(s.insertionPValue, 3)]);
    rows.push(['stopped', s.stopReason]);
    const t = s.timingsMs;
    rows.push(['time (train / sample / likelihood)', `${fmt(t.train / 1000, 1)} / ${fmt(t.sample / 1000, 1)} / ${fmt(t.likelihood / 1000, 1)} s`]);
  }
  const paramRows = run.parameters
    .map((p) => `<tr><td>${escapeHtml(p.name)}</td><td>${fmt(p.mean, 4)}</td><td>${fmt(p.sd, 4)}</td><td>${fmt(p.median, 4)}</td><td>[${fmt(p.ci68[0], 4)}, ${fmt(p.ci68[1], 4)}]</td><td>[${fmt(p.ci95[0], 4)}, ${fmt(p.ci95[1], 4)}]</td><td>${fmt(p.maxLogL, 4)}</td></tr>`)
    .join('\n');
  const parameters = `<h2>Parameters</h2><table class="parameters"><thead><tr><th>parameter</th><th>mean</th><th>sd</th><th>median</th><th>68% interval</th><th>95% interval</th><th>at max log L</th></tr></thead><tbody>\n${paramRows}\n</tbody></table>`;
  const note = run.source === 'polychord-files' ? '<p class="note">Read from PolyChord-layout files without nestflow\'s <code>.json</code>: the evidence is recomputed from <code>_dead-birth.txt</code>, and per-iteration diagnostics are not available.</p>' : '';
  const settings = run.summary ? `<h2>Settings</h2><pre>${escapeHtml(JSON.stringify(run.summary.settings, null, 2))}</pre>` : '';
  const figs = figures.map((f) => `<section class="figure" id="${f.id}"><h2>${escapeHtml(f.title)}</h2>${f.svg}</section>`).join('\n');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(basename(run.root))} — nestflow run report</title>
<style>
body { font-family: 'DejaVu Sans', system-ui, sans-serif; font-size: 16px; line-height: 1.45; margin: 0 auto; padding: 2em 3em 4em; max-width: 1200px; color: #222; }
h1 { margin-top: 0; } h2 { margin-top: 1.6em; border-bottom: 1px solid #e4e4e4; padding-bottom: 0.2em; }
table { border-collapse: collapse; margin: 1em 0; } td, th { padding: 0.3em 0.9em; border-bottom: 1px solid #ddd; text-align: left; }
td:first-child { color: #555; } pre { background: #f6f6f6; padding: 1em; overflow-x: auto; }
/* Figures fill the column (their SVGs scale by viewBox), so ticks stay legible. */
.figure svg { display: block; width: 100%; max-width: 1100px; height: auto; }
.note { color: #8a4b00; } table.parameters td, table.parameters th { text-align: right; font-variant-numeric: tabular-nums; } table.parameters td:first-child, table.parameters th:first-child { text-align: left; }
</style></head>
<body>
<h1>${escapeHtml(basename(run.root))}</h1>
<p>Run files: <code>${escapeHtml(run.root)}</code>${run.source === 'nestflow' ? ` (nestflow ${escapeHtml(run.summary?.version ?? '')})` : ' (PolyChord layout)'}</p>
${note}
<table><tbody>${rows.map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td>${escapeHtml(v)}</td></tr>`).join('')}</tbody></table>
${parameters}
${figs}
${settings}
</body></html>
`;
}

/** Writes `<root>_corner.{svg,png}`, `<root>_diagnostics.{svg,png}` and `<root>_report.html`. Returns the paths. */
export async function plotRun(root: string, options: PlotOptions = {}): Promise<string[]> {
  const run = loadRun(root);
  const formats = options.formats ?? ['svg', 'png'];
  const outStem = options.outDir ? join(options.outDir, basename(root)) : root;
  if (options.outDir) mkdirSync(options.outDir, { recursive: true });
  const written: string[] = [];
  const figures: Array<{ id: string; title: string; svg: string }> = [];
  for (const [id, title, spec] of [
    ['corner', 'Posterior', cornerSpec(run, options)],
    ['diagnostics', 'Run diagnostics', diagnosticsSpec(run)],
  ] as const) {
    const svg = await renderSvg(spec);
    figures.push({ id, title, svg });
    if (formats.includes('svg')) {
      writeFileSync(`${outStem}_${id}.svg`, svg);
      written.push(`${outStem}_${id}.svg`);
    }
    if (formats.includes('png')) {
      writeFileSync(`${outStem}_${id}.png`, await svgToPng(svg));
      written.push(`${outStem}_${id}.png`);
    }
  }
  if (options.html ?? true) {
    writeFileSync(`${outStem}_report.html`, reportHtml(run, figures));
    written.push(`${outStem}_report.html`);
  }
  return written;
}

export { loadRun, type PlotRun } from './run.js';
export { cornerSpec, diagnosticsSpec, type CornerOptions } from './figures.js';
