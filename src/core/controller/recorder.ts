/**
 * Flagger's own Prometheus metrics (pkg/metrics/recorder.go, subsystem "flagger"), so the
 * Grafana dashboards and alert rules written for Flagger work on the canaries Aviary drives:
 *
 *   flagger_info{version, mesh_provider}                      gauge 1
 *   flagger_canary_total{namespace}                           canaries per namespace
 *   flagger_canary_status{name, namespace}                    0 Progressing, 2 Failed, else 1
 *   flagger_canary_weight{workload, namespace}                primary and canary weights
 *   flagger_canary_duration_seconds{name, namespace}          one analysis run (histogram)
 *   flagger_canary_metric_analysis{name, namespace, metric}   each check's last value
 *   flagger_canary_successes_total / _failures_total{name, namespace, deployment_strategy,
 *     analysis_status}
 *
 * `name` is the target's name, as in Flagger. One Flagger serves one cluster; Aviary drives
 * many, so every series also carries `cluster` (the kubeconfig context), which queries that
 * do not mention it simply aggregate over. Rendered in the text exposition format 0.0.4.
 */
import type { CanaryPhase, DeploymentStrategy } from '../canary/types';

/** prometheus.DefBuckets */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export type AnalysisStatus = 'completed' | 'skipped';

/** What the recorder needs of a canary: its namespace and the target's name. */
export interface RecordedCanary {
  cluster: string;
  namespace: string;
  /** targetRef.name */
  target: string;
}

type Labels = Record<string, string>;

interface Family {
  help: string;
  type: 'gauge' | 'counter' | 'histogram';
  /** Label set key → value (gauges, counters) or histogram state. */
  series: Map<string, { labels: Labels; value: number; buckets?: number[]; sum?: number }>;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

function formatNumber(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  return String(n);
}

/** Flagger's SetStatus: 0 while progressing, 2 once failed, 1 otherwise. */
export function statusValue(phase: CanaryPhase | ''): number {
  if (phase === 'Progressing') return 0;
  if (phase === 'Failed') return 2;
  return 1;
}

export class FlaggerMetrics {
  private readonly families = new Map<string, Family>();

  constructor() {
    this.family('flagger_info', 'gauge', 'Flagger version and mesh provider information');
    this.family('flagger_canary_total', 'gauge', 'The total number of canary custom resources');
    this.family(
      'flagger_canary_status',
      'gauge',
      'The current status of the latest canary analysis: 0 - running, 1 - successful, 2 - failed',
    );
    this.family('flagger_canary_weight', 'gauge', 'The virtual service destination weight');
    this.family(
      'flagger_canary_duration_seconds',
      'histogram',
      'Seconds spent performing canary analysis.',
    );
    this.family(
      'flagger_canary_metric_analysis',
      'gauge',
      'Last canary analysis result per metric',
    );
    this.family(
      'flagger_canary_successes_total',
      'counter',
      'The total number of canary analyses that finished successfully',
    );
    this.family(
      'flagger_canary_failures_total',
      'counter',
      'The total number of canary analyses that failed',
    );
  }

  private family(name: string, type: Family['type'], help: string): void {
    this.families.set(name, { help, type, series: new Map() });
  }

  private set(name: string, labels: Labels, value: number): void {
    const family = this.families.get(name)!;
    family.series.set(labelText(labels), { labels, value });
  }

  private add(name: string, labels: Labels, delta: number): void {
    const family = this.families.get(name)!;
    const key = labelText(labels);
    const series = family.series.get(key);
    if (series) series.value += delta;
    else family.series.set(key, { labels, value: delta });
  }

  setInfo(version: string, meshProvider: string): void {
    this.families.get('flagger_info')!.series.clear();
    this.set('flagger_info', { version, mesh_provider: meshProvider }, 1);
  }

  setTotal(cluster: string, namespace: string, total: number): void {
    if (total > 0) this.set('flagger_canary_total', { cluster, namespace }, total);
    else
      this.families.get('flagger_canary_total')!.series.delete(labelText({ cluster, namespace }));
  }

  setStatus(c: RecordedCanary, phase: CanaryPhase | ''): void {
    this.set(
      'flagger_canary_status',
      { cluster: c.cluster, name: c.target, namespace: c.namespace },
      statusValue(phase),
    );
  }

  /** SetWeight: two series, the primary workload's weight and the canary (target) workload's. */
  setWeight(c: RecordedCanary, primary: number, canary: number): void {
    const base = { cluster: c.cluster, namespace: c.namespace };
    this.set('flagger_canary_weight', { ...base, workload: `${c.target}-primary` }, primary);
    this.set('flagger_canary_weight', { ...base, workload: c.target }, canary);
  }

  setDuration(c: RecordedCanary, seconds: number): void {
    const family = this.families.get('flagger_canary_duration_seconds')!;
    const labels = { cluster: c.cluster, name: c.target, namespace: c.namespace };
    const key = labelText(labels);
    let series = family.series.get(key);
    if (!series) {
      series = { labels, value: 0, sum: 0, buckets: BUCKETS.map(() => 0) };
      family.series.set(key, series);
    }
    series.value += 1;
    series.sum = (series.sum ?? 0) + seconds;
    BUCKETS.forEach((le, i) => {
      if (seconds <= le) series.buckets![i]! += 1;
    });
  }

  setAnalysis(c: RecordedCanary, metric: string, value: number): void {
    this.set(
      'flagger_canary_metric_analysis',
      { cluster: c.cluster, name: c.target, namespace: c.namespace, metric },
      value,
    );
  }

  incSuccesses(c: RecordedCanary, strategy: DeploymentStrategy, status: AnalysisStatus): void {
    this.add('flagger_canary_successes_total', this.outcomeLabels(c, strategy, status), 1);
  }

  incFailures(c: RecordedCanary, strategy: DeploymentStrategy, status: AnalysisStatus): void {
    this.add('flagger_canary_failures_total', this.outcomeLabels(c, strategy, status), 1);
  }

  private outcomeLabels(c: RecordedCanary, strategy: string, status: string): Labels {
    return {
      cluster: c.cluster,
      name: c.target,
      namespace: c.namespace,
      deployment_strategy: strategy,
      analysis_status: status,
    };
  }

  /** Every series of a cluster goes (its context was removed or stopped being driven). */
  forgetCluster(cluster: string): void {
    for (const family of this.families.values()) {
      for (const [key, series] of family.series) {
        if (series.labels['cluster'] === cluster) family.series.delete(key);
      }
    }
  }

  /** The text exposition format (text/plain; version=0.0.4). */
  render(): string {
    const lines: string[] = [];
    for (const [name, family] of this.families) {
      if (family.series.size === 0) continue;
      lines.push(`# HELP ${name} ${family.help}`, `# TYPE ${name} ${family.type}`);
      for (const series of family.series.values()) {
        if (family.type !== 'histogram') {
          lines.push(`${name}${labelText(series.labels)} ${formatNumber(series.value)}`);
          continue;
        }
        BUCKETS.forEach((le, i) => {
          const labels = { ...series.labels, le: String(le) };
          lines.push(`${name}_bucket${labelText(labels)} ${series.buckets![i]}`);
        });
        lines.push(`${name}_bucket${labelText({ ...series.labels, le: '+Inf' })} ${series.value}`);
        lines.push(`${name}_sum${labelText(series.labels)} ${formatNumber(series.sum ?? 0)}`);
        lines.push(`${name}_count${labelText(series.labels)} ${series.value}`);
      }
    }
    return lines.length ? `${lines.join('\n')}\n` : '';
  }
}
