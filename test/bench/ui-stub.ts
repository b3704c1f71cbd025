/**
 * A stand-in Aviary for measuring and photographing the renderer: web mode's real server
 * (src/server/web.ts, the real WebSocket contract and the built renderer) in front of a
 * fake engine holding a made-up fleet. Used by ui-fleet.bench.ts and test/e2e/fleet.e2e.ts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startWebMode, type WebModeServer } from '../../src/server/web';
import {
  ApiError,
  type ApiEvent,
  type ApiHandlers,
  type CanaryPhaseName,
  type CanarySummary,
  type ClusterControl,
  type ContextInfo,
  type ContextsSnapshot,
} from '../../src/shared/api';

export const root = resolve(import.meta.dirname, '../..');
const rendererDir = join(root, 'out/renderer');

/** Builds the renderer once if it is not built yet. */
export function ensureRendererBuilt(): void {
  if (existsSync(join(rendererDir, 'index.html'))) return;
  const built = spawnSync(
    process.execPath,
    [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'vite.renderer.config.ts'],
    { cwd: root, stdio: 'inherit' },
  );
  if (built.status !== 0) throw new Error('the renderer build failed');
}

const APPS = [
  'podinfo',
  'checkout',
  'cart',
  'payments',
  'ledger',
  'search',
  'frontend',
  'auth',
  'catalog',
  'inventory',
  'orders',
  'shipping',
  'notifier',
  'recommend',
  'reviews',
  'gateway',
  'billing',
  'profile',
  'images',
  'session',
  'pricing',
  'quotes',
  'geo',
  'mailer',
  'tokens',
];
const NAMESPACES = ['shop', 'payments', 'platform', 'web', 'data', 'identity', 'test', 'edge'];
const SINCE = '2025-01-01T10:00:00.000Z';

export const CLUSTERS = [
  'prod-eu-west-1',
  'prod-us-east-1',
  'arn:aws:eks:ap-south-1:123456789012:cluster/prod-ap',
  'staging@kind-staging',
  'gke_shop-dev_europe-west1_dev',
];

function contextInfo(
  id: string,
  state: ContextInfo['connection']['state'],
  message?: string,
): ContextInfo {
  return {
    id,
    name: id,
    file: '/home/dev/.kube/config',
    cluster: id,
    server: 'https://127.0.0.1:6443',
    user: 'dev',
    namespace: 'default',
    authKind: 'exec',
    isKubeconfigCurrent: id === CLUSTERS[0],
    playground: false,
    connection:
      state === 'connected'
        ? { state, serverVersion: 'v1.32.4', since: SINCE, latencyMs: 14 }
        : { state, since: SINCE, message },
  };
}

export function fleetSnapshot(): ContextsSnapshot {
  const contexts = [
    ...CLUSTERS.map((id) => contextInfo(id, 'connected')),
    contextInfo('on-prem-dc2', 'unreachable', 'dial tcp 10.20.0.4:6443: i/o timeout'),
  ];
  return {
    files: [
      {
        path: '/home/dev/.kube/config',
        origin: 'default',
        status: 'ok',
        contextIds: contexts.map((c) => c.id),
        shadowed: [],
        removable: false,
      },
    ],
    contexts,
    selectedContext: CLUSTERS[0],
  };
}

