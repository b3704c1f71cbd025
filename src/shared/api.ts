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
// Canaries and the engine

/** Flagger's phases (status.phase); 'Unknown' before a controller wrote any status. */
export type CanaryPhaseName =
  | 'Initializing'
  | 'Initialized'
  | 'Waiting'
  | 'Progressing'
  | 'WaitingPromotion'
  | 'Promoting'
  | 'Finalising'
  | 'Succeeded'
  | 'Failed'
  | 'Terminating'
  | 'Terminated'
  | 'Unknown';

/** Who drives a canary: this Aviary, an in-cluster Flagger, or nobody we can act for. */
export type CanaryController = 'aviary' | 'flagger' | 'observed';

/** How Aviary relates to one cluster. */
export interface ClusterControl {
  context: string;
  /**
   * controlling: this Aviary holds the cluster's Lease and drives its canaries;
   * standby: another Aviary holds it (holder says who); flagger: an in-cluster Flagger drives
   * them; observing: control is off for this cluster (real clusters start so); offline: not connected.
   */
  mode: 'controlling' | 'standby' | 'flagger' | 'observing' | 'offline';
  holder?: string;
  message?: string;
}

export interface CanaryFieldError {
  path: string;
  message: string;
}

/** One row of the fleet: what `kubectl get canaries -A` shows, and a bit more. */
export interface CanarySummary {
  /** "context/namespace/name" */
  key: string;
  context: string;
  namespace: string;
  name: string;
  phase: CanaryPhaseName;
  canaryWeight: number;
  failedChecks: number;
  threshold: number;
  iterations: number;
  /** analysis.iterations for A/B and blue/green. */
  totalIterations?: number;
  maxWeight: number;
  strategy: 'canary' | 'blue-green' | 'ab-testing';
  provider: string;
  target: { kind: string; name: string };
  lastTransitionTime?: string;
  suspended: boolean;
  controller: CanaryController;
  /** The latest halt or failure reason, in Flagger's words. */
  message?: string;
  /** Set when the Canary is invalid: what is wrong, by field. */
  errors?: CanaryFieldError[];
}

/** One point of a canary's time series (one analysis tick). */
export interface CanaryPoint {
  time: string;
  phase: CanaryPhaseName;
  canaryWeight: number;
  primaryWeight: number;
  checks: { metric: string; value?: number; min?: number; max?: number; passed: boolean }[];
  marker?: 'step' | 'halt' | 'rollback' | 'promotion' | 'start';
  message?: string;
}

export type LogLevel = 'info' | 'warn' | 'error';

/** One line of the Flagger-style log. */
export interface LogRecord {
  seq: number;
  time: string;
  level: LogLevel;
  context: string;
  /** "name.namespace", as Flagger prints it. */
  canary?: string;
  message: string;
  /** Set when a person caused it ("promote requested by alice@laptop"). */
  actor?: string;
}

export type CanaryAction =
  'promote' | 'rollback' | 'pause' | 'resume' | 'retry' | 'openGate' | 'closeGate';

/** Everything the detail view offers a button for: the actions and a playground release. */
export type CanaryActionName = CanaryAction | 'release';

/** Whether an action may be taken now, and in words why not. */
export interface ActionAvailability {
  allowed: boolean;
  reason?: string;
}

/** A core/v1 Event whose involvedObject is the Canary (what `kubectl describe canary` lists). */
export interface CanaryEventInfo {
  type: string;
  reason: string;
  message: string;
  count: number;
  /** ISO time of the latest occurrence. */
  lastTime?: string;
  source?: string;
}

/** An object the controller generates for a canary (primary workload, services, routes, HPA). */
export interface GeneratedObjectInfo {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  /** What it is for: "primary", "apex service", "canary ingress"... */
  role: string;
  exists: boolean;
  /** One line, e.g. "2/2 ready · podinfo:6.0.1", "canary-weight 20". */
  status: string;
}

/** A confirm-* webhook that uses the loadtester's gate API (open/close work on it). */
export interface CanaryGateInfo {
  name: string;
  type: string;
  url: string;
  /** The loadtester's gate API can open and close this gate. */
  operable: boolean;
}

/** Everything the canary detail view shows besides the series and the log. */
export interface CanaryDetail {
  summary: CanarySummary;
  control: ClusterControl;
  /** The Canary object as YAML (metadata.managedFields dropped). */
  yaml: string;
  /** Validation errors, each with the 1-based line of yaml it points at. */
  errors: (CanaryFieldError & { line?: number })[];
  events: CanaryEventInfo[];
  objects: GeneratedObjectInfo[];
  /** status.lastAppliedSpec / lastPromotedSpec: hashes of the analysed and promoted revisions. */
  revision: { lastAppliedSpec?: string; lastPromotedSpec?: string };
  /** Each analysis metric with its threshold range (the chart shades it before any sample). */
  checks: { name: string; min?: number; max?: number; interval?: string }[];
  gates: CanaryGateInfo[];
  playground: boolean;
  actions: Record<CanaryActionName, ActionAvailability>;
}

