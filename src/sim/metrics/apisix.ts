/**
 * APISIX's prometheus plugin metrics (metric_prefix `apisix_`, as Flagger's tutorial sets it):
 *
 *   apisix_http_status{code, route, matched_uri, matched_host, service, consumer, node}
 *   apisix_http_latency{type, route, service, consumer, node} (histogram, ms) for
 *     type="request" (the whole request), "upstream" (the upstream's part) and "apisix"
 *
 * Flagger's builtin apisix queries select route=~"<ns>_<routeRef>-<target>-canary_.+": the
 * canary clone's route name, which traffic/apisix.ts reports when the route's prometheus
 * plugin has prefer_name. `node` (the upstream pod's address) is left empty so series do not
 * pile up with every rollout's pods.
 */
import { Counter, Histogram } from 'prom-client';
import type { ProviderMetricsFactory } from './metrics';

/** The plugin's default latency buckets, in milliseconds. */
const APISIX_BUCKETS_MS = [
  1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 30000, 60000,
];
/** What the gateway itself adds to a request, in milliseconds. */
const GATEWAY_MS = 0.5;

export const apisixMetrics: ProviderMetricsFactory = (registry) => {
  const status = new Counter({
    name: 'apisix_http_status',
    help: 'HTTP status codes per service in APISIX',
    labelNames: [
      'code',
      'route',
      'matched_uri',
      'matched_host',
      'service',
      'consumer',
      'node',
    ] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'apisix_http_latency',
    help: 'HTTP request latency in milliseconds per service in APISIX',
    labelNames: ['type', 'route', 'service', 'consumer', 'node'] as const,
    buckets: APISIX_BUCKETS_MS,
    registers: [registry],
  });
  return {
    provider: 'apisix',
    observe(labels, o) {
      const route = labels['route'] ?? '';
      status.inc({
        code: String(o.status),
        route,
        matched_uri: labels['matched_uri'] ?? '',
        matched_host: labels['matched_host'] ?? '',
        service: '',
        consumer: '',
        node: '',
      });
      const upstreamMs = o.durationSeconds * 1000;
      const common = { route, service: '', consumer: '', node: '' };
      latency.observe({ ...common, type: 'request' }, upstreamMs + GATEWAY_MS);
      latency.observe({ ...common, type: 'upstream' }, upstreamMs);
      latency.observe({ ...common, type: 'apisix' }, GATEWAY_MS);
    },
  };
};
