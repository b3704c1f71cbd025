/**
 * ingress-nginx's request metrics, as its Prometheus collector names and labels them:
 *
 *   nginx_ingress_controller_requests{ingress,namespace,service,canary,status,method,host,path,...}
 *   nginx_ingress_controller_response_duration_seconds (histogram, same labels)
 *
 * Flagger's builtin nginx queries select the canary with
 * {namespace="NS",ingress="<ingressRef>",canary!=""}: the main Ingress's name and a
 * non-empty alternative upstream, which is what traffic/nginx.ts reports.
 */
import { Counter, Histogram } from 'prom-client';
import type { ProviderMetricsFactory } from './metrics';
import { DEFAULT_BUCKETS } from './metrics';

const LABELS = [
  'controller_class',
  'controller_namespace',
  'controller_pod',
  'ingress',
  'namespace',
  'service',
  'canary',
  'status',
  'method',
  'host',
  'path',
] as const;

export const nginxMetrics: ProviderMetricsFactory = (registry) => {
  const requests = new Counter({
    name: 'nginx_ingress_controller_requests',
    help: 'The total number of client requests',
    labelNames: LABELS,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'nginx_ingress_controller_response_duration_seconds',
    help: 'The time spent on receiving the response from the upstream server',
    labelNames: LABELS,
    buckets: DEFAULT_BUCKETS,
    registers: [registry],
  });
  return {
    provider: 'nginx',
    observe(labels, o) {
      const all = {
        controller_class: 'k8s.io/ingress-nginx',
        controller_namespace: 'ingress-nginx',
        controller_pod: 'ingress-nginx-controller-playground',
        ingress: labels['ingress'] ?? '',
        namespace: labels['namespace'] ?? '',
        service: labels['service'] ?? '',
        canary: labels['canary'] ?? '',
        status: String(o.status),
        method: o.method,
        host: labels['host'] ?? '',
        path: labels['path'] ?? '',
      };
      requests.inc(all);
      duration.observe(all, o.durationSeconds);
    },
  };
};
