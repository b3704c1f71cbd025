/**
 * A tiny chart.js plugin: vertical marker lines at x values (analysis steps, halts,
 * rollback, promotion), with a short label for the rare ones, and a shaded y band (a check's
 * threshold range). Markers that fall on the same pixel column are drawn once, so a day of
 * halts costs at most one line per pixel.
 */
import type { Chart, Plugin } from 'chart.js';

export type MarkerKind = 'step' | 'halt' | 'rollback' | 'promotion' | 'start';

export interface ChartMarker {
  x: number;
  kind: MarkerKind;
}

export interface MarkerStyle {
  color: string;
  width: number;
  dash: number[];
  /** Drawn at the top of the line, for markers a person looks for. */
  label?: string;
}

export interface MarkerOptions {
  markers: ChartMarker[];
  styles: Partial<Record<MarkerKind, MarkerStyle>>;
  /** Shade y from min to max (either may be open), e.g. a threshold range. */
  band?: { min?: number; max?: number; color: string };
  labelColor?: string;
  font?: string;
}

/**
 * Each chart's markers, kept beside chart.js rather than in its options: chart.js resolves
 * option arrays of objects through proxies, which made reading a day of markers slow.
 */
const state = new WeakMap<Chart, MarkerOptions>();

export function setMarkers(chart: Chart, options: MarkerOptions): void {
  state.set(chart, options);
}

/** Draw order: weaker kinds first, so a rollback line is never hidden under a step. */
const ORDER: MarkerKind[] = ['step', 'start', 'halt', 'promotion', 'rollback'];

export const markersPlugin: Plugin<'line'> = {
  id: 'markers',
  beforeDatasetsDraw(chart: Chart<'line'>) {
    const options = state.get(chart as Chart);
    if (!options?.band) return;
    const y = chart.scales['y'];
    if (!y) return;
    const { left, right, top, bottom } = chart.chartArea;
    const from =
      options.band.max === undefined ? top : Math.max(top, y.getPixelForValue(options.band.max));
    const to =
      options.band.min === undefined
        ? bottom
        : Math.min(bottom, y.getPixelForValue(options.band.min));
    if (to <= from) return;
    const ctx = chart.ctx;
    ctx.save();
    ctx.fillStyle = options.band.color;
    ctx.fillRect(left, from, right - left, to - from);
    ctx.restore();
  },
  afterDatasetsDraw(chart: Chart<'line'>) {
    const options = state.get(chart as Chart);
    if (!options || options.markers.length === 0) return;
    const x = chart.scales['x'];
    if (!x) return;
    const { left, right, top, bottom } = chart.chartArea;
    const ctx = chart.ctx;
    const drawn = new Map<number, MarkerKind>();
    // The strongest kind per pixel column wins.
    for (const marker of options.markers) {
      const px = Math.round(x.getPixelForValue(marker.x));
      if (px < left || px > right) continue;
      const previous = drawn.get(px);
      if (previous === undefined || ORDER.indexOf(marker.kind) > ORDER.indexOf(previous))
        drawn.set(px, marker.kind);
    }
    ctx.save();
    for (const kind of ORDER) {
      const style = options.styles[kind];
      if (!style) continue;
      ctx.beginPath();
      ctx.strokeStyle = style.color;
      ctx.lineWidth = style.width;
      ctx.setLineDash(style.dash);
      let any = false;
      for (const [px, k] of drawn) {
        if (k !== kind) continue;
        ctx.moveTo(px + 0.5, top);
        ctx.lineTo(px + 0.5, bottom);
        any = true;
      }
      if (any) ctx.stroke();
      if (!style.label) continue;
      ctx.setLineDash([]);
      ctx.fillStyle = options.labelColor ?? style.color;
      ctx.font = options.font ?? '11px system-ui, sans-serif';
      ctx.textBaseline = 'top';
      for (const [px, k] of drawn) {
        if (k !== kind) continue;
        const width = ctx.measureText(style.label).width;
        const at = px + 4 + width > right ? px - 4 - width : px + 4;
        ctx.fillStyle = style.color;
        ctx.fillText(style.label, at, top + 2);
      }
    }
    ctx.restore();
  },
};
