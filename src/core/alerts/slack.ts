/**
 * The Slack notifier (pkg/notifier/slack.go) and the shared post (client.go): the payload
 * exactly as Flagger marshals it, POSTed as JSON with a 5 s timeout and the token as Bearer.
 */
import type { AlertField } from '../canary/texts';
import type { ClusterHttp } from '../kube/cluster-address';
import { HttpTransportError, goJsonMarshal, redactUrl } from '../kube/cluster-address';

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

/** postMessage (client.go), bound to a namespace for cluster addresses. */
export type PostMessage = (address: string, token: string, payload: unknown) => Promise<void>;

/** One notifier type: New<Type>'s validation, then Post. */
export interface AlertPoster {
  /** The constructor's error ("empty Slack channel"), or undefined. Never includes a secret. */
  validate(target: AlertTarget): string | undefined;
  post(target: AlertTarget, message: AlertMessage, postMessage: PostMessage): Promise<void>;
}

/** client.go's postMessage over the shared HTTP (service proxy for in-cluster hooks). */
export function createPostMessage(http: ClusterHttp, namespace: string): PostMessage {
  return async (address, token, payload) => {
    let result;
    try {
      result = await http.request({
        url: address,
        namespace,
        method: 'POST',
        headers: {
          'Content-type': 'application/json',
          ...(token ? { Authorization: `Bearer ${token}` } : {}),
        },
        body: goJsonMarshal(payload),
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

/** SlackPayload with its attachment; struct field order, `text` omitted (omitempty). */
export function slackPayload(target: AlertTarget, m: AlertMessage): unknown {
  return {
    channel: target.channel,
    username: target.username,
    icon_url: '',
    icon_emoji: ':rocket:',
    attachments: [
      {
        color: m.severity === 'error' ? 'danger' : 'good',
        author_name: `${m.workload}.${m.namespace}`,
        text: m.message,
        mrkdwn_in: ['text'],
        fields: m.fields.map((f) => ({ title: f.name, value: f.value, short: false })),
      },
    ],
  };
}

/** url.ParseRequestURI: an absolute URL or an absolute path. */
function isRequestUri(address: string): boolean {
  if (address.startsWith('/')) return true;
  try {
    return new URL(address).protocol !== '';
  } catch {
    return false;
  }
}

export const slackPoster: AlertPoster = {
  validate(target) {
    // Flagger prints the URL; a Slack hook URL is a secret, so it is redacted here.
    if (!isRequestUri(target.url))
      return `invalid Slack hook URL ${redactUrl(target.url, { secretPath: true })}`;
    if (!target.username) return 'empty Slack username';
    if (!target.channel) return 'empty Slack channel';
    return undefined;
  },
  async post(target, message, postMessage) {
    try {
      await postMessage(target.url, target.token, slackPayload(target, message));
    } catch (err) {
      throw new Error(`postMessage failed: ${(err as Error).message}`, { cause: err });
    }
  },
};
