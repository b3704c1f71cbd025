/**
 * Istio's standard metrics as the destination's sidecar reports them (reporter="destination"):
 *
 *   istio_requests_total{reporter, source_workload, source_workload_namespace,
 *     destination_workload, destination_workload_namespace, destination_service,
 *     destination_service_name, destination_service_namespace, request_protocol,
 *     response_code, response_flags, connection_security_policy}
 *   istio_request_duration_milliseconds (histogram, the same labels)
 *
 * Flagger's builtin istio queries select {reporter="destination",
 * destination_workload_namespace, destination_workload=~target} and response_code!~"5.*".
 * The destination workload is the Deployment of the pod that answered (from its name).
 */
import { Counter, Histogram } from 'prom-client';
import type { ProviderMetricsFactory } from './metrics';
import { deploymentOfPod } from './linkerd';

/** Istio's default duration buckets, in milliseconds. */
const ISTIO_BUCKETS_MS = [
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000,
  1800000, 3600000,
];

const LABELS = [
  'reporter',
  'source_workload',
  'source_workload_namespace',
  'destination_workload',
  'destination_workload_namespace',
  'destination_service',
  'destination_service_name',
  'destination_service_namespace',
  'request_protocol',
  'response_code',
  'response_flags',
  'connection_security_policy',
] as const;

export const istioMetrics: ProviderMetricsFactory = (registry) => {
  const requests = new Counter({
    name: 'istio_requests_total',
    help: 'Total requests.',
    labelNames: LABELS,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'istio_request_duration_milliseconds',
    help: 'Request duration in milliseconds.',
    labelNames: LABELS,
    buckets: ISTIO_BUCKETS_MS,
    registers: [registry],
  });
  return {
    provider: 'istio',
    observe(labels, o) {
      // No pod answered: no destination sidecar saw the request.
      if (o.pod === '') return;
      const all = {
        reporter: 'destination',
        source_workload: labels['source_workload'] ?? 'unknown',
        source_workload_namespace: labels['source_workload_namespace'] ?? 'unknown',
        destination_workload: deploymentOfPod(o.pod),
        destination_workload_namespace: o.namespace,
        destination_service: labels['destination_service'] ?? 'unknown',
        destination_service_name: labels['destination_service_name'] ?? 'unknown',
        destination_service_namespace: labels['destination_service_namespace'] ?? 'unknown',
        request_protocol: 'http',
        response_code: String(o.status),
        response_flags: '-',
        connection_security_policy: 'mutual_tls',
      };
      requests.inc(all);
      duration.observe(all, o.durationSeconds * 1000);
    },
  };
};
