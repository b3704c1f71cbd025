/**
 * The engine side of the API contract: one AviaryService per app process, whatever the
 * transport. Electron's main process and the web-mode server both build exactly this
 * and hand its handlers and event stream to their transport.
 */
import { resolve } from 'node:path';
import {
  ApiError,
  type ApiEvent,
  type ApiHandlers,
  type AppInfo,
  type ContextInfo,
  type ContextsSnapshot,
  type LogRecord,
} from '../shared/api';
import type { Clock } from '../shared/clock';
import { randomUUID } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { FlaggerMetrics } from './controller/recorder';
import { Fleet } from './fleet/fleet';
import { ContextCatalog } from './kube/contexts';
import { defaultLeaseIdentity } from './kube/lease';
import { createDesktopSecrets } from './secrets/desktop';
import { createKeytarStore } from './secrets/keytar-store';
import type { SecretStore } from './secrets/secret-store';
import type { SettingsStore } from './settings';

export interface HostCapabilities {
  mode: AppInfo['mode'];
  version: string;
  electronVersion?: string;
  /** A native file dialog, when the host has one (Electron). */
  pickFile?: () => Promise<string | undefined>;
}

export interface AviaryServiceOptions {
  host: HostCapabilities;
  settings: SettingsStore;
  /** --kubeconfig flag values. */
  kubeconfigFlag?: string[];
  /** The playground's kubeconfig, when the launcher started one. */
  playgroundKubeconfig?: string;
  env?: NodeJS.ProcessEnv;
  homeDir?: string;
  clock?: Clock;
  log?: (line: string) => void;
  /** Every engine log record, as it happens (the headless CLI prints them). */
  onLog?: (record: LogRecord) => void;
  /** Default Prometheus for builtin checks (Flagger's -metrics-server). */
  metricsServer?: string;
  /** Test hook: canary job jitter. */
  jitter?: () => number;
  /** Benchmark hook: a scheduled canary tick starts (CanaryEngineOptions.onTickStart). */
  onTickStart?: (key: string, scheduledAt: number, startedAt: number) => void;
  /** Only these contexts get a cluster runtime (the headless CLI's --context); default: all. */
  contextFilter?: (context: ContextInfo) => boolean;
  /**
   * Who decides control, instead of the settings (the headless CLI's --control); default:
   * the user's choice in settings, else on for playground contexts only.
   */
  controlEnabled?: (context: ContextInfo) => boolean;
  /** Where the user's secrets live; default: the OS keychain through keytar. */
  secrets?: SecretStore;
}

export interface AviaryService {
  readonly handlers: ApiHandlers;
  readonly fleet: Fleet;
  /** Flagger's own Prometheus metrics for the canaries Aviary drives (--metrics-address). */
  readonly flaggerMetrics: FlaggerMetrics;
  readonly catalog: ContextCatalog;
  subscribe(listener: (event: ApiEvent) => void): () => void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createAviaryService(options: AviaryServiceOptions): AviaryService {
  const { host, settings } = options;
  const log = options.log ?? (() => undefined);
  const listeners = new Set<(event: ApiEvent) => void>();
  const emit = (event: ApiEvent): void => {
    for (const listener of listeners) {
      try {
        listener(event);
      } catch (err) {
        log(`event listener failed: ${(err as Error).message}`);
      }
    }
  };

  const catalog = new ContextCatalog({
    flagPaths: options.kubeconfigFlag,
    env: options.env ?? process.env,
    homeDir: options.homeDir,
    addedPaths: settings.get().addedKubeconfigs,
    playgroundPaths: options.playgroundKubeconfig ? [options.playgroundKubeconfig] : [],
    clock: options.clock,
  });

  const controlEnabled =
    options.controlEnabled ??
    ((context: ContextInfo): boolean =>
      settings.get().control?.find((c) => c.context === context.id)?.enabled ?? context.playground);
  const contextFilter = options.contextFilter ?? (() => true);
  const user = (() => {
    try {
      return `${userInfo().username}@${hostname()}`;
    } catch {
      return `unknown@${hostname()}`;
    }
  })();
  const secrets = createDesktopSecrets(options.secrets ?? createKeytarStore(), log);
  const flaggerMetrics = new FlaggerMetrics();
  // Flagger's default -mesh-provider; each canary may name its own.
  flaggerMetrics.setInfo(host.version, 'istio');
  const fleet = new Fleet({
    recorder: flaggerMetrics,
    source: {
      contexts: () => catalog.snapshot().contexts.filter(contextFilter),
      kubeConfigFor: (context) => catalog.kubeConfigFor(context),
    },
    controlEnabled,
    identity: defaultLeaseIdentity(randomUUID().slice(0, 8)),
    user,
    emit,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.onLog ? { onLog: options.onLog } : {}),
    ...(options.metricsServer ? { metricsServer: options.metricsServer } : {}),
    globalNotifier: () => secrets.globalNotifier(),
    metricsServerToken: () => secrets.value('prometheus-token'),
    ...(options.jitter ? { jitter: options.jitter } : {}),
    ...(options.onTickStart ? { onTickStart: options.onTickStart } : {}),
  });

