/**
 * Manual gating with flagger-loadtester (Flagger docs, "Manual gating"): a confirm-rollout,
 * confirm-traffic-increase or confirm-promotion webhook pointing at `<loadtester>/gate/check`
 * halts until someone POSTs `{name, namespace}` to `<loadtester>/gate/open` (and
 * `/gate/close` shuts it again). Aviary does that POST through the cluster's HTTP (the API
 * server's service proxy for in-cluster addresses), whoever drives the canary.
 */
import type { CanaryGateInfo } from '../../shared/api';
import { hookType, type Canary } from '../canary';
import type { ClusterHttp } from '../kube/cluster-address';
import { redactUrl } from '../kube/cluster-address';

const GATE_TYPES = new Set(['confirm-rollout', 'confirm-traffic-increase', 'confirm-promotion']);
const CHECK_PATH = /\/gate\/check\/?(\?.*)?$/;

export type GateOperation = 'open' | 'close';

/** The canary's confirm-* webhooks; `operable` when the loadtester's gate API serves them. */
export function canaryGates(canary: Canary): CanaryGateInfo[] {
  return (canary.spec.analysis?.webhooks ?? [])
    .filter((hook) => GATE_TYPES.has(hookType(hook)))
    .map((hook) => ({
      name: hook.name,
      type: hookType(hook),
      url: redactUrl(hook.url),
      operable: gateUrl(hook.url, 'open') !== undefined,
    }));
}

/** `<loadtester>/gate/check` → `<loadtester>/gate/open`; undefined for other URLs. */
export function gateUrl(checkUrl: string, operation: GateOperation): string | undefined {
  let url: URL;
  try {
    url = new URL(checkUrl);
  } catch {
    return undefined;
  }
  if (!CHECK_PATH.test(url.pathname + url.search)) return undefined;
  url.pathname = url.pathname.replace(/\/gate\/check\/?$/, `/gate/${operation}`);
  url.search = '';
  return url.toString();
}

/**
 * Opens or closes every gate of the canary (one POST per distinct loadtester). Resolves with
 * the URLs it reached; rejects with the first failure, in Go's words for transport errors.
 */
export async function operateGates(
  http: ClusterHttp,
  canary: Canary,
  operation: GateOperation,
): Promise<string[]> {
  const namespace = canary.metadata.namespace ?? 'default';
  const urls = [
    ...new Set(
      (canary.spec.analysis?.webhooks ?? [])
        .filter((hook) => GATE_TYPES.has(hookType(hook)))
        .map((hook) => gateUrl(hook.url, operation))
        .filter((u): u is string => u !== undefined),
    ),
  ];
  const body = JSON.stringify({ name: canary.metadata.name, namespace });
  for (const url of urls) {
    const result = await http.request({
      url,
      namespace,
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body,
      timeoutMs: 10_000,
    });
    if (result.status >= 300) {
      throw new Error(
        `POST ${redactUrl(url)} answered ${result.status}${result.body ? `: ${result.body.trim().slice(0, 200)}` : ''}`,
      );
    }
  }
  return urls.map((u) => redactUrl(u));
}
