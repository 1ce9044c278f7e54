/**
 * Vega-Lite specs of a run's figures: the corner plot of the weighted
 * posterior (KDE marginals, 68% / 95% highest-density contours traced by
 * d3-contour) and the run diagnostics.
 */
import { contours } from 'd3-contour';
import unicodeit from 'unicodeit';
import { equalWeightIndices } from '../evidence.js';
import { credibleLevels, crossValidatedFactor, kde1d, kde2d, plotRange } from './kde.js';
import type { VegaLiteSpec } from './render.js';
import type { PlotRun } from './run.js';

export interface CornerOptions {
  /** Parameters to show, by name or index. Default: all (the first 10 when there are more). */
  params?: Array<string | number>;
  /** True values to mark, one per shown parameter (NaN for none). */
  reference?: number[];
  /** Equal-weight samples drawn as faint points under the contours. Default 400. */
  samples?: number;
  /** Grid cells per axis of the 2-D KDE. Default 80. */
  grid?: number;
}

const CONTOUR_COLOURS = { '68%': '#08306b', '95%': '#4292c6' };
const FONT = { font: 'DejaVu Sans', axis: { labelFontSize: 12, titleFontSize: 14, titleFontWeight: 'normal' as const }, title: { subtitleFontSize: 13 }, view: { stroke: '#888' } };

function selectParams(run: PlotRun, params?: Array<string | number>): number[] {
  if (!params) return Array.from({ length: Math.min(run.dim, 10) }, (_, j) => j);
  return params.map((p) => {
    const j = typeof p === 'number' ? p : run.paramNames.indexOf(p);
    if (!Number.isInteger(j) || j < 0 || j >= run.dim) throw new RangeError(`params: no parameter ${JSON.stringify(p)} (have ${run.paramNames.join(', ')})`);
    return j;
  });
}

