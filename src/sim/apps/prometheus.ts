/**
 * Prometheus as it appears inside a simulated cluster (`prometheus.monitoring:9090`,
 * image prom/prometheus): the pod forwards its HTTP API to the playground's Prometheus
 * for this cluster — the real binary, or the built-in evaluator — so a Canary's
 * `metricsServer` or a MetricTemplate address reached through the API server's service
 * proxy answers exactly as an in-cluster Prometheus would.
 */
import type { App, AppKind, AppRequest, AppResponse } from './app';
import { text } from './app';

const IMAGES = ['prom/prometheus', 'quay.io/prometheus/prometheus'];

class PrometheusForwarder implements App {
  readonly userTraffic = false;

  constructor(private readonly upstream: () => string | undefined) {}

  async handle(req: AppRequest): Promise<AppResponse> {
    const base = this.upstream();
    if (!base)
      return text(503, 'Prometheus is not running in this playground (see --prometheus)\n');
    const url = `${base}${req.path}${req.query ? `?${req.query}` : ''}`;
    try {
      const res = await fetch(url, {
        method: req.method,
        headers: Object.fromEntries(
          Object.entries(req.headers).filter(([k]) => ['content-type', 'accept'].includes(k)),
        ),
        ...(req.method === 'GET' || req.method === 'HEAD' ? {} : { body: req.body }),
        signal: AbortSignal.timeout(10_000),
      });
      return {
        status: res.status,
        headers: { 'content-type': res.headers.get('content-type') ?? 'application/json' },
        body: await res.text(),
      };
    } catch (err) {
      return text(502, `upstream Prometheus unavailable: ${(err as Error).message}\n`);
    }
  }
}

export function prometheusApp(upstream: () => string | undefined): AppKind {
  return {
    name: 'prometheus',
    matches: (repository) => IMAGES.includes(repository),
    create: () => new PrometheusForwarder(upstream),
  };
}
