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
  type ContextsSnapshot,
} from '../shared/api';
import type { Clock } from '../shared/clock';
import { ContextCatalog } from './kube/contexts';
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
}

export interface AviaryService {
  readonly handlers: ApiHandlers;
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
  };

  let unsubscribeCatalog: (() => void) | undefined;

  return {
    handlers,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async start() {
      if (settings.loadProblem) log(settings.loadProblem);
      unsubscribeCatalog = catalog.onChange(() =>
        emit({ type: 'contexts.changed', snapshot: snapshot() }),
      );
      await catalog.start();
    },
    async stop() {
      unsubscribeCatalog?.();
      await catalog.stop();
      listeners.clear();
    },
  };
}