/** The corner plot: 1-D marginals on the diagonal, 2-D 68% / 95% credible contours below it. */
export function cornerSpec(run: PlotRun, options: CornerOptions = {}): VegaLiteSpec {
  const shown = selectParams(run, options.params);
  const k = shown.length;
  if (options.reference && options.reference.length !== k) throw new RangeError(`reference: expected ${k} values (one per shown parameter), got ${options.reference.length}`);
  const n = run.logL.length;
  let maxLogW = -Infinity;
  for (let i = 0; i < n; i++) maxLogW = Math.max(maxLogW, run.logWeight[i]!);
  // Points with negligible weight change no contour and cost time.
  const keep: number[] = [];
  for (let i = 0; i < n; i++) if (run.logWeight[i]! - maxLogW > -25) keep.push(i);
  const w = Float64Array.from(keep, (i) => Math.exp(run.logWeight[i]! - maxLogW));
  const col = (j: number): Float64Array => Float64Array.from(keep, (i) => run.theta[i * run.dim + j]!);
  const columns = shown.map(col);
  const ranges = columns.map((x) => plotRange(x, w));
  const sampleIdx = equalWeightIndices(Float64Array.from(keep, (i) => run.logWeight[i]!), options.samples ?? 400, 1);
  const grid = options.grid ?? 80;
  const cell = k <= 2 ? 220 : k <= 4 ? 160 : k <= 6 ? 125 : 95;
  const label = (j: number): string => displayLabel(run, shown[j]!);
  const ref = options.reference;

  const rows: VegaLiteSpec[] = [];
  for (let r = 0; r < k; r++) {
    const cells: unknown[] = [];
    for (let c = 0; c <= r; c++) {
      const bottom = r === k - 1;
      const left = c === 0;
      const xAxis = { title: bottom ? label(c) : null, labels: bottom, ticks: true, tickCount: 4, labelAngle: 0, labelOverlap: true };
      const xScale = { domain: ranges[c], zero: false, nice: false };
      if (r === c) {
        const d = kde1d(columns[c]!, w, ranges[c]!);
        const values = Array.from(d.x, (x, i) => ({ x, p: d.density[i]! }));
        const layers: unknown[] = [
          { mark: { type: 'area', color: '#c6dbef', line: { color: CONTOUR_COLOURS['68%'] } }, encoding: { x: { field: 'x', type: 'quantitative', scale: xScale, axis: xAxis }, y: { field: 'p', type: 'quantitative', axis: null, scale: { zero: true } } } },
        ];
        if (ref && Number.isFinite(ref[c]!)) layers.push({ mark: { type: 'rule', color: '#d62728', strokeDash: [4, 3], strokeWidth: 1.5 }, data: { values: [{ v: ref[c] }] }, encoding: { x: { field: 'v', type: 'quantitative' } } });
        cells.push({ width: cell, height: cell, data: { values }, layer: layers, title: { text: intervalTitle(run, shown[c]!, label(c)), fontSize: k <= 4 ? 13 : 11, fontWeight: 'normal', anchor: 'middle' } });
        if (r === 0 && k >= 2) cells.push(legendCell(cell, Boolean(ref)));
        continue;
      }
      // A wide kernel where the posterior allows it (smooth contours), a narrow one on thin curved ridges.
      const dens = kde2d(columns[c]!, columns[r]!, w, ranges[c]!, ranges[r]!, grid, crossValidatedFactor(columns[c]!, columns[r]!, sampleIdx));
      const [l95, l68] = credibleLevels(dens.values, [0.95, 0.68]);
      const gx = (ranges[c]![1] - ranges[c]![0]) / dens.nx;
      const gy = (ranges[r]![1] - ranges[r]![0]) / dens.ny;
      const lines: Array<{ x: number; y: number; ring: string; order: number; level: string }> = [];
      const traced = contours().size([dens.nx, dens.ny]).thresholds([l95!, l68!])(Array.from(dens.values));
      traced.forEach((mp, t) => {
        const level = t === 0 ? '95%' : '68%';
        mp.coordinates.forEach((polygon, pi) =>
          polygon.forEach((ring, ri) =>
            ring.forEach(([gxIdx, gyIdx], o) => lines.push({ x: ranges[c]![0] + gxIdx! * gx, y: ranges[r]![0] + gyIdx! * gy, ring: `${level}-${pi}-${ri}`, order: o, level })),
          ),
        );
      });
      const points = Array.from(sampleIdx, (i) => ({ x: columns[c]![i]!, y: columns[r]![i]! }));
      const yAxis = { title: left ? label(r) : null, labels: left, ticks: true, tickCount: 4, labelOverlap: true };
      const yScale = { domain: ranges[r], zero: false, nice: false };
      const layers: unknown[] = [
        { data: { values: points }, mark: { type: 'circle', size: 4, opacity: 0.25, color: '#6b6b6b', clip: true }, encoding: { x: { field: 'x', type: 'quantitative', scale: xScale, axis: xAxis }, y: { field: 'y', type: 'quantitative', scale: yScale, axis: yAxis } } },
        {
          data: { values: lines },
          mark: { type: 'line', strokeWidth: 1.6, clip: true },
          encoding: {
            x: { field: 'x', type: 'quantitative' },
            y: { field: 'y', type: 'quantitative' },
            detail: { field: 'ring', type: 'nominal' },
            order: { field: 'order', type: 'quantitative' },
            color: { field: 'level', type: 'nominal', scale: { domain: ['68%', '95%'], range: [CONTOUR_COLOURS['68%'], CONTOUR_COLOURS['95%']] }, legend: null },
          },
        },
      ];
      if (ref && Number.isFinite(ref[c]!)) layers.push({ data: { values: [{ v: ref[c] }] }, mark: { type: 'rule', color: '#d62728', strokeDash: [4, 3], strokeWidth: 1.2 }, encoding: { x: { field: 'v', type: 'quantitative' } } });
      if (ref && Number.isFinite(ref[r]!)) layers.push({ data: { values: [{ v: ref[r] }] }, mark: { type: 'rule', color: '#d62728', strokeDash: [4, 3], strokeWidth: 1.2 }, encoding: { y: { field: 'v', type: 'quantitative' } } });
      cells.push({ width: cell, height: cell, layer: layers });
    }
    rows.push({ hconcat: cells, spacing: 6 } as unknown as VegaLiteSpec);
  }
  const title = `${run.root.split('/').pop()}: posterior (log Z = ${run.logZ.toFixed(3)} ± ${run.logZErr.toFixed(3)})`;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, subtitle: [`weighted KDE of ${run.logL.length.toLocaleString('en-US')} dead points (ESS ${Math.round(run.ess)})`, `contours: 68% and 95% highest-density regions${ref ? '; dashed red: reference values' : ''}`] },
    vconcat: rows,
    spacing: 6,
    config: FONT,
  } as unknown as VegaLiteSpec;
}

