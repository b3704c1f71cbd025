/** Contract-shaped data for the renderer's component tests. */
import type { ContextInfo, ContextsSnapshot, KubeconfigFileInfo } from '../../src/shared/api';

const since = '2025-01-01T10:00:00.000Z';

export function context(overrides: Partial<ContextInfo> & { id: string }): ContextInfo {
  return {
    name: overrides.id,
    file: '/home/dev/.kube/config',
    cluster: `${overrides.id}-cluster`,
    server: 'https://127.0.0.1:6443',
    user: `${overrides.id}-user`,
    namespace: 'default',
    authKind: 'client-certificate',
    isKubeconfigCurrent: false,
    playground: false,
    connection: { state: 'connecting', since },
    ...overrides,
  };
}

export function file(
  overrides: Partial<KubeconfigFileInfo> & { path: string },
): KubeconfigFileInfo {
  return {
    origin: 'env',
    status: 'ok',
    contextIds: [],
    shadowed: [],
    removable: false,
    ...overrides,
  };
}

/** Two files, four contexts in every state but connecting, plus a missing file. */
export function sampleSnapshot(): ContextsSnapshot {
  return {
    files: [
      file({ path: '/home/dev/.kube/config', contextIds: ['prod', 'staging'], shadowed: ['dev'] }),
      file({
        path: '/tmp/other.yaml',
        origin: 'added',
        removable: true,
        contextIds: ['dev', 'broken'],
      }),
      file({
        path: '/home/dev/gone.yaml',
        origin: 'flag',
        status: 'missing',
        message: 'ENOENT: no such file',
      }),
    ],
    contexts: [
      context({
        id: 'prod',
        isKubeconfigCurrent: true,
        namespace: 'payments',
        connection: { state: 'connected', serverVersion: 'v1.32.4', since, latencyMs: 12 },
      }),
      context({
        id: 'staging',
        connection: { state: 'unauthorized', message: 'the server rejected the token', since },
      }),
      context({
        id: 'dev',
        file: '/tmp/other.yaml',
        connection: { state: 'unreachable', message: 'connect ECONNREFUSED 127.0.0.1:1', since },
      }),
      context({
        id: 'broken',
        file: '/tmp/other.yaml',
        authKind: 'none',
        connection: { state: 'invalid', message: 'user "ghost" is not defined', since },
      }),
    ],
    selectedContext: 'prod',
  };
}
