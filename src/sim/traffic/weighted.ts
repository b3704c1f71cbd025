/**
 * What the weighted routers share: a weighted pick between backends, and the controller Service through which in-cluster
 * clients reach an edge proxy (`hey -host app.example.com http://envoy.projectcontour/`).
 */
import type { RoutedRequest } from './router';

/**
 * Picks one item in proportion to its weight. When no item has a weight, the pick is even,
 * as Envoy and Skipper do for unweighted backends.
 */
export function pickWeighted<T>(
  items: readonly T[],
  weightOf: (item: T) => number,
  random: () => number,
): T | undefined {
  if (items.length === 0) return undefined;
  const weights = items.map((i) => Math.max(0, weightOf(i)));
  const total = weights.reduce((a, b) => a + b, 0);
  if (total === 0) return items[Math.floor(random() * items.length)];
  let draw = random() * total;
  for (let i = 0; i < items.length; i++) {
    draw -= weights[i]!;
    if (draw < 0 && weights[i]! > 0) return items[i];
  }
  return items.findLast((_, i) => weights[i]! > 0);
}

/**
 * Picks one item in proportion to its weight; none when no item has a weight (a route whose
 * backends are all at 0 sends nowhere), as APISIX, App Mesh and the Gateway API do.
 */
export function drawWeighted<T>(
  items: readonly T[],
  weightOf: (item: T) => number,
  random: () => number,
): T | undefined {
  const total = items.reduce((sum, i) => sum + Math.max(0, weightOf(i)), 0);
  return total > 0 ? pickWeighted(items, weightOf, random) : undefined;
}

/** The proxy's own Service: requests addressed to it are routed by their Host header. */
export interface ProxyService {
  namespace: string;
  name: string;
}

export function addressedTo(request: RoutedRequest, proxy: ProxyService): boolean {
  return request.service?.namespace === proxy.namespace && request.service.name === proxy.name;
}
