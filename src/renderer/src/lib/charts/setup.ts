/**
 * chart.js with only what the canary charts draw (tree-shaken: line charts on linear
 * scales, filled areas, tooltips and decimation), plus guards for places without a canvas
 * (jsdom in component tests), and colours read from the app's CSS tokens.
 */
import {
  Chart,
  Decimation,
  Filler,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from 'chart.js';

let registered = false;

export function registerCharts(): typeof Chart {
  if (!registered) {
    Chart.register(
      LineController,
      LineElement,
      PointElement,
      LinearScale,
      Filler,
      Tooltip,
      Decimation,
    );
    registered = true;
  }
  return Chart;
}

/** A 2D context, or undefined where there is none (jsdom has no canvas implementation). */
export function canvasContext(canvas: HTMLCanvasElement): CanvasRenderingContext2D | undefined {
  const agent = typeof navigator === 'undefined' ? '' : navigator.userAgent;
  if (/jsdom/i.test(agent)) return undefined;
  try {
    return canvas.getContext('2d') ?? undefined;
  } catch {
    return undefined;
  }
}

/**
 * A token's colour as the canvas needs it. Custom properties hold `light-dark(...)` text,
 * which a canvas cannot use: a probe element's computed `color` resolves it for the current
 * theme.
 */
export function tokenColor(host: Element, token: string, fallback: string): string {
  const doc = host.ownerDocument;
  const view = doc.defaultView;
  if (!view) return fallback;
  const probe = doc.createElement('span');
  probe.style.color = `var(${token}, ${fallback})`;
  probe.style.display = 'none';
  host.appendChild(probe);
  const color = view.getComputedStyle(probe).color;
  probe.remove();
  return color || fallback;
}

/** Both axes' tick and grid colours (used when the theme changes). */
export function paintAxes<TData>(chart: Chart<'line', TData>, text: string, grid: string): void {
  for (const id of ['x', 'y']) {
    const scale = chart.options.scales?.[id];
    if (!scale) continue;
    if (scale.grid) scale.grid.color = grid;
    if (scale.ticks) scale.ticks.color = text;
  }
}

/** The same colour with an alpha (for fills): rgb(a, b, c) → rgba(a, b, c, alpha). */
export function withAlpha(color: string, alpha: number): string {
  const m = /^rgba?\((\d+(?:\.\d+)?)[ ,]+(\d+(?:\.\d+)?)[ ,]+(\d+(?:\.\d+)?)/.exec(color);
  if (!m) return color;
  return `rgba(${m[1]}, ${m[2]}, ${m[3]}, ${alpha})`;
}

/** Axis labels for a linear time axis in ms: hh:mm, or hh:mm:ss over short spans. */
export function timeTick(ms: number, spanMs: number): string {
  const d = new Date(ms);
  const pad = (n: number): string => String(n).padStart(2, '0');
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return spanMs < 10 * 60_000 ? `${hm}:${pad(d.getSeconds())}` : hm;
}
