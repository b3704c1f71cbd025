/**
 * What every notifier shares (pkg/notifier/client.go, notifier.go): the target and message
 * shapes, the poster interface, and postMessage: JSON POSTed with a 5 s timeout, the token as
 * Bearer, through the AlertProvider's `proxy` when it has one. No error text carries the hook
 * URL's path (Slack, Discord and Teams hooks hold their secret there) or a token.
 */
import type { AlertField } from '../canary/texts';
import type { ClusterHttp } from '../kube/cluster-address';
import { HttpTransportError, goJsonMarshal, redactUrl } from '../kube/cluster-address';
import type { Clock } from '../../shared/clock';
import { systemClock } from '../../shared/clock';
import { postViaProxy } from './http-proxy';

export const NOTIFIER_TIMEOUT_MS = 5_000;

/** Where and as whom a notifier posts (notifier.Factory's fields). */
export interface AlertTarget {
  url: string;
  token: string;
  proxy: string;
  username: string;
  channel: string;
}

/** Post(workload, namespace, message, fields, severity). */
export interface AlertMessage {
  workload: string;
  namespace: string;
  message: string;
  fields: AlertField[];
  severity: string;
}

/** postMessage(address, token, proxy, payload) (client.go), bound to a namespace. */
export type PostMessage = (
  address: string,
  token: string,
  proxy: string,
  payload: unknown,
) => Promise<void>;

/** One notifier type: New<Type>'s validation, then Post. */
export interface AlertPoster {
  /** The constructor's error ("empty Slack channel"), or undefined. Never includes a secret. */
  validate(target: AlertTarget): string | undefined;
  post(target: AlertTarget, message: AlertMessage, postMessage: PostMessage): Promise<void>;
}

export interface PostMessageOptions {
  /** The clock of the 5 s timeout on proxied posts (direct ones use the ClusterHttp's). */
  clock?: Clock;
  /** Extra trusted CA (PEM) for https hooks reached through a proxy: tests only. */
  proxyCa?: string;
}

/**
 * client.go's postMessage. Without a proxy it goes through the shared ClusterHttp (the API
 * server's service proxy for in-cluster hooks); with one, straight to that proxy, as Flagger's
 * http.Transport{Proxy: http.ProxyURL(proxy)} does for every address.
 */
export function createPostMessage(
  http: ClusterHttp,
  namespace: string,
  options: PostMessageOptions = {},
): PostMessage {
  const clock = options.clock ?? systemClock;
  return async (address, token, proxy, payload) => {
    const headers: Record<string, string> = {
      'Content-type': 'application/json',
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
    };
    const body = goJsonMarshal(payload);
    let result;
    try {
      result = proxy
        ? await postViaProxy({
            url: address,
            proxy,
            headers,
            body,
            timeoutMs: NOTIFIER_TIMEOUT_MS,
            clock,
            ...(options.proxyCa ? { ca: options.proxyCa } : {}),
          })
        : await http.request({
            url: address,
            namespace,
            method: 'POST',
            headers,
            body,
            timeoutMs: NOTIFIER_TIMEOUT_MS,
            timeoutKind: 'context',
            secretPath: true,
          });
    } catch (err) {
      if (err instanceof HttpTransportError)
        throw new Error(`sending notification failed to send: ${err.message}`, { cause: err });
      throw err;
    }
    if (result.status < 200 || result.status >= 300)
      throw new Error(`sending notification bad response ${result.status}: ${result.body}`);
  };
}

/** url.ParseRequestURI: an absolute URL or an absolute path. */
export function isRequestUri(address: string): boolean {
  if (address.startsWith('/')) return true;
  try {
    return new URL(address).protocol !== '';
  } catch {
    return false;
  }
}

/**
 * New<Type>'s "invalid <what> URL %s". Flagger prints the URL; a hook URL is a secret, so only
 * its scheme and host are kept (or "***" when it does not parse at all).
 */
export function invalidHookUrl(what: string, url: string): string | undefined {
  return isRequestUri(url)
    ? undefined
    : `invalid ${what} URL ${redactUrl(url, { secretPath: true })}`;
}

/** Every Post ends so: postMessage's error wrapped as `postMessage failed: %w`. */
export async function postWrapped(
  postMessage: PostMessage,
  address: string,
  token: string,
  proxy: string,
  payload: unknown,
): Promise<void> {
  try {
    await postMessage(address, token, proxy, payload);
  } catch (err) {
    throw new Error(`postMessage failed: ${(err as Error).message}`, { cause: err });
  }
}
