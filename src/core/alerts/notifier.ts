/**
 * Flagger's alert() (pkg/controller/events.go) and notifier factory (pkg/notifier): fields
 * (Cluster, then the canary's metadata), routing to the canary's AlertProviders by severity or
 * to the global notifier when the analysis has no alerts, secrets, defaults, and one poster per
 * provider type. Every alert also goes to `onAlert`, for the desktop's own notifications.
 * Failures are logged with Flagger's texts and never thrown; no URL path or token is logged.
 */
import { alertAccepts, alertProviderSettings, texts } from '../canary';
import type { AlertProviderSpec, Canary } from '../canary';
import type { AlertField } from '../canary/texts';
import type { EngineLog } from '../controller/log';
import { logRecord } from '../controller/log';
import type { AlertSeverity, Notifier } from '../controller/ports';
import type { KubeApi } from '../kube/api';
import type { ClusterHttp } from '../kube/cluster-address';
import { createClusterHttp } from '../kube/cluster-address';
import type { Clock } from '../../shared/clock';
import { systemClock } from '../../shared/clock';
import type { AlertPoster, AlertTarget, PostMessageOptions } from './client';
import { createPostMessage } from './client';
import { discordPoster } from './discord';
import { gchatPoster } from './gchat';
import { msteamsPoster } from './msteams';
import { rocketPoster } from './rocket';
import { slackPoster } from './slack';

export type { AlertMessage, AlertPoster, AlertTarget, PostMessage } from './client';
export { slackPayload, slackPoster } from './slack';

/** The notifiers of notifier.Factory, by AlertProvider type. */
export const ALERT_POSTERS: Record<string, AlertPoster> = {
  slack: slackPoster,
  discord: discordPoster,
  rocket: rocketPoster,
  msteams: msteamsPoster,
  gchat: gchatPoster,
};

/** Flagger's global notifier flags (-slack-url, -slack-token, -slack-user, -slack-channel...). */
export interface GlobalNotifierSettings {
  /** "slack" (or "msteams" when -msteams-url is set). */
  type: string;
  url: string;
  token?: string;
  proxy?: string;
  /** -slack-user, default "flagger". */
  username?: string;
  /** -slack-channel, no default (an empty channel disables Slack, as in Flagger). */
  channel?: string;
}

/** The flags (and their environment variables) initNotifier reads in cmd/flagger/main.go. */
export interface GlobalNotifierFlags {
  slackUrl?: string;
  slackToken?: string;
  slackProxyUrl?: string;
  slackUser?: string;
  slackChannel?: string;
  msteamsUrl?: string;
  msteamsProxyUrl?: string;
}

/** initNotifier: Slack, unless an MS Teams URL is set; undefined (Nop) without a URL. */
export function globalNotifierFromFlags(
  flags: GlobalNotifierFlags,
): GlobalNotifierSettings | undefined {
  const common = {
    token: flags.slackToken ?? '',
    username: flags.slackUser ?? 'flagger',
    channel: flags.slackChannel ?? '',
  };
  if (flags.msteamsUrl)
    return {
      type: 'msteams',
      url: flags.msteamsUrl,
      proxy: flags.msteamsProxyUrl ?? '',
      ...common,
    };
  if (flags.slackUrl)
    return { type: 'slack', url: flags.slackUrl, proxy: flags.slackProxyUrl ?? '', ...common };
  return undefined;
}

/** What the desktop is told about each alert. */
export interface EmittedAlert {
  time: string;
  cluster: string;
  /** name.namespace */
  canary: string;
  message: string;
  severity: AlertSeverity;
  fields: AlertField[];
}

export interface NotifierOptions {
  api: KubeApi;
  log: EngineLog;
  /** Flagger's -cluster-name: adds the `Cluster` field. */
  clusterName?: string;
  providers?: Record<string, AlertPoster>;
  /**
   * The global notifier, for canaries without alerts: fixed settings, or read at each alert
   * (Aviary's personal webhook lives in the OS keychain and may change while running).
   */
  global?: GlobalNotifierSettings | (() => Promise<GlobalNotifierSettings | undefined>);
  /** Options of every post (a test CA for https hooks behind a proxy). */
  post?: Omit<PostMessageOptions, 'clock'>;
  onAlert?: (alert: EmittedAlert) => void;
  clock?: Clock;
  http?: ClusterHttp;
}

function secretData(secret: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  const data = (secret as { data?: Record<string, unknown> }).data ?? {};
  for (const [k, v] of Object.entries(data)) {
    if (typeof v === 'string') out[k] = Buffer.from(v, 'base64').toString('utf8');
  }
  return out;
}

function providerSpec(raw: unknown): AlertProviderSpec {
  const spec = (raw as { spec?: Record<string, unknown> }).spec ?? {};
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  const secretName = str((spec.secretRef as { name?: unknown } | undefined)?.name);
  const out: AlertProviderSpec = { type: str(spec.type) ?? '' };
  for (const key of ['channel', 'username', 'address', 'proxy'] as const) {
    const value = str(spec[key]);
    if (value !== undefined) out[key] = value;
  }
  if (secretName !== undefined) out.secretRef = { name: secretName };
  return out;
}