  const snapshot = (): ContextsSnapshot => {
    const { files, contexts } = catalog.snapshot();
    const selected = settings.get().selectedContext;
    // A remembered selection that no longer exists falls back to the kubeconfig's current context.
    const selectedContext = contexts.some((c) => c.id === selected)
      ? selected
      : (contexts.find((c) => c.isKubeconfigCurrent)?.id ?? contexts[0]?.id);
    return { files, contexts, selectedContext };
  };

  const requireContext = (name: string): void => {
    if (!catalog.snapshot().contexts.some((c) => c.id === name)) {
      throw new ApiError('not-found', `no context named "${name}" in the loaded kubeconfig files`);
    }
  };

  const setAddedFiles = async (paths: string[]): Promise<void> => {
    await settings.update((draft) => {
      draft.addedKubeconfigs = paths;
    });
    await catalog.setAddedPaths(paths);
  };

  const handlers: ApiHandlers = {
    'app.info': async () => ({
      name: 'Aviary',
      version: host.version,
      mode: host.mode,
      platform: process.platform,
      nodeVersion: process.versions.node,
      electronVersion: host.electronVersion,
      canPickFiles: Boolean(host.pickFile),
    }),
    'contexts.list': async () => snapshot(),
    'contexts.select': async ({ context }) => {
      requireContext(context);
      await settings.update((draft) => {
        draft.selectedContext = context;
      });
      const next = snapshot();
      emit({ type: 'contexts.changed', snapshot: next });
      return next;
    },
    'contexts.reconnect': async ({ context }) => {
      requireContext(context);
      catalog.reconnect(context);
      return snapshot();
    },
    'kubeconfig.addFile': async ({ path }) => {
      const absolute = resolve(path);
      const current = settings.get().addedKubeconfigs;
      if (!current.includes(absolute)) await setAddedFiles([...current, absolute]);
      log(`kubeconfig added: ${absolute}`);
      return snapshot();
    },
    'kubeconfig.removeFile': async ({ path }) => {
      const current = settings.get().addedKubeconfigs;
      if (!current.includes(path)) {
        throw new ApiError(
          'not-found',
          `${path} was not added from Aviary (files from --kubeconfig or $KUBECONFIG cannot be removed here)`,
        );
      }
      await setAddedFiles(current.filter((p) => p !== path));
      log(`kubeconfig removed: ${path}`);
      return snapshot();
    },
    'kubeconfig.pickFile': async () => {
      if (!host.pickFile)
        throw new ApiError('unsupported', 'no file dialog in web mode: type the path instead');
      const path = await host.pickFile();
      return path ? { path } : {};
    },
    'clusters.control': async () => fleet.clusters(),
    'clusters.setControl': async ({ context, enabled }) => {
      requireContext(context);
      await settings.update((draft) => {
        draft.control = [
          ...(draft.control ?? []).filter((c) => c.context !== context),
          { context, enabled },
        ];
      });
      await fleet.setControl(context, enabled);
      log(`control of ${context} turned ${enabled ? 'on' : 'off'}`);
      return fleet.clusters();
    },
    'canaries.list': async () => fleet.canaries(),
    'canaries.series': async ({ key }) => fleet.series(key),
    'canaries.detail': async ({ key }) => fleet.detail(key),
    'canaries.object': async ({ key, kind, name }) => fleet.generatedObjectYaml(key, kind, name),
    'canaries.action': async ({ key, action, force }) => fleet.action(key, action, force ?? false),
    'canaries.release': async ({ key, errorRate, latencyMs }) =>
      fleet.release(key, {
        ...(errorRate !== undefined ? { errorRate } : {}),
        ...(latencyMs !== undefined ? { latencyMs } : {}),
      }),
    'log.tail': async ({ after, limit }) => fleet.tail(after, limit),
    ...secrets.handlers,
  };

  let unsubscribeCatalog: (() => void) | undefined;

  return {
    handlers,
    fleet,
    flaggerMetrics,
    catalog,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async start() {
      if (settings.loadProblem) log(settings.loadProblem);
      unsubscribeCatalog = catalog.onChange(() => {
        emit({ type: 'contexts.changed', snapshot: snapshot() });
        // Contexts that connect, change or go away start, restart or stop their cluster runtime.
        fleet.sync();
      });
      await catalog.start();
      fleet.sync();
    },
    async stop() {
      unsubscribeCatalog?.();
      await fleet.stop();
      await catalog.stop();
      listeners.clear();
    },
  };
}
