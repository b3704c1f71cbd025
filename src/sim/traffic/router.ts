/**
 * The TrafficRouter seam: where a request goes is decided by the routing objects in the
 * store, one provider per file, each reading its own objects.
 *
 * - 'edge' routers are ingress controllers and gateways: they claim a request from
 *   outside the cluster by its Host (and path), e.g. nginx.ts reads Ingresses and their
 *   canary annotations.
 * - 'mesh' routers claim a request addressed to a cluster Service (sidecar meshes, SMI):
 *   an Istio router would read the VirtualService for that host and pick primary or
 *   canary. service.ts, plain kube-proxy behaviour, is the last mesh router and claims
 *   every Service.
 *
 * Adding a provider is one more file implementing TrafficRouter, listed in routers.ts,
 * plus, if it reports its own metrics, one file in ../metrics.
 */
import type { ClusterView } from '../view';

/** A Service and one of its ports (number, or port name), as addressed. */
export interface ServiceTarget {
  namespace: string;
  name: string;
  port: number | string;
}

export interface RoutedRequest {
  method: string;
  /** The Host the client asked for (Host header, else the URL host), lower case, no port. */
  host: string;
  path: string;
  /** Lower-case header names. */
  headers: Record<string, string>;
  cookies: Record<string, string>;
  /** For the mesh stage: the Service the URL host resolved to. */
  service?: ServiceTarget;
}

export interface RouteDecision {
  backend: ServiceTarget;
  /** The labels this provider's metrics carry for the request (see ../metrics). */
  metrics?: { provider: string; labels: Record<string, string> };
  /**
   * Traffic mirroring (Istio `mirror`, Gateway API RequestMirror): a copy of the request is
   * sent here too (Host with "-shadow" appended, as Envoy does); its answer is discarded.
   */
  mirror?: RouteDecision;
  /**
   * Headers the proxy adds to the answer (Istio `headers.response`, Gateway API
   * ResponseHeaderModifier), lower-case names: Flagger's session-affinity Set-Cookie.
   */
  responseHeaders?: Record<string, string>;
}

/** Where synthetic user traffic enters: an external host the provider serves. */
export interface EntryPoint {
  url: string;
  /** Annotations of the object that defines it (for the traffic-rate override). */
  annotations: Record<string, string>;
  /** Services this entry point sends to, so they get no separate synthetic traffic. */
  backends: { namespace: string; name: string }[];
}

export interface TrafficRouter {
  readonly provider: string;
  readonly stage: 'edge' | 'mesh';
  route(request: RoutedRequest, view: ClusterView, random: () => number): RouteDecision | undefined;
  /** Edge routers list the hosts they serve, for the synthetic traffic generator. */
  entryPoints?(view: ClusterView): EntryPoint[];
}

export function parseCookies(header: string | undefined): Record<string, string> {
  const cookies: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) cookies[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return cookies;
}

/** A proxy's add/set edits of a header map, by lower-case name; later edits win. */
export function headerEdits(
  ...edits: ({ add?: Record<string, string>; set?: Record<string, string> } | undefined)[]
): Record<string, string> | undefined {
  let out: Record<string, string> | undefined;
  for (const edit of edits) {
    for (const [name, value] of [
      ...Object.entries(edit?.add ?? {}),
      ...Object.entries(edit?.set ?? {}),
    ]) {
      (out ??= {})[name.toLowerCase()] = String(value);
    }
  }
  return out;
}
