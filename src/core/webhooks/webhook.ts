/**
 * Flagger's webhooks (pkg/controller/webhook.go): a JSON POST through go-retryablehttp.
 *
 * The behaviour people see in events follows from retryablehttp's defaults, kept here:
 * connection errors, 429 and 5xx (but 501) are retried `retries` times with waits of 1 s, 2 s,
 * 4 s... (max 30 s, or Retry-After on 429/503); when the retries run out the error is
 * `POST URL giving up after N attempt(s)` — not the response body, which only reaches the
 * event for a final answer above 202 that is not retried (403 `Forbidden` from a closed gate).
 */
import { Millisecond, canaryChecksum, parseGoDuration, texts, webhookTimeoutMs } from '../canary';
import type { Canary, CanaryWebhook } from '../canary';
import type { EventType, HookPhase, WebhookCaller } from '../controller/ports';
import type { EngineLog } from '../controller/log';
import { logRecord } from '../controller/log';
import type { KubeApi } from '../kube/api';
import type { ClusterHttp } from '../kube/cluster-address';
import {
  HttpTransportError,
  createClusterHttp,
  goJsonMarshal,
  redactUrl,
  sortedMap,
} from '../kube/cluster-address';
import type { Clock } from '../../shared/clock';
import { systemClock } from '../../shared/clock';

export const RETRY_WAIT_MIN_MS = 1_000;
export const RETRY_WAIT_MAX_MS = 30_000;
const DEFAULT_TIMEOUT_MS = 10_000;

export interface WebhookCallerOptions {
  api: KubeApi;
  clock?: Clock;
  /** Shared with metrics and alerts; one is made over `api` when absent. */
  http?: ClusterHttp;
  log?: EngineLog;
  /** Flagger's -event-webhook: used when a canary has no `type: event` webhook (hook name "events"). */
  eventWebhook?: string;
}

/** CanaryWebhookPayload, fields in the struct's order; metadata is omitempty. */
export function webhookPayload(
  canary: Pick<Canary, 'metadata' | 'status'>,
  phase: HookPhase,
  metadata: Record<string, string> | undefined,
): string {
  const payload: Record<string, unknown> = {
    name: canary.metadata.name,
    namespace: canary.metadata.namespace,
    phase,
    checksum: canaryChecksum(canary.status),
  };
  if (metadata && Object.keys(metadata).length > 0) payload.metadata = sortedMap(metadata);
  return goJsonMarshal(payload);
}

/** retryablehttp's parseRetryAfterHeader: seconds or an HTTP date; undefined when unusable. */
function retryAfterMs(value: string | undefined, now: number): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** retryablehttp.DefaultBackoff for attempt `i` (0 first). */
export function retryBackoffMs(
  i: number,
  response: { status: number; headers: Record<string, string> } | undefined,
  now: number,
): number {
  if (response && (response.status === 429 || response.status === 503)) {
    const after = retryAfterMs(response.headers['retry-after'], now);
    if (after !== undefined) return after;
  }
  const wait = 2 ** i * RETRY_WAIT_MIN_MS;
  return Number.isFinite(wait) && wait <= RETRY_WAIT_MAX_MS ? wait : RETRY_WAIT_MAX_MS;
}

export function createWebhookCaller(options: WebhookCallerOptions): WebhookCaller {
  const clock = options.clock ?? systemClock;
  const http = options.http ?? createClusterHttp({ api: options.api, clock });

  /** callWebhook: resolves on a final status <= 202, else throws with Flagger's error text. */
  const post = async (
    canary: Canary,
    hook: Pick<CanaryWebhook, 'url' | 'retries' | 'disableTLS'>,
    body: string,
    timeoutMs: number,
  ): Promise<void> => {
    const retries = hook.retries ?? 0;
    let attempt = 0;
    for (let i = 0; ; i++) {
      attempt++;
      let response: Awaited<ReturnType<ClusterHttp['request']>> | undefined;
      let transport: HttpTransportError | undefined;
      try {
        response = await http.request({
          url: hook.url,
          namespace: canary.metadata.namespace,
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body,
          timeoutMs,
          timeoutKind: 'client',
          insecureSkipVerify: hook.disableTLS === true,
        });
      } catch (err) {
        if (!(err instanceof HttpTransportError)) throw err;
        transport = err;
      }
      const shouldRetry = transport
        ? transport.retriable
        : response !== undefined &&
          (response.status === 429 ||
            response.status === 0 ||
            (response.status >= 500 && response.status !== 501));
      if (!shouldRetry && !transport && response) {
        if (response.status > 202) throw new Error(response.body);
        return;
      }
      if (!shouldRetry || retries - i <= 0) {
        const giveUp = `POST ${redactUrl(hook.url)} giving up after ${attempt} attempt(s)`;
        throw new Error(transport ? `${giveUp}: ${transport.message}` : giveUp);
      }
      await clock.sleep(retryBackoffMs(i, response, clock.now()));
    }
  };

  const log = (canary: Canary, message: string): void =>
    options.log?.(logRecord(clock.now(), options.api.context, canary, 'error', message));

  const callEventHook = async (
    canary: Canary,
    hook: Pick<CanaryWebhook, 'url' | 'retries' | 'disableTLS' | 'timeout' | 'metadata'>,
    message: string,
    eventType: EventType,
  ): Promise<void> => {
    const metadata: Record<string, string> = {
      eventMessage: message,
      eventType,
      timestamp: String(clock.now()),
    };
    for (const [k, v] of Object.entries(hook.metadata ?? {})) if (!(k in metadata)) metadata[k] = v;
    try {
      // CallEventWebhook parses the timeout as written: only "" becomes 10s.
      const timeoutMs = hook.timeout
        ? parseGoDuration(hook.timeout) / Millisecond
        : DEFAULT_TIMEOUT_MS;
      await post(
        canary,
        hook,
        webhookPayload(canary, canary.status?.phase ?? '', metadata),
        timeoutMs,
      );
    } catch (err) {
      log(canary, texts.eventWebhookFailed(err as Error));
    }
  };

  return {
    async call(canary, hook, phase) {
      // A bad timeout is the hook's error, as time.ParseDuration's is in Flagger.
      const timeoutMs = webhookTimeoutMs(hook);
      await post(canary, hook, webhookPayload(canary, phase, hook.metadata), timeoutMs);
    },
    async callEventHooks(canary, message, eventType) {
      const hooks = (canary.spec.analysis?.webhooks ?? []).filter((w) => w.type === 'event');
      for (const hook of hooks) await callEventHook(canary, hook, message, eventType);
      if (hooks.length === 0 && options.eventWebhook) {
        await callEventHook(canary, { url: options.eventWebhook }, message, eventType);
      }
    },
  };
}