/** A diagonal panel's title, as corner.py's show_titles: median and the 68% interval around it. */
function intervalTitle(run: PlotRun, j: number, label: string): string {
  const p = run.parameters[j];
  if (!p) return label;
  const up = p.ci68[1] - p.median;
  const down = p.median - p.ci68[0];
  // Two significant digits in the smaller error; the median to the same decimal place.
  const scale = Math.min(up, down) > 0 ? Math.min(up, down) : Math.max(up, down, Math.abs(p.median) * 1e-3, 1e-12);
  const digits = Math.max(0, Math.min(8, 1 - Math.floor(Math.log10(scale))));
  return `${label} = ${p.median.toFixed(digits)} +${up.toFixed(digits)} −${down.toFixed(digits)}`;
}

/** The contours' key, drawn in the empty corner right of the first diagonal panel (a Vega legend would sit on a panel). */
function legendCell(cell: number, withReference: boolean): unknown {
  const entries = [
    { y: 0, label: '68% credible region', colour: CONTOUR_COLOURS['68%'], dash: [1, 0] },
    { y: 1, label: '95% credible region', colour: CONTOUR_COLOURS['95%'], dash: [1, 0] },
    ...(withReference ? [{ y: 2, label: 'reference value', colour: '#d62728', dash: [4, 3] }] : []),
  ];
  const y = { field: 'y', type: 'quantitative', scale: { domain: [-0.5, 6.5], reverse: true }, axis: null };
  return {
    width: cell,
    height: cell,
    view: { stroke: null },
    data: { values: entries },
    layer: [
      { mark: { type: 'rule', strokeWidth: 2 }, encoding: { x: { datum: 0.02, type: 'quantitative', scale: { domain: [0, 1] }, axis: null }, x2: { datum: 0.14 }, y, color: { field: 'colour', type: 'nominal', scale: null }, strokeDash: { field: 'dash', type: 'nominal', scale: null } } },
      { mark: { type: 'text', align: 'left', baseline: 'middle', fontSize: 13, dx: 4 }, encoding: { x: { datum: 0.16, type: 'quantitative' }, y, text: { field: 'label' } } },
    ],
  };
}

/** Which log L values to show: those of points with non-negligible posterior mass (not the prior draws a million nats down). */
function logLDomain(run: PlotRun): [number, number] {
  let max = -Infinity;
  let maxMass = -Infinity;
  for (let i = 0; i < run.logL.length; i++) {
    if (!Number.isFinite(run.logL[i]!)) continue;
    max = Math.max(max, run.logL[i]!);
    maxMass = Math.max(maxMass, run.logL[i]! + run.logX[i]!);
  }
  let min = max;
  for (let i = 0; i < run.logL.length; i++) {
    if (Number.isFinite(run.logL[i]!) && run.logL[i]! + run.logX[i]! > maxMass - 30) min = Math.min(min, run.logL[i]!);
  }
  const pad = 0.05 * Math.max(1, max - min);
  return [min - pad, max + pad];
}

