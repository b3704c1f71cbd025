/**
 * One simulated cluster's metrics: a prom-client Registry with the pod-level HTTP
 * histogram every app exports (as Prometheus' kubernetes-pods job labels it) and each
 * provider's own families. Series of deleted pods are dropped, so the exposition stays
 * proportional to what runs now, however long the playground has been up.
 */
import { Histogram, Registry } from 'prom-client';
import type { ProviderMetrics, ProviderMetricsFactory, RequestObservation } from './metrics';
import { DEFAULT_BUCKETS } from './metrics';
import { apisixMetrics } from './apisix';
import { envoyMetrics } from './envoy';
import { istioMetrics } from './istio';
import { linkerdMetrics } from './linkerd';
import { nginxMetrics } from './nginx';
import { osmMetrics } from './osm';
import { skipperMetrics } from './skipper';
import { traefikMetrics } from './traefik';

export type { ProviderMetrics, ProviderMetricsFactory, RequestObservation } from './metrics';

/** Providers with their own metric families; add one line per provider file. */
export const providerMetricFactories: readonly ProviderMetricsFactory[] = [
  nginxMetrics,
  istioMetrics,
  // One Envoy family for Contour, Gloo, Kuma and App Mesh (see envoy.ts).
  envoyMetrics,
  traefikMetrics,
  skipperMetrics,
  linkerdMetrics,
  osmMetrics,
  apisixMetrics,
];

type PodLabels = {
  kubernetes_namespace: string;
  kubernetes_pod_name: string;
  method: string;
  status: string;
};

export class TrafficMetrics {
  readonly registry = new Registry();
  private readonly providers = new Map<string, ProviderMetrics>();
  /**
   * http_request_duration_seconds{kubernetes_namespace,kubernetes_pod_name,method,status}:
   * the series Flagger's "http" queries (kubernetes and gatewayapi providers) select.
   */
  private readonly podDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Seconds spent serving HTTP requests.',
    labelNames: ['kubernetes_namespace', 'kubernetes_pod_name', 'method', 'status'] as const,
    buckets: DEFAULT_BUCKETS,
    registers: [this.registry],
  });
  private readonly podSeries = new Map<string, Map<string, PodLabels>>();

  constructor(factories: readonly ProviderMetricsFactory[] = providerMetricFactories) {
    for (const factory of factories) {
      const provider = factory(this.registry);
      this.providers.set(provider.provider, provider);
    }
  }

  observe(o: RequestObservation): void {
    const labels: PodLabels = {
      kubernetes_namespace: o.namespace,
      kubernetes_pod_name: o.pod,
      method: o.method,
      status: String(o.status),
    };
    if (o.pod) {
      this.podDuration.observe(labels, o.durationSeconds);
      const podKey = `${o.namespace}/${o.pod}`;
      let series = this.podSeries.get(podKey);
      if (!series) this.podSeries.set(podKey, (series = new Map()));
      series.set(`${labels.method} ${labels.status}`, labels);
    }
    if (o.route) this.providers.get(o.route.provider)?.observe(o.route.labels, o);
  }

  /** Drops a deleted pod's series, as Prometheus would mark them stale. */
  forgetPod(namespace: string, pod: string): void {
    const podKey = `${namespace}/${pod}`;
    for (const labels of this.podSeries.get(podKey)?.values() ?? [])
      this.podDuration.remove(labels);
    this.podSeries.delete(podKey);
  }

  /** The Prometheus text exposition (what /metrics serves). */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}
