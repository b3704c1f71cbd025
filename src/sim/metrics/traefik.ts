/**
 * Traefik's service metrics, as its Prometheus exporter names them (entrypoint and router
 * metrics are left out: Flagger reads only these):
 *
 *   traefik_service_requests_total{service, code, method, protocol}
 *   traefik_service_request_duration_seconds{service, code, method, protocol} (histogram)
 *
 * `service` is Traefik's provider-qualified name: a Kubernetes Service behind a weighted
 * TraefikService is `<ns>-<name>-<port>@kubernetescrd`, which Flagger's builtin queries
 * select with `<ns>-<target>-canary-[0-9a-zA-Z-]+@kubernetescrd`. traffic/traefik.ts reports
 * the leaf service and each TraefikService it went through (`services`, comma-separated), as
 * Traefik counts a request at every service layer.
 */
import { Counter, Histogram } from 'prom-client';
import type { ProviderMetricsFactory } from './metrics';

/** Traefik's default buckets for request durations. */
const TRAEFIK_BUCKETS = [0.1, 0.3, 1.2, 5];
const LABELS = ['service', 'code', 'method', 'protocol'] as const;

export const traefikMetrics: ProviderMetricsFactory = (registry) => {
  const requests = new Counter({
    name: 'traefik_service_requests_total',
    help: 'How many HTTP requests processed on a service, partitioned by status code, protocol, and method.',
    labelNames: LABELS,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'traefik_service_request_duration_seconds',
    help: 'How long it took to process the request on a service, partitioned by status code, protocol, and method.',
    labelNames: LABELS,
    buckets: TRAEFIK_BUCKETS,
    registers: [registry],
  });
  return {
    provider: 'traefik',
    observe(labels, o) {
      for (const service of (labels['services'] ?? '').split(',')) {
        if (service === '') continue;
        const all = { service, code: String(o.status), method: o.method, protocol: 'http' };
        requests.inc(all);
        duration.observe(all, o.durationSeconds);
      }
    },
  };
};