/** Every `stride`-th index so a chart has at most `max` points (the last always kept). */
function thin(n: number, max: number): number[] {
  const stride = Math.max(1, Math.ceil(n / max));
  const out: number[] = [];
  for (let i = 0; i < n; i += stride) out.push(i);
  if (n > 0 && out[out.length - 1] !== n - 1) out.push(n - 1);
  return out;
}

/** Run diagnostics: log L and posterior mass against log X, log Z ± err, and the per-iteration records. */
export function diagnosticsSpec(run: PlotRun): VegaLiteSpec {
  const w = 300;
  const h = 170;
  const n = run.logL.length;
  const idx = thin(n, 2500).filter((i) => Number.isFinite(run.logL[i]!));
  const [lo, hi] = logLDomain(run);
  const dead = idx.map((i) => ({ logX: run.logX[i]!, logL: run.logL[i]!, mass: Math.exp(run.logL[i]! + run.logX[i]! - run.logZ) }));
  let maxMass = 0;
  for (const d of dead) maxMass = Math.max(maxMass, d.mass);
  for (const d of dead) d.mass /= maxMass || 1;
  const chart = (title: string, spec: Record<string, unknown>): Record<string, unknown> => ({ title: { text: title, fontSize: 14, anchor: 'start', frame: 'group', offset: 8 }, width: w, height: h, ...spec });
  const charts: Array<Record<string, unknown>> = [
    chart('log L against log X', {
      data: { values: dead },
      mark: { type: 'line', clip: true, color: '#1f77b4' },
      encoding: { x: { field: 'logX', type: 'quantitative', title: 'log X (prior volume)' }, y: { field: 'logL', type: 'quantitative', title: 'log L', scale: { domain: [lo, hi], zero: false } } },
    }),
    chart('posterior mass against log X', {
      data: { values: dead },
      mark: { type: 'area', color: '#9ecae1', line: { color: '#08519c' } },
      encoding: { x: { field: 'logX', type: 'quantitative', title: 'log X (prior volume)' }, y: { field: 'mass', type: 'quantitative', title: 'L·X (max scaled to 1)' } },
    }),
  ];
  const ref = run.referenceLogZ;
  if (run.iterations.length > 0) {
    const it = run.iterations.map((r) => ({
      iteration: r.iteration,
      logZ: r.logZ,
      lo: r.logZ - r.logZErr,
      hi: r.logZ + r.logZErr,
      efficiency: r.efficiency,
      proposalsPerPoint: r.proposals / Math.max(1, r.killed),
      callsPerPoint: r.likelihoodCalls / Math.max(1, r.killed),
      p: Math.max(1e-6, r.insertionPValue),
      loss: r.trainLoss,
    }));
    const last = it.filter((r) => Number.isFinite(r.logZ));
    // The running log Z climbs from −∞; show the part that approaches the answer.
    const final = last.length ? last[last.length - 1]!.logZ : 0;
    const zLo = Math.min(final - 10, Number.isFinite(ref) ? ref - 2 : Infinity);
    const zLayers: unknown[] = [
      { mark: { type: 'area', opacity: 0.3, color: '#1f77b4', clip: true }, encoding: { x: { field: 'iteration', type: 'quantitative', title: 'iteration' }, y: { field: 'lo', type: 'quantitative', title: 'running log Z ± err', scale: { domain: [zLo, final + 2], zero: false } }, y2: { field: 'hi' } } },
      { mark: { type: 'line', color: '#08519c', clip: true }, encoding: { x: { field: 'iteration', type: 'quantitative' }, y: { field: 'logZ', type: 'quantitative' } } },
    ];
    if (Number.isFinite(ref)) zLayers.push({ data: { values: [{ v: ref }] }, mark: { type: 'rule', color: '#d62728', strokeDash: [4, 3] }, encoding: { y: { field: 'v', type: 'quantitative' } } });
    charts.push(chart(`log Z ± err by iteration${Number.isFinite(ref) ? ' (dashed: reference)' : ''}`, { data: { values: last }, layer: zLayers }));
    const perIt = (title: string, field: string, yTitle: string, extra: Record<string, unknown> = {}): Record<string, unknown> =>
      chart(title, {
        data: { values: it },
        mark: { type: 'line', point: { size: 18 }, color: '#1f77b4', clip: true },
        encoding: { x: { field: 'iteration', type: 'quantitative', title: 'iteration' }, y: { field, type: 'quantitative', title: yTitle, ...extra } },
      });
    charts.push(perIt('acceptance efficiency (new points per likelihood call)', 'efficiency', 'efficiency', { scale: { domain: [0, 1] } }));
    charts.push(perIt('flow proposals per new point', 'proposalsPerPoint', 'proposals / new point', { scale: { type: 'log' } }));
    charts.push(perIt('likelihood calls per new point', 'callsPerPoint', 'calls / new point', { scale: { zero: true } }));
    charts.push(
      chart('insertion-index KS p-value (dashed: 0.01)', {
        data: { values: it },
        layer: [
          { mark: { type: 'point', filled: true, size: 22, color: '#1f77b4' }, encoding: { x: { field: 'iteration', type: 'quantitative', title: 'iteration' }, y: { field: 'p', type: 'quantitative', title: 'p-value', scale: { type: 'log', domain: [1e-4, 1] } } } },
          { data: { values: [{ v: 0.01 }] }, mark: { type: 'rule', color: '#d62728', strokeDash: [4, 3] }, encoding: { y: { field: 'v', type: 'quantitative' } } },
        ],
      }),
    );
    charts.push(perIt('flow training loss (CFM, end of each iteration)', 'loss', 'loss', { scale: { zero: false } }));
  } else {
    // PolyChord's files have no iteration records: the running evidence against log X instead.
    let acc = -Infinity;
    const running: Array<{ logX: number; logZ: number }> = [];
    const keep = new Set(idx);
    for (let i = 0; i < n; i++) {
      const lw = run.logWeight[i]! + run.logZ;
      acc = acc === -Infinity ? lw : Math.max(acc, lw) + Math.log1p(Math.exp(-Math.abs(acc - lw)));
      if (keep.has(i) && Number.isFinite(acc)) running.push({ logX: run.logX[i]!, logZ: acc });
    }
    const layers: unknown[] = [{ mark: { type: 'line', color: '#08519c', clip: true }, encoding: { x: { field: 'logX', type: 'quantitative', title: 'log X (prior volume)' }, y: { field: 'logZ', type: 'quantitative', title: 'running log Z', scale: { domain: [run.logZ - 10, run.logZ + 2] } } } }];
    if (Number.isFinite(ref)) layers.push({ data: { values: [{ v: ref }] }, mark: { type: 'rule', color: '#d62728', strokeDash: [4, 3] }, encoding: { y: { field: 'v', type: 'quantitative' } } });
    charts.push(chart('running log Z against log X (files without iteration records)', { data: { values: running }, layer: layers }));
  }
  const pairs: Array<Record<string, unknown>> = [];
  for (let i = 0; i < charts.length; i += 2) pairs.push({ hconcat: charts.slice(i, i + 2), spacing: 60, bounds: 'flush' });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `${run.root.split('/').pop()}: run diagnostics`, subtitle: `${n.toLocaleString('en-US')} dead points${Number.isFinite(run.nLike) ? `, ${run.nLike.toLocaleString('en-US')} likelihood calls` : ''}${run.iterations.length ? `, ${run.iterations.length} iterations` : ''}` },
    vconcat: pairs,
    spacing: 24,
    config: FONT,
  } as unknown as VegaLiteSpec;
}

/** A parameter's axis title: its LaTeX label in Unicode (\\theta → θ, y_{10} → y₁₀), else its name. */
export function displayLabel(run: Pick<PlotRun, 'paramNames' | 'labels'>, j: number): string {
  const name = run.paramNames[j]!;
  const latex = run.labels[j];
  if (!latex || latex === name) return name;
  return unicodeit.replace(latex.replace(/^\$(.*)\$$/, '$1')).replace(/[{}]/g, '');
}
