/**
 * The API contract: the only thing the renderer knows about the engine.
 *
 * Requests are invoke-style (`invoke(method, args)`), each with a validated argument
 * shape; the engine pushes one typed event stream. Electron IPC and the web-mode
 * WebSocket are two transports of exactly this contract and add nothing of their own.
 * Later issues add methods to `methods` / `MethodResults` and members to `ApiEvent`.
 *
 * Nothing here may carry a secret: no token, client key, password, or the content of a
 * kubeconfig file. Paths and server URLs are fine (Lens and kubectl show them).
 */
import { noArgs, s, type Infer, type Schema } from './schema';

export const API_VERSION = 1;

// ---------------------------------------------------------------------------------------
// Domain types seen by the renderer

/** The state of one kubeconfig context's connection, as the sidebar shows it. */
export type ConnectionState =
  'connecting' | 'connected' | 'unauthorized' | 'unreachable' | 'invalid';

/** How a context authenticates; never the credential itself. */
export type AuthKind =
  | 'token'
  | 'token-file'
  | 'client-certificate'
  | 'basic'
  | 'exec'
  | 'oidc'
  | 'auth-provider'
  | 'none';

export interface ClusterConnection {
  state: ConnectionState;
  /** e.g. "v1.32.4" once connected. */
  serverVersion?: string;
  /** Why it is not connected, in words a person can act on. */
  message?: string;
  /** ISO time of the last state change. */
  since: string;
  /** Round trip of the last successful probe. */
  latencyMs?: number;
}

export interface ContextInfo {
  /** Unique after kubectl's merge (first file wins for a name), so the context name is the id. */
  id: string;
  name: string;
  /** The kubeconfig file that defines this context. */
  file: string;
  cluster?: string;
  server?: string;
  user?: string;
  /** The context's namespace, or "default". */
  namespace: string;
  authKind: AuthKind;
  /** True for the merged kubeconfig's current-context. */
  isKubeconfigCurrent: boolean;
  /** True for contexts of Aviary's own playground. */
  playground: boolean;
  connection: ClusterConnection;
}

/** Where a kubeconfig file came from, in kubectl's order of precedence. */
export type KubeconfigOrigin = 'flag' | 'env' | 'default' | 'added' | 'playground';

export interface KubeconfigFileInfo {
  path: string;
  origin: KubeconfigOrigin;
  status: 'ok' | 'missing' | 'invalid';
  /** Why the file could not be read (parse error with line, missing file...). */
  message?: string;
  /** The contexts this file defines that were not shadowed by an earlier file. */
  contextIds: string[];
  /** Names this file defines that an earlier file already defined (kubectl: first wins). */
  shadowed: string[];
  /** Files added from the UI can be removed there; the others come from flags or env. */
  removable: boolean;
}

export interface ContextsSnapshot {
  files: KubeconfigFileInfo[];
  contexts: ContextInfo[];
  /** The context selected in Aviary (remembered across launches). */
  selectedContext?: string;
}

export type AppMode = 'electron' | 'web';

export interface AppInfo {
  name: string;
  version: string;
  mode: AppMode;
  platform: string;
  nodeVersion: string;
  electronVersion?: string;
  /** A native file dialog is available (Electron); web mode offers a path field instead. */
  canPickFiles: boolean;
}

// ---------------------------------------------------------------------------------------
// Requests

const contextName = s.string({ min: 1, max: 253 });
const filePath = s.string({ min: 1, max: 4096 });

/** Argument schemas, validated by every transport before a handler runs. */
export const methods = {
  'app.info': noArgs,
  'contexts.list': noArgs,
  'contexts.select': s.object({ context: contextName }),
  'contexts.reconnect': s.object({ context: contextName }),
  'kubeconfig.addFile': s.object({ path: filePath }),
  'kubeconfig.removeFile': s.object({ path: filePath }),
  /** Opens the host's file dialog; only when AppInfo.canPickFiles. */
  'kubeconfig.pickFile': noArgs,
} satisfies Record<string, Schema<unknown>>;

export interface MethodResults {
  'app.info': AppInfo;
  'contexts.list': ContextsSnapshot;
  'contexts.select': ContextsSnapshot;
  'contexts.reconnect': ContextsSnapshot;
  'kubeconfig.addFile': ContextsSnapshot;
  'kubeconfig.removeFile': ContextsSnapshot;
  'kubeconfig.pickFile': { path?: string };
}

export type MethodName = keyof typeof methods;
export type MethodArgs<M extends MethodName> = Infer<(typeof methods)[M]>;

export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(methods, name);
}

// ---------------------------------------------------------------------------------------
// Events

export type ApiEvent = { type: 'contexts.changed'; snapshot: ContextsSnapshot };

export type ApiEventType = ApiEvent['type'];

// ---------------------------------------------------------------------------------------
// Errors and the two sides of the contract

export type ApiErrorCode =
  'invalid-argument' | 'not-found' | 'unsupported' | 'forbidden' | 'unavailable' | 'internal';

/** The error shape that crosses a transport: a code and a message, never a stack. */
export interface ApiErrorBody {
  code: ApiErrorCode;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toBody(): ApiErrorBody {
    return { code: this.code, message: this.message };
  }
}

/** A settled invoke, as both transports carry it (Electron strips fields off thrown errors). */
export type InvokeOutcome<T> = { ok: true; value: T } | { ok: false; error: ApiErrorBody };

/** What the engine side implements: one handler per method. */
export type ApiHandlers = {
  [M in MethodName]: (args: MethodArgs<M>) => Promise<MethodResults[M]>;
};

/** What the renderer holds: the same contract from the calling side. */
export interface AviaryApi {
  invoke<M extends MethodName>(method: M, args: MethodArgs<M>): Promise<MethodResults[M]>;
  subscribe(listener: (event: ApiEvent) => void): () => void;
}
