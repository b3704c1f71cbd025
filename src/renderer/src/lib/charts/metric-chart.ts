/**
 * One analysis check over time: its values as a line, the allowed thresholdRange shaded,
 * failing samples as larger points in the failure colour. Same linear ms x axis and
 * decimation as the traffic chart.
 */
import type { Chart, ChartConfiguration, ScriptableContext, TooltipItem } from 'chart.js';
import type { CanaryPoint } from '../../../../shared/api';
import { onThemeChange } from '../theme';
import { markersPlugin, setMarkers } from './markers';
import { addCheckPoint, type CheckPoint } from './series';
import { canvasContext, paintAxes, registerCharts, timeTick, tokenColor, withAlpha } from './setup';

export interface MetricChartOptions {
  metric: string;
  min?: number;
  max?: number;
  /** A unit for the axis and tooltip ("%", "ms"). */
  unit?: string;
}

export function metricUnit(metric: string): string | undefined {
  if (metric === 'request-success-rate') return '%';
  if (metric === 'request-duration') return 'ms';
  return undefined;
}

export interface MetricColors {
  line: string;
  fail: string;
  ok: string;
  text: string;
  grid: string;
}

export function readMetricColors(host: Element): MetricColors {
  return {
    line: tokenColor(host, '--accent', '#2b64d9'),
    fail: tokenColor(host, '--phase-failed', '#d55e00'),
    ok: tokenColor(host, '--phase-succeeded', '#009e73'),
    text: tokenColor(host, '--text-muted', '#666666'),
    grid: tokenColor(host, '--border', '#dddddd'),
  };
}

export class MetricChart {
  readonly chart: Chart<'line', CheckPoint[]> | undefined;
  private points: CheckPoint[] = [];
  private colors: MetricColors;
  private offTheme: (() => void) | undefined;

  constructor(
    canvas: HTMLCanvasElement,
    host: Element,
    private readonly options: MetricChartOptions,
  ) {
    this.colors = readMetricColors(host);
    const ctx = canvasContext(canvas);
    if (!ctx) return;
    // A canvas does not follow CSS: repaint in the new theme's colours.
    this.offTheme = onThemeChange(() => this.setColors(readMetricColors(host)));
    const ChartJs = registerCharts();
    const { text, grid } = this.colors;
    const unit = options.unit ? ` ${options.unit}` : '';
    const failed = (c: ScriptableContext<'line'>): boolean =>
      (c.raw as CheckPoint | undefined)?.passed === false;
    const config: ChartConfiguration<'line', CheckPoint[]> = {
      type: 'line',
      data: {
        datasets: [
          {
            label: options.metric,
            data: this.points,
            borderColor: this.colors.line,
            borderWidth: 1.5,
            pointRadius: (c) => (failed(c) ? 3.5 : 1.5),
            // Read at each draw, so a theme change repaints the points too.
            pointBackgroundColor: (c) => (failed(c) ? this.colors.fail : this.colors.line),
            pointBorderColor: (c) => (failed(c) ? this.colors.fail : this.colors.line),
          },
        ],
      },
      options: {
        parsing: false,
        normalized: true,
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: 'nearest', axis: 'x', intersect: false },
        scales: {
          x: {
            type: 'linear',
            grid: { color: grid },
            ticks: {
              color: text,
              maxRotation: 0,
              autoSkipPadding: 16,
              includeBounds: false,
              callback: (value) => this.tick(Number(value)),
            },
          },
          y: {
            type: 'linear',
            grace: '5%',
            ...(options.min !== undefined ? { suggestedMin: options.min } : {}),
            ...(options.max !== undefined ? { suggestedMax: options.max } : {}),
            grid: { color: grid },
            // Never below 0 for a check with only a maximum (a duration, an error count).
            ...(options.min === undefined ? { beginAtZero: true } : {}),
            // A success rate never exceeds 100 %.
            ...(options.unit === '%' && options.max === undefined ? { max: 100 } : {}),
            ticks: { color: text, callback: (v) => `${tickValue(Number(v))}${unit}` },
          },
        },
        plugins: {
          decimation: { enabled: true, algorithm: 'lttb' },
          tooltip: {
            callbacks: {
              title: (items: TooltipItem<'line'>[]) =>
                items[0] ? new Date((items[0].raw as CheckPoint).x).toLocaleTimeString() : '',
              label: (item: TooltipItem<'line'>) => {
                const p = item.raw as CheckPoint;
                return `${options.metric}: ${formatValue(p.y)}${unit}${p.passed ? '' : ' (failed)'}`;
              },
            },
          },
        },
      },
      plugins: [markersPlugin],
    };
    this.chart = new ChartJs(ctx, config);
    this.setBand();
  }

  private setBand(): void {
    if (!this.chart) return;
    const { min, max } = this.options;
    setMarkers(this.chart as unknown as Chart, {
      markers: [],
      styles: {},
      band: {
        ...(min !== undefined ? { min } : {}),
        ...(max !== undefined ? { max } : {}),
        color: withAlpha(this.colors.ok, 0.12),
      },
    });
  }

  /** New colours (the theme changed): line, points, band and axes, one redraw. */
  setColors(colors: MetricColors): void {
    const chart = this.chart;
    if (!chart) return;
    this.colors = colors;
    const [dataset] = chart.data.datasets;
    if (dataset) dataset.borderColor = colors.line;
    paintAxes(chart, colors.text, colors.grid);
    this.setBand();
    this.redraw();
  }

  private tick(ms: number): string {
    const x = this.chart?.options.scales?.['x'];
    const first = (typeof x?.min === 'number' ? x.min : this.points[0]?.x) ?? ms;
    const last =
      (typeof x?.max === 'number' ? x.max : this.points[this.points.length - 1]?.x) ?? ms;
    return timeTick(ms, last - first);
  }

  /** The x span to show (the canary's whole series), so every chart lines up with the traffic. */
  setRange(from: number | undefined, to: number | undefined): void {
    const x = this.chart?.options.scales?.['x'];
    if (!x || (x.min === from && x.max === to)) return;
    x.min = from;
    x.max = to;
    this.redraw();
  }

  /** Replaces every point, in a fresh array (see TrafficChart.setPoints). */
  setPoints(points: readonly CanaryPoint[]): void {
    const fresh: CheckPoint[] = [];
    for (const point of points) addCheckPoint(fresh, point, this.options.metric);
    this.points = fresh;
    this.redraw();
  }

  appendAll(points: readonly CanaryPoint[]): void {
    for (const point of points) addCheckPoint(this.points, point, this.options.metric);
    this.redraw();
  }

  private redraw(): void {
    const chart = this.chart;
    if (!chart) return;
    const [dataset] = chart.data.datasets;
    if (dataset) dataset.data = this.points;
    chart.update('none');
  }

  destroy(): void {
    this.offTheme?.();
    this.chart?.destroy();
  }
}

export function formatValue(value: number): string {
  if (Number.isInteger(value)) return String(value);
  return value.toFixed(Math.abs(value) >= 100 ? 1 : 2);
}

/** Axis labels without floating-point noise (100.00000000000001 → 100). */
function tickValue(value: number): string {
  return String(Number(value.toPrecision(6)));
}