// ---------------------------------------------------------------------------------------
// Secrets (the OS keychain): names cross the contract, values only inward in secrets.set

/**
 * The secrets Aviary keeps for the user: slack-webhook is the personal alert webhook (the
 * global notifier for canaries without alerts), prometheus-token a Bearer token for the
 * default metrics server, metrics-api-key an API key for metrics providers.
 */
export const SECRET_NAMES = ['slack-webhook', 'metrics-api-key', 'prometheus-token'] as const;
export type SecretName = (typeof SECRET_NAMES)[number];

export interface SecretsStatus {
  /** An OS keychain is reachable; without one nothing is stored (never in plain text). */
  available: boolean;
  /** Why there is no keychain. */
  reason?: string;
  /** The secrets that have a value. */
  names: SecretName[];
}

// ---------------------------------------------------------------------------------------
// Requests

const contextName = s.string({ min: 1, max: 253 });
const filePath = s.string({ min: 1, max: 4096 });
/** "context/namespace/name"; context names may hold anything but the key splits on the last two slashes. */
const canaryKey = s.string({
  min: 5,
  max: 600,
  pattern: /^.+\/[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/,
});

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
  'clusters.control': noArgs,
  /** Turns Aviary's control of a cluster on or off (real clusters start observed). */
  'clusters.setControl': s.object({ context: contextName, enabled: s.boolean() }),
  'canaries.list': noArgs,
  'canaries.series': s.object({ key: canaryKey }),
  /** The detail view: YAML, errors by line, events, generated objects, allowed actions. */
  'canaries.detail': s.object({ key: canaryKey }),
  /** One generated object's YAML; only objects listed in the canary's detail. */
  'canaries.object': s.object({
    key: canaryKey,
    kind: s.string({ min: 1, max: 100 }),
    name: s.string({ min: 1, max: 253 }),
  }),
  'canaries.action': s.object({
    key: canaryKey,
    action: s.enum([
      'promote',
      'rollback',
      'pause',
      'resume',
      'retry',
      'openGate',
      'closeGate',
    ] as const),
    /** promote without the confirm-promotion gates */
    force: s.optional(s.boolean()),
  }),
  /**
   * Playground only: roll the canary's target to a new version (the next image tag), with
   * an optional misbehaviour, as a developer's release would.
   */
  'canaries.release': s.object({
    key: canaryKey,
    errorRate: s.optional(s.number({ min: 0, max: 1 })),
    latencyMs: s.optional(s.number({ min: 0, max: 60_000 })),
  }),
  /** Which secrets are set and whether a keychain is there; never a value. */
  'secrets.status': noArgs,
  /** Stores a secret in the OS keychain; the value is never logged nor sent back. */
  'secrets.set': s.object({
    name: s.enum(SECRET_NAMES),
    value: s.string({ min: 1, max: 16_384 }),
  }),
  'secrets.delete': s.object({ name: s.enum(SECRET_NAMES) }),
  /** The newest log records, optionally only those after a sequence number. */
  'log.tail': s.object({
    after: s.optional(s.number({ integer: true, min: 0 })),
    limit: s.optional(s.number({ integer: true, min: 1, max: 5000 })),
  }),
} satisfies Record<string, Schema<unknown>>;

export interface MethodResults {
  'app.info': AppInfo;
  'contexts.list': ContextsSnapshot;
  'contexts.select': ContextsSnapshot;
  'contexts.reconnect': ContextsSnapshot;
  'kubeconfig.addFile': ContextsSnapshot;
  'kubeconfig.removeFile': ContextsSnapshot;
  'kubeconfig.pickFile': { path?: string };
  'clusters.control': ClusterControl[];
  'clusters.setControl': ClusterControl[];
  'canaries.list': CanarySummary[];
  'canaries.series': CanaryPoint[];
  'canaries.detail': CanaryDetail;
  'canaries.object': { yaml: string };
  'canaries.action': CanarySummary;
  'canaries.release': { image: string };
  'secrets.status': SecretsStatus;
  'secrets.set': SecretsStatus;
  'secrets.delete': SecretsStatus;
  'log.tail': LogRecord[];
}

export type MethodName = keyof typeof methods;
export type MethodArgs<M extends MethodName> = Infer<(typeof methods)[M]>;

export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(methods, name);
}

// ---------------------------------------------------------------------------------------
// Events

export type ApiEvent =
  | { type: 'contexts.changed'; snapshot: ContextsSnapshot }
  | { type: 'clusters.control'; clusters: ClusterControl[] }
  /** Canaries that changed (or appeared) and keys that disappeared. */
  | { type: 'canaries.changed'; changed: CanarySummary[]; removed: string[] }
  | { type: 'canaries.point'; key: string; point: CanaryPoint }
  | { type: 'log.appended'; records: LogRecord[] }
  /** A canary failed, rolled back or waits for approval: the desktop shows a notification. */
  | { type: 'alert'; key: string; severity: LogLevel; title: string; message: string };

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
