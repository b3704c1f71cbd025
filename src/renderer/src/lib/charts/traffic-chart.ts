/**
 * The traffic split over time: the canary's weight as an area from 0, the primary's as the
 * area above it (to canary + primary), steps and halts as faint vertical lines, rollback and
 * promotion labelled. Long series are decimated (LTTB, about one point per pixel: a step's
 * edge moves by at most a pixel; test/bench/ui-chart.bench.ts), which needs parsing off and
 * a linear x axis: x is ms, labelled by our own tick formatter.
 */
import type { Chart, ChartConfiguration, TooltipItem } from 'chart.js';
import type { CanaryPoint } from '../../../../shared/api';
import { onThemeChange } from '../theme';
import { markersPlugin, setMarkers, type MarkerOptions } from './markers';
import { addTrafficPoint, emptyTraffic, type TrafficSeries, type WeightPoint } from './series';
import { canvasContext, paintAxes, registerCharts, timeTick, tokenColor, withAlpha } from './setup';

export interface ChartColors {
  canary: string;
  primary: string;
  halt: string;
  rollback: string;
  promotion: string;
  step: string;
  text: string;
  grid: string;
}

export function readColors(host: Element): ChartColors {
  return {
    canary: tokenColor(host, '--phase-waiting', '#e69f00'),
    primary: tokenColor(host, '--phase-progressing', '#56b4e9'),
    halt: tokenColor(host, '--phase-waiting', '#e69f00'),
    rollback: tokenColor(host, '--phase-failed', '#d55e00'),
    promotion: tokenColor(host, '--phase-succeeded', '#009e73'),
    step: tokenColor(host, '--text-faint', '#888888'),
    text: tokenColor(host, '--text-muted', '#666666'),
    grid: tokenColor(host, '--border', '#dddddd'),
  };
}

export function markerStyles(colors: ChartColors): MarkerOptions['styles'] {
  return {
    step: { color: withAlpha(colors.step, 0.35), width: 1, dash: [2, 3] },
    start: { color: withAlpha(colors.step, 0.7), width: 1, dash: [], label: 'start' },
    halt: { color: withAlpha(colors.halt, 0.75), width: 1, dash: [] },
    promotion: { color: colors.promotion, width: 2, dash: [], label: 'promoted' },
    rollback: { color: colors.rollback, width: 2, dash: [], label: 'rollback' },
  };
}

export interface TrafficChartOptions {
  colors: ChartColors;
  /** Where the colours come from: given, the chart repaints when the theme changes. */
  host?: Element;
  /** Off for benchmarks of the redraw itself. */
  animation?: boolean;
}

export class TrafficChart {
  readonly chart: Chart<'line', WeightPoint[]> | undefined;
  private readonly series: TrafficSeries = emptyTraffic();
  private offTheme: (() => void) | undefined;

  constructor(canvas: HTMLCanvasElement, options: TrafficChartOptions) {
    const ctx = canvasContext(canvas);
    if (!ctx) return;
    const ChartJs = registerCharts();
    const { colors } = options;
    const series = this.series;
    const config: ChartConfiguration<'line', WeightPoint[]> = {
      type: 'line',
      data: {
        datasets: [
          {
            label: 'canary',
            data: series.canary,
            borderColor: colors.canary,
            backgroundColor: withAlpha(colors.canary, 0.45),
            fill: 'origin',
            stepped: 'after',
            borderWidth: 1.5,
            pointRadius: 0,
          },
          {
            label: 'primary',
            data: series.top,
            borderColor: colors.primary,
            backgroundColor: withAlpha(colors.primary, 0.25),
            fill: '-1',
            stepped: 'after',
            borderWidth: 1.5,
            pointRadius: 0,
          },
        ],
      },
      options: {
        parsing: false,
        normalized: true,
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: 'index', axis: 'x', intersect: false },
        scales: {
          x: {
            type: 'linear',
            grid: { color: colors.grid },
            ticks: {
              color: colors.text,
              maxRotation: 0,
              autoSkipPadding: 16,
              callback: (value) => this.tick(Number(value)),
            },
          },
          y: {
            type: 'linear',
            min: 0,
            max: 100,
            grid: { color: colors.grid },
            ticks: { color: colors.text, stepSize: 25, callback: (v) => `${String(v)} %` },
          },
        },
        plugins: {
          decimation: { enabled: true, algorithm: 'lttb' },
          tooltip: {
            callbacks: {
              title: (items: TooltipItem<'line'>[]) =>
                items[0] ? new Date((items[0].raw as WeightPoint).x).toLocaleTimeString() : '',
              label: (item: TooltipItem<'line'>) =>
                `${item.dataset.label ?? ''}: ${(item.raw as WeightPoint).w} %`,
            },
          },
        },
      },
      plugins: [markersPlugin],
    };
    this.chart = new ChartJs(ctx, config);
    setMarkers(this.chart as unknown as Chart, {
      markers: series.markers,
      styles: markerStyles(colors),
    });
    // A canvas does not follow CSS: repaint in the new theme's colours.
    const host = options.host;
    if (host) this.offTheme = onThemeChange(() => this.setColors(readColors(host)));
  }

  private tick(ms: number): string {
    const first = this.series.canary[0]?.x ?? ms;
    const last = this.series.canary[this.series.canary.length - 1]?.x ?? ms;
    return timeTick(ms, last - first);
  }

  /**
   * Replaces every point (first load). Fresh arrays: chart.js watches a dataset's array and
   * handles each push on its own, which made a day of points take seconds to load.
   */
  setPoints(points: readonly CanaryPoint[]): void {
    const fresh = emptyTraffic();
    for (const point of points) addTrafficPoint(fresh, point);
    this.series.canary = fresh.canary;
    this.series.top = fresh.top;
    this.series.markers.length = 0;
    for (const marker of fresh.markers) this.series.markers.push(marker);
    this.redraw();
  }

  /** More ticks (events): the arrays grow in place, one redraw. */
  appendAll(points: readonly CanaryPoint[]): void {
    for (const point of points) addTrafficPoint(this.series, point);
    this.redraw();
  }

  redraw(): void {
    const chart = this.chart;
    if (!chart) return;
    // Decimation replaces `data` with a getter; handing the arrays back keeps them ours.
    const [canary, top] = chart.data.datasets;
    if (canary) canary.data = this.series.canary;
    if (top) top.data = this.series.top;
    // Without two moments to span, a linear axis labels a meaningless range: show the ten
    // minutes up to the one point (or to now).
    const x = chart.options.scales?.['x'];
    if (x) {
      const first = this.series.canary[0]?.x;
      const last = this.series.canary[this.series.canary.length - 1]?.x;
      const flat = first === undefined || first === last;
      const end = last ?? Date.now();
      x.min = flat ? end - 10 * 60_000 : undefined;
      x.max = flat ? end : undefined;
    }
    chart.update('none');
  }

  /** New colours (the theme changed): datasets, axes and markers, one redraw. */
  setColors(colors: ChartColors): void {
    const chart = this.chart;
    if (!chart) return;
    const [canary, top] = chart.data.datasets;
    if (canary) {
      canary.borderColor = colors.canary;
      canary.backgroundColor = withAlpha(colors.canary, 0.45);
    }
    if (top) {
      top.borderColor = colors.primary;
      top.backgroundColor = withAlpha(colors.primary, 0.25);
    }
    paintAxes(chart, colors.text, colors.grid);
    setMarkers(chart as unknown as Chart, {
      markers: this.series.markers,
      styles: markerStyles(colors),
    });
    this.redraw();
  }

  destroy(): void {
    this.offTheme?.();
    this.chart?.destroy();
  }
}