export function createNotifier(options: NotifierOptions): Notifier {
  const { api } = options;
  const clock = options.clock ?? systemClock;
  const http = options.http ?? createClusterHttp({ api, clock });
  const providers = options.providers ?? ALERT_POSTERS;
  const cluster = options.clusterName ?? '';

  const logError = (canary: Canary, message: string): void =>
    options.log(logRecord(clock.now(), api.context, canary, 'error', message));

  /** notifier.Factory.Notifier + Post: undefined when sent (or a Nop), else the error text. */
  const send = async (
    canary: Canary,
    type: string,
    target: AlertTarget,
    message: string,
    fields: AlertField[],
    severity: AlertSeverity,
  ): Promise<{ stage: 'create' | 'post'; error: string } | undefined> => {
    if (!target.url) return undefined; // NopNotifier
    const poster = providers[type];
    if (!poster) return { stage: 'create', error: texts.notifierProviderNotSupported(type) };
    const invalid = poster.validate(target);
    if (invalid !== undefined) return { stage: 'create', error: invalid };
    try {
      await poster.post(
        target,
        {
          workload: canary.metadata.name,
          namespace: canary.metadata.namespace,
          message,
          fields,
          severity,
        },
        createPostMessage(http, canary.metadata.namespace, { ...options.post, clock }),
      );
      return undefined;
    } catch (err) {
      return { stage: 'post', error: (err as Error).message };
    }
  };

  /** The AlertProvider's target, or the log line saying why there is none. */
  const providerTarget = async (
    canary: Canary,
    name: string,
    namespace: string,
  ): Promise<{ type: string; target: AlertTarget } | { error: string }> => {
    let spec: AlertProviderSpec;
    try {
      const raw = await api.get({
        apiVersion: 'flagger.app/v1beta1',
        kind: 'AlertProvider',
        namespace,
        name,
      });
      if (!raw)
        return {
          error: texts.alertProviderError(
            name,
            namespace,
            `alertprovider.flagger.app "${name}" not found`,
          ),
        };
      // Read as the lister hands it over: whatever the API server admitted.
      spec = providerSpec(raw);
    } catch (err) {
      return { error: texts.alertProviderError(name, namespace, (err as Error).message) };
    }
    let url = spec.address ?? '';
    let token = '';
    if (spec.secretRef) {
      let data: Record<string, string>;
      try {
        const secret = await api.get({
          apiVersion: 'v1',
          kind: 'Secret',
          namespace,
          name: spec.secretRef.name,
        });
        if (!secret)
          return {
            error: texts.alertProviderSecretRefError(
              name,
              namespace,
              `secrets "${spec.secretRef.name}" not found`,
            ),
          };
        data = secretData(secret);
      } catch (err) {
        return {
          error: texts.alertProviderSecretRefError(name, namespace, (err as Error).message),
        };
      }
      if (data.address === undefined)
        return { error: texts.alertProviderSecretNoAddress(name, namespace) };
      url = data.address;
      if (data.token !== undefined) token = data.token;
    }
    const settings = alertProviderSettings(spec);
    return { type: spec.type, target: { url, token, ...settings } };
  };

  return {
    async alert(canary, message, metadata, severity) {
      const fields: AlertField[] = [
        ...texts.clusterField(cluster),
        ...(metadata ? texts.alertMetadataFields(canary) : []),
      ];
      options.onAlert?.({
        time: new Date(clock.now()).toISOString(),
        cluster: cluster || api.context,
        canary: `${canary.metadata.name}.${canary.metadata.namespace}`,
        message,
        severity,
        fields,
      });

      const alerts = canary.spec.analysis?.alerts ?? [];
      if (alerts.length === 0) {
        let g: GlobalNotifierSettings | undefined;
        try {
          g = typeof options.global === 'function' ? await options.global() : options.global;
        } catch (err) {
          logError(canary, texts.alertCantBeSent((err as Error).message));
          return;
        }
        if (!g) return;
        const failed = await send(
          canary,
          g.type,
          {
            url: g.url,
            token: g.token ?? '',
            proxy: g.proxy ?? '',
            username: g.username ?? 'flagger',
            channel: g.channel ?? '',
          },
          message,
          fields,
          severity,
        );
        if (failed) logError(canary, texts.alertCantBeSent(failed.error));
        return;
      }

      for (const alert of alerts) {
        if (!alertAccepts(alert.severity, severity)) continue;
        const namespace = alert.providerRef.namespace || canary.metadata.namespace;
        const name = alert.providerRef.name;
        const resolved = await providerTarget(canary, name, namespace);
        if ('error' in resolved) {
          logError(canary, resolved.error);
          continue;
        }
        const failed = await send(
          canary,
          resolved.type,
          resolved.target,
          message,
          fields,
          severity,
        );
        if (failed)
          logError(
            canary,
            failed.stage === 'create'
              ? texts.alertProviderError(name, namespace, failed.error)
              : texts.alertProviderSendError(name, namespace, failed.error),
          );
      }
    },
  };
}
