/**
 * Envoy's upstream request statistics, as Envoy's Prometheus endpoint names them, shared by
 * every Envoy-based provider (Contour, Gloo, Kuma, App Mesh): Prometheus refuses one metric
 * name twice in a registry, and in a real cluster these are one family scraped from many
 * Envoys anyway. Each provider's router reports the labels its Envoy and scrape config give:
 *
 *   envoy_cluster_upstream_rq{envoy_cluster_name, envoy_response_code, ...}        counter
 *   envoy_cluster_upstream_rq_time_bucket{envoy_cluster_name, ..., le}             histogram (ms)
 *
 * - Contour: envoy_cluster_name `<ns>_<service>_<port>` (the edge Envoy's cluster).
 * - Gloo: envoy_cluster_name `<upstream>_<upstream namespace>`.
 * - Kuma: `service` (the data plane's kuma.io/service) and `mesh`, from its sidecar.
 * - App Mesh: kubernetes_namespace / kubernetes_pod_name of the sidecar's pod.
 *
 * Routers set the labels they know; `envoyRoute(labels, { sidecar: true })` asks for the
 * destination pod's kubernetes_namespace / kubernetes_pod_name, known only once kube-proxy
 * picked the pod. Flagger's builtin queries (contour, gloo, kuma, appmesh) select these
 * series unchanged, with request-duration read as milliseconds.
 */
import { Counter, Histogram } from 'prom-client';
import type { ProviderMetricsFactory } from './metrics';

export const ENVOY_PROVIDER = 'envoy';

const LABELS = [
  'envoy_cluster_name',
  'envoy_response_code',
  'service',
  'mesh',
  'kubernetes_namespace',
  'kubernetes_pod_name',
] as const;
type EnvoyLabel = (typeof LABELS)[number];

/** A router-set label that is not exported: the destination pod's sidecar reports the request. */
const SIDECAR = '__sidecar';

/** Envoy's default histogram buckets for upstream_rq_time, in milliseconds. */
export const ENVOY_BUCKETS_MS = [
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000,
  1800000, 3600000,
];

/** The `metrics` of a RouteDecision for the shared Envoy family. */
export function envoyRoute(
  labels: Partial<Record<Exclude<EnvoyLabel, 'envoy_response_code'>, string>>,
  options: { sidecar?: boolean } = {},
): { provider: string; labels: Record<string, string> } {
  const all: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) if (v !== undefined) all[k] = v;
  if (options.sidecar) all[SIDECAR] = 'true';
  return { provider: ENVOY_PROVIDER, labels: all };
}

export const envoyMetrics: ProviderMetricsFactory = (registry) => {
  const requests = new Counter({
    name: 'envoy_cluster_upstream_rq',
    help: 'Total upstream requests by response code',
    labelNames: LABELS,
    registers: [registry],
  });
  const time = new Histogram({
    name: 'envoy_cluster_upstream_rq_time',
    help: 'Upstream request time in milliseconds',
    labelNames: LABELS.filter((l) => l !== 'envoy_response_code'),
    buckets: ENVOY_BUCKETS_MS,
    registers: [registry],
  });
  return {
    provider: ENVOY_PROVIDER,
    observe(labels, o) {
      const base: Partial<Record<EnvoyLabel, string>> = {};
      for (const name of LABELS) {
        const value = name === 'envoy_response_code' ? undefined : labels[name];
        if (value !== undefined) base[name] = value;
      }
      if (labels[SIDECAR] === 'true' && o.pod) {
        base.kubernetes_namespace = o.namespace;
        base.kubernetes_pod_name = o.pod;
      }
      requests.inc({ ...base, envoy_response_code: String(o.status) });
      time.observe(base, o.durationSeconds * 1000);
    },
  };
};
