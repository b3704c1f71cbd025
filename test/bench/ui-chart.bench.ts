/**
 * Benchmark of the canary detail's traffic chart in Debian's Chromium (playwright-core,
 * headless, no GPU): 24 h of 10 s samples (8,640 points per series, steps, halts and a
 * rollback as markers) drawn in a 1200 x 260 canvas by the renderer's own TrafficChart
 * (lib/charts/traffic-chart.ts, bundled with esbuild), then redrawn once per new point as
 * the live view does. Figures: the first draw, and the time per redraw (median, p95, max)
 * with the chart's LTTB decimation (about one point per pixel), and for comparison with
 * min-max decimation (keeps every edge, ~4 points per pixel) and none; the aim is one frame
 * (16 ms). Figures only, not a timed test.
 *
 *   npm run bench -- ui-chart
 */
import { build } from 'esbuild';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const title =
  'Traffic chart redraw in Chromium: 24 h of 10 s samples (8,640 points per series), decimated';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = resolve(here, '../..');
const AIM_MS = 16;
const REDRAWS = 120;

/** The page side: builds a day of points, draws, then appends + redraws REDRAWS times. */
const ENTRY = `
import { TrafficChart, readColors } from './src/renderer/src/lib/charts/traffic-chart';

function day(start) {
  const points = [];
  let weight = 0;
  for (let i = 0; i < 8640; i++) {
    const cycle = i % 360;
    let marker;
    if (cycle === 0) { weight = 0; marker = 'start'; }
    else if (cycle % 12 === 0 && weight < 50) { weight += 10; marker = 'step'; }
    else if (cycle === 200) marker = 'halt';
    if (cycle === 300 && (i / 360) % 4 === 3) { weight = 0; marker = 'rollback'; }
    else if (cycle === 300) { weight = 0; marker = 'promotion'; }
    points.push({
      time: new Date(start + i * 10000).toISOString(),
      phase: weight > 0 ? 'Progressing' : 'Succeeded',
      canaryWeight: weight,
      primaryWeight: 100 - weight,
      checks: [{ metric: 'request-success-rate', value: 99 + Math.random(), min: 99, passed: true }],
      ...(marker ? { marker } : {}),
    });
  }
  return points;
}

window.runBench = (decimation, redraws, algorithm) => {
  const host = document.getElementById('host');
  host.innerHTML = '<canvas></canvas>';
  const canvas = host.querySelector('canvas');
  const start = Date.parse('2026-01-01T00:00:00Z');
  const points = day(start);
  const chart = new TrafficChart(canvas, { colors: readColors(host) });
  chart.chart.options.plugins.decimation.enabled = decimation;
  if (algorithm) chart.chart.options.plugins.decimation.algorithm = algorithm;
  const t0 = performance.now();
  chart.setPoints(points);
  const first = performance.now() - t0;
  const times = [];
  for (let i = 0; i < redraws; i++) {
    const p = { ...points[i % points.length], time: new Date(start + (8640 + i) * 10000).toISOString() };
    const t = performance.now();
    chart.appendAll([p]);
    times.push(performance.now() - t);
  }
  const drawn = chart.chart.getDatasetMeta(0).data.length;
  chart.destroy();
  times.sort((a, b) => a - b);
  const at = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))];
  return { first, median: at(0.5), p95: at(0.95), max: times[times.length - 1], drawn };
};
`;

export async function run(): Promise<Record<string, number | string>> {
  const bundle = await build({
    stdin: { contents: ENTRY, resolveDir: root, loader: 'ts', sourcefile: 'bench-entry.ts' },
    bundle: true,
    format: 'iife',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  const script = bundle.outputFiles[0]?.text ?? '';
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--headless=new', '--disable-gpu'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 400 } });
    await page.setContent(
      `<!doctype html><html><body style="margin:0">
       <div id="host" style="position:relative;width:1200px;height:260px"></div>
       </body></html>`,
    );
    await page.addScriptTag({ content: script });
    type Result = { first: number; median: number; p95: number; max: number; drawn: number };
    const call = (decimation: boolean, algorithm = ''): Promise<Result> =>
      page.evaluate(
        ([d, n, a]) =>
          (
            window as unknown as { runBench: (d: boolean, n: number, a: string) => Result }
          ).runBench(d, n, a),
        [decimation, REDRAWS, algorithm] as const,
      );
    await call(true); // warm-up: JIT, fonts
    const on = await call(true);
    const off = await call(false);
    const minMax = await call(true, 'min-max');
    return {
      'points per series': 8640,
      'canvas (px)': '1200 x 260',
      'first draw, LTTB decimation (ms)': on.first,
      'redraw median, LTTB decimation (ms)': on.median,
      'redraw p95, LTTB decimation (ms)': on.p95,
      'redraw max, LTTB decimation (ms)': on.max,
      'points drawn per series, LTTB': on.drawn,
      'redraw median / 16 ms aim': on.median / AIM_MS,
      'redraw p95 / 16 ms aim': on.p95 / AIM_MS,
      'redraw median, no decimation (ms)': off.median,
      'redraw p95, no decimation (ms)': off.p95,
      'first draw, no decimation (ms)': off.first,
      'redraw median, min-max decimation (ms)': minMax.median,
      'redraw p95, min-max decimation (ms)': minMax.p95,
    };
  } finally {
    await browser.close();
  }
}

// `npx tsx test/bench/ui-chart.bench.ts` runs it alone.
if (process.argv[1] && resolve(process.argv[1]) === join(here, 'ui-chart.bench.ts')) {
  run().then(
    (figures) => console.log(figures),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
