/**
 * The data plane of one simulated cluster: a request is routed by the providers'
 * objects (edge routers for external hosts, mesh routers for cluster Services), sent by
 * kube-proxy to a ready pod, answered by the app that pod runs with its version's
 * behaviour (error rate, latency), and recorded in the metrics.
 *
 * Latency is simulated, not slept: the result says how long the request took and how
 * much of that is still to wait, and each client decides (the service proxy and curl
 * wait on the clock, synthetic traffic only records it), so background traffic costs no
 * timers.
 */
import type { Clock } from '../../shared/clock';
import type {
  AppContext,
  AppRequest,
  AppResponse,
  ClientRequest,
  ClientResult,
  PodNetwork,
} from '../apps/app';
import { text } from '../apps/app';
import type { VersionBehaviour } from '../apps/behaviour';
import { mainContainer, sampleLatency } from '../apps/behaviour';
import type { AppInstances } from '../apps/index';
import type { Pod } from '../kube';
import type { TrafficMetrics } from '../metrics/index';
import type { RouteDecision, RoutedRequest, ServiceTarget, TrafficRouter } from './router';
import { parseCookies } from './router';
import type { EndpointPick } from './service';
import { pickEndpoint, resolveServiceHost } from './service';
import type { ClusterView } from '../view';

export interface ClusterNetworkOptions {
  view: ClusterView;
  routers: readonly TrafficRouter[];
  apps: AppInstances;
  metrics: TrafficMetrics;
  clock: Clock;
  random: () => number;
  behaviourOf: (pod: Pod) => VersionBehaviour;
}

/** A request as it reaches a Service directly (the API server's service proxy). */
export interface DirectRequest {
  method: string;
  path: string;
  query: string;
  headers: Record<string, string>;
  body: string;
}

export type DirectResult =
  ClientResult | { kind: 'unavailable'; pick: Extract<EndpointPick, { ok: false }> };

const HEALTH_PATHS = new Set(['/healthz', '/readyz', '/livez', '/health', '/ready']);

export class ClusterNetwork {
  /** Requests each pod has served, for the HPA's CPU model. */
  private readonly served = new Map<string, number>();

  constructor(private readonly options: ClusterNetworkOptions) {}

  /** The network as seen from a pod in this namespace. */
  podNetwork(namespace: string): PodNetwork {
    return { send: (request) => this.send(request, namespace) };
  }

  requestCount(namespace: string, pod: string): number {
    return this.served.get(`${namespace}/${pod}`) ?? 0;
  }

  forgetPod(namespace: string, pod: string): void {
    this.served.delete(`${namespace}/${pod}`);
  }

  /** Sends a request by URL from a client in fromNamespace (where short Service names resolve). */
  async send(request: ClientRequest, fromNamespace = 'default'): Promise<ClientResult> {
    const { view, routers, random } = this.options;
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return { kind: 'error', code: 'resolve', message: `invalid URL ${request.url}` };
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(request.headers ?? {})) headers[k.toLowerCase()] = v;
    const urlHost = url.hostname.toLowerCase();
    const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
    // Cluster DNS names first (as a pod's resolver), then the hosts ingress controllers serve.
    const resolved = resolveServiceHost(urlHost, fromNamespace, view);
    const routed: RoutedRequest = {
      method: (request.method ?? 'GET').toUpperCase(),
      host: (headers['host'] ?? urlHost).replace(/:\d+$/, '').toLowerCase(),
      path: decodeURI(url.pathname) || '/',
      headers,
      cookies: parseCookies(headers['cookie']),
      service: resolved ? { ...resolved, port } : undefined,
    };
    const stage = resolved ? 'mesh' : 'edge';
    let decision: RouteDecision | undefined;
    for (const router of routers) {
      if (router.stage !== stage) continue;
      decision = router.route(routed, view, random);
      if (decision) break;
    }
    if (!decision) return { kind: 'error', code: 'resolve', message: `no such host ${urlHost}` };
    const appRequest: AppRequest = {
      method: routed.method,
      host: routed.host,
      path: routed.path,
      query: url.search.replace(/^\?/, ''),
      headers,
      body: request.body ?? '',
    };
    if (decision.mirror) {
      // Fire and forget: the shadow's answer never reaches the client.
      this.deliver(decision.mirror, { ...appRequest, host: `${routed.host}-shadow` }).catch(
        () => undefined,
      );
    }
    const result = await this.deliver(decision, appRequest);
    if (result.kind === 'unavailable') {
      return { kind: 'error', code: 'connect', message: result.pick.message };
    }
    if (result.kind === 'response' && decision.responseHeaders)
      result.headers = { ...result.headers, ...decision.responseHeaders };
    return result;
  }

  /** Sends straight to a Service's endpoints, as the API server's service proxy does. */
  sendToService(target: ServiceTarget, request: DirectRequest): Promise<DirectResult> {
    return this.deliver(
      { backend: target },
      {
        ...request,
        host: `${target.name}.${target.namespace}.svc`,
        method: request.method.toUpperCase(),
      },
    );
  }

  private async deliver(decision: RouteDecision, request: AppRequest): Promise<DirectResult> {
    const { view, random, clock, apps, metrics } = this.options;
    const pick = pickEndpoint(decision.backend, view, random);
    if (!pick.ok) {
      if (!decision.metrics) return { kind: 'unavailable', pick };
      // An ingress controller with no upstream left answers 503 itself.
      const latency = sampleLatency(1, random);
      metrics.observe({
        namespace: decision.backend.namespace,
        pod: '',
        method: request.method,
        status: 503,
        durationSeconds: latency / 1000,
        route: decision.metrics,
      });
      return {
        kind: 'response',
        status: 503,
        headers: { 'content-type': 'text/html' },
        body: '<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n',
        durationMs: latency,
        waitMs: latency,
      };
    }
    const pod = pick.pod;
    const namespace = pod.metadata.namespace ?? '';
    const behaviour = this.options.behaviourOf(pod);
    const started = clock.now();
    let response: AppResponse;
    if (
      !HEALTH_PATHS.has(request.path) &&
      behaviour.errorRate > 0 &&
      random() < behaviour.errorRate
    ) {
      response = text(500, 'Internal Server Error\n');
    } else {
      const ctx: AppContext = {
        pod,
        container: mainContainer(pod) ?? { name: 'app' },
        namespace,
        clock,
        random,
        network: this.podNetwork(namespace),
      };
      response = await apps.forPod(pod).handle(request, ctx);
    }
    const latency = sampleLatency(behaviour.latencyMs, random) + (response.extraLatencyMs ?? 0);
    const durationMs = clock.now() - started + latency;
    const key = `${namespace}/${pod.metadata.name}`;
    this.served.set(key, (this.served.get(key) ?? 0) + 1);
    metrics.observe({
      namespace,
      pod: pod.metadata.name,
      method: request.method,
      status: response.status,
      durationSeconds: durationMs / 1000,
      route: decision.metrics,
    });
    return {
      kind: 'response',
      status: response.status,
      headers: { ...response.headers, 'content-length': String(Buffer.byteLength(response.body)) },
      body: request.method === 'HEAD' ? '' : response.body,
      durationMs,
      waitMs: latency,
    };
  }
}
