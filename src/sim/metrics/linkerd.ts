/**
 * The Linkerd proxy's inbound request metrics, as the server-side proxy of the pod that
 * answered reports them (outbound series and the tcp_* families are left out: Flagger reads
 * only these):
 *
 *   response_total{direction="inbound", authority, tls, status_code, classification,
 *                  namespace, deployment}
 *   response_latency_ms (histogram, the same labels without classification)
 *
 * Flagger's builtin linkerd queries select {namespace, deployment=~target,
 * direction="inbound"} and classification!="failure". `deployment` is the workload the pod
 * belongs to, found from the pod's name (`<deployment>-<pod-template-hash>-<suffix>`).
 * Linkerd's `pod` label is left out so series do not pile up with every rollout's pods.
 */
import { Counter, Histogram } from 'prom-client';
import type { ProviderMetricsFactory } from './metrics';

/** The proxy's latency buckets, in milliseconds. */
const LINKERD_BUCKETS_MS = [
  1, 2, 3, 4, 5, 10, 20, 30, 40, 50, 100, 200, 300, 400, 500, 1000, 2000, 3000, 4000, 5000, 10000,
  20000, 30000, 40000, 50000,
];

/** A Deployment's pod name, `<deployment>-<pod-template-hash>-<suffix>`, back to the Deployment. */
export function deploymentOfPod(pod: string): string {
  return /^(.+)-[a-z0-9]+-[a-z0-9]+$/.exec(pod)?.[1] ?? pod;
}

export const linkerdMetrics: ProviderMetricsFactory = (registry) => {
  const responses = new Counter({
    name: 'response_total',
    help: 'Total count of HTTP responses.',
    labelNames: [
      'direction',
      'authority',
      'tls',
      'status_code',
      'classification',
      'namespace',
      'deployment',
    ] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'response_latency_ms',
    help: "Elapsed times between a request's headers being received and its response stream completing",
    labelNames: [
      'direction',
      'authority',
      'tls',
      'status_code',
      'namespace',
      'deployment',
    ] as const,
    buckets: LINKERD_BUCKETS_MS,
    registers: [registry],
  });
  return {
    provider: 'linkerd',
    observe(labels, o) {
      // No pod answered (no endpoints): no inbound proxy saw the request.
      if (o.pod === '') return;
      const common = {
        direction: 'inbound',
        authority: labels['authority'] ?? '',
        tls: 'true',
        status_code: String(o.status),
        namespace: o.namespace,
        deployment: deploymentOfPod(o.pod),
      };
      responses.inc({ ...common, classification: o.status >= 500 ? 'failure' : 'success' });
      latency.observe(common, o.durationSeconds * 1000);
    },
  };
};