/** A deterministic fleet: mostly settled, some moving, a few waiting or failed. */
export function makeFleet(count: number, now = Date.now()): CanarySummary[] {
  const out: CanarySummary[] = [];
  for (let i = 0; i < count; i++) {
    const context = CLUSTERS[i % CLUSTERS.length] ?? 'c';
    const n = Math.floor(i / CLUSTERS.length);
    const namespace = NAMESPACES[n % NAMESPACES.length] ?? 'default';
    const app = APPS[Math.floor(n / NAMESPACES.length) % APPS.length] ?? 'app';
    const round = Math.floor(n / (NAMESPACES.length * APPS.length));
    const name = round ? `${app}-${round + 1}` : app;
    const roll = (i * 37) % 100;
    const phase: CanaryPhaseName =
      roll < 60
        ? 'Succeeded'
        : roll < 80
          ? 'Progressing'
          : roll < 86
            ? 'Initialized'
            : roll < 92
              ? 'WaitingPromotion'
              : roll < 96
                ? 'Failed'
                : roll < 98
                  ? 'Waiting'
                  : 'Promoting';
    const weight =
      phase === 'Progressing' ? ((i * 7) % 5) * 10 + 10 : phase === 'WaitingPromotion' ? 50 : 0;
    const blueGreen = i % 9 === 4;
    out.push({
      key: `${context}/${namespace}/${name}`,
      context,
      namespace,
      name,
      phase,
      canaryWeight: blueGreen && phase === 'Progressing' ? 100 : weight,
      failedChecks: phase === 'Failed' ? 5 : phase === 'Progressing' ? i % 3 : 0,
      threshold: 5,
      iterations: blueGreen ? i % 10 : 0,
      totalIterations: blueGreen ? 10 : undefined,
      maxWeight: 50,
      strategy: blueGreen ? 'blue-green' : 'canary',
      provider: ['nginx', 'istio', 'linkerd', 'contour'][i % 4] ?? 'nginx',
      target: { kind: 'Deployment', name },
      lastTransitionTime: new Date(now - ((i * 7919) % 86_400) * 1000).toISOString(),
      suspended: false,
      controller: i % 11 === 3 ? 'flagger' : i % 17 === 5 ? 'observed' : 'aviary',
      message:
        phase === 'Failed'
          ? `Canary failed! Scaling down ${name}.${namespace}`
          : phase === 'WaitingPromotion'
            ? `Confirm-promotion check confirm-promotion failed`
            : undefined,
    });
  }
  return out;
}

export interface StubAviary {
  server: WebModeServer;
  url: string;
  canaries: Map<string, CanarySummary>;
  emit(event: ApiEvent): void;
  close(): Promise<void>;
}

export async function startStubAviary(count: number): Promise<StubAviary> {
  ensureRendererBuilt();
  const listeners = new Set<(event: ApiEvent) => void>();
  const canaries = new Map(makeFleet(count).map((c) => [c.key, c]));
  let snapshot = fleetSnapshot();
  const control: ClusterControl[] = snapshot.contexts.map((c) => ({
    context: c.id,
    mode: c.connection.state === 'connected' ? 'controlling' : 'offline',
  }));
  const known: Partial<ApiHandlers> = {
    'app.info': async () => ({
      name: 'Aviary',
      version: '0.1.0',
      mode: 'web',
      platform: process.platform,
      nodeVersion: process.version,
      canPickFiles: false,
    }),
    'contexts.list': async () => snapshot,
    'contexts.select': async ({ context }) =>
      (snapshot = { ...snapshot, selectedContext: context }),
    'contexts.reconnect': async () => snapshot,
    'clusters.control': async () => control,
    'canaries.list': async () => [...canaries.values()],
    'canaries.series': async () => [],
    'log.tail': async () => [],
  };
  // Everything else the stub does not do, in the contract's own error shape.
  const handlers = new Proxy(known, {
    get: (target, method: string) =>
      target[method as keyof ApiHandlers] ??
      (async () => {
        throw new ApiError('unsupported', `${method} is not part of the UI stub`);
      }),
  }) as ApiHandlers;
  const server = await startWebMode({
    rendererDir,
    backend: {
      handlers,
      subscribe: (listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    },
  });
  return {
    server,
    url: server.url,
    canaries,
    emit: (event) => {
      if (event.type === 'canaries.changed') for (const c of event.changed) canaries.set(c.key, c);
      for (const listener of listeners) listener(event);
    },
    close: () => server.close(),
  };
}
