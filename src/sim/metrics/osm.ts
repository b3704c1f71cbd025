/**
 * Open Service Mesh's request metrics, as its Envoy sidecars report them through OSM's
 * Prometheus relabelling (the source_* labels are left out: the playground does not know
 * which pod sent a request, and Flagger selects only the destination):
 *
 *   osm_request_total{destination_namespace, destination_kind, destination_name, response_code}
 *   osm_request_duration_ms (histogram, the same labels)
 *
 * Flagger's builtin osm queries select destination_kind="Deployment" and
 * destination_name="<target>", response_code!~"5.*" for success.
 */
import { Counter, Histogram } from 'prom-client';
import { deploymentOfPod } from './linkerd';
import type { ProviderMetricsFactory } from './metrics';

const OSM_BUCKETS_MS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 30000, 60000];
const LABELS = [
  'destination_namespace',
  'destination_kind',
  'destination_name',
  'response_code',
] as const;

export const osmMetrics: ProviderMetricsFactory = (registry) => {
  const requests = new Counter({
    name: 'osm_request_total',
    help: 'Total number of requests',
    labelNames: LABELS,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'osm_request_duration_ms',
    help: 'Request duration in milliseconds',
    labelNames: LABELS,
    buckets: OSM_BUCKETS_MS,
    registers: [registry],
  });
  return {
    provider: 'osm',
    observe(_labels, o) {
      if (o.pod === '') return;
      const all = {
        destination_namespace: o.namespace,
        destination_kind: 'Deployment',
        destination_name: deploymentOfPod(o.pod),
        response_code: String(o.status),
      };
      requests.inc(all);
      duration.observe(all, o.durationSeconds * 1000);
    },
  };
};
