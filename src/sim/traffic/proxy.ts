/**
 * The API server's service proxy (/api/v1/namespaces/NS/services/[SCHEME:]NAME[:PORT]/proxy/PATH):
 * the request goes straight to a ready endpoint of the Service, bypassing ingresses and
 * meshes, and the answer arrives after the app's simulated latency. Failures are the API
 * server's own Status objects (404 for a missing Service, 503 without endpoints).
 */
import type { Clock } from '../../shared/clock';
import type { ClusterNetwork } from './network';

export interface ServiceProxyRequest {
  namespace: string;
  /** The Service name; "name:port" and "scheme:name:port" are accepted too. */
  service: string;
  /** Port number or name; empty or absent means the Service's first port. */
  port?: string | number;
  method: string;
  path: string;
  /** The query string, with or without a leading '?'. */
  query?: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer | string;
}

export interface ServiceProxyResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type ServiceProxyHandler = (request: ServiceProxyRequest) => Promise<ServiceProxyResponse>;

function status(
  code: number,
  reason: string,
  message: string,
  details?: Record<string, string>,
): ServiceProxyResponse {
  return {
    status: code,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      reason,
      ...(details ? { details } : {}),
      code,
    }),
  };
}

/** Splits "name", "name:port" or "scheme:name:port" as the API server does. */
export function parseServiceSegment(segment: string): { name: string; port: string } {
  const parts = segment.split(':');
  if (parts.length === 3) return { name: parts[1] ?? '', port: parts[2] ?? '' };
  return { name: parts[0] ?? '', port: parts[1] ?? '' };
}

export function createServiceProxy(network: ClusterNetwork, clock: Clock): ServiceProxyHandler {
  return async (request) => {
    const segment = parseServiceSegment(request.service);
    const port =
      request.port !== undefined && request.port !== '' ? String(request.port) : segment.port;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(request.headers)) {
      if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
    }
    const result = await network.sendToService(
      {
        namespace: request.namespace,
        name: segment.name,
        port: /^\d+$/.test(port) ? Number(port) : port,
      },
      {
        method: request.method,
        path: request.path.startsWith('/') ? request.path : `/${request.path}`,
        query: (request.query ?? '').replace(/^\?/, ''),
        headers,
        body: typeof request.body === 'string' ? request.body : request.body.toString('utf8'),
      },
    );
    if (result.kind === 'unavailable') {
      if (result.pick.reason === 'no-service') {
        return status(404, 'NotFound', result.pick.message, {
          name: segment.name,
          kind: 'services',
        });
      }
      return status(503, 'ServiceUnavailable', result.pick.message);
    }
    if (result.kind === 'error') return status(503, 'ServiceUnavailable', result.message);
    await clock.sleep(result.waitMs);
    return { status: result.status, headers: result.headers, body: result.body };
  };
}
