/**
 * Skipper's route metrics, as its Prometheus exporter (-enable-prometheus-metrics) names them:
 *
 *   skipper_serve_route_duration_seconds{code, method, route}   (histogram)
 *   skipper_response_duration_seconds{code, method, route}      (histogram)
 *
 * `route` is the route ID Skipper's Kubernetes data client gives an Ingress path:
 * `kube_<ns>__<ingress>__<host>__<path>__<service>`, every character outside [a-zA-Z0-9_]
 * turned into `_` (traffic/skipper.ts builds it). Flagger's builtin queries select the canary
 * Ingress's canary backend with `kube(ew)?_<ns>__<ingress>_canary__.*__<service>_canary(_N)?`.
 */
import { Histogram } from 'prom-client';
import type { ProviderMetricsFactory } from './metrics';
import { DEFAULT_BUCKETS } from './metrics';

const LABELS = ['code', 'method', 'route'] as const;

export const skipperMetrics: ProviderMetricsFactory = (registry) => {
  const serve = new Histogram({
    name: 'skipper_serve_route_duration_seconds',
    help: 'Duration in seconds of serving a route.',
    labelNames: LABELS,
    buckets: DEFAULT_BUCKETS,
    registers: [registry],
  });
  const response = new Histogram({
    name: 'skipper_response_duration_seconds',
    help: 'Duration in seconds of a response.',
    labelNames: LABELS,
    buckets: DEFAULT_BUCKETS,
    registers: [registry],
  });
  return {
    provider: 'skipper',
    observe(labels, o) {
      const all = { code: String(o.status), method: o.method, route: labels['route'] ?? '' };
      serve.observe(all, o.durationSeconds);
      response.observe(all, o.durationSeconds);
    },
  };
};
