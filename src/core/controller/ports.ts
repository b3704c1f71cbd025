/**
 * The seams of the rollout engine, shaped after Flagger's own packages so behaviour maps
 * one to one: pkg/canary (WorkloadController), pkg/router (ServiceRouter, TrafficRouter),
 * the autoscaler reconcilers (ScalerReconciler), pkg/metrics (AnalysisRunner),
 * pkg/controller/webhook.go (WebhookCaller), events.go (EventRecorder), pkg/notifier
 * (Notifier). The state machine (scheduler.ts) only talks to these; adding a mesh or a
 * metrics backend never touches it.
 */
import type { Canary, CanaryPhase, CanaryWebhook } from '../canary/types';
import type { KubeApi } from '../kube/api';

/** Thrown by readiness checks; `retriable: false` means the progress deadline passed (rollback). */
export class ReadinessError extends Error {
  constructor(
    message: string,
    readonly retriable: boolean,
  ) {
    super(message);
    this.name = 'ReadinessError';
  }
}

/** Thrown when initialization cannot go on; `retriable: false` means roll back. */
export class InitializationError extends Error {
  constructor(
    message: string,
    readonly retriable: boolean,
  ) {
    super(message);
    this.name = 'InitializationError';
  }
}

/** What identifies the canary's current revision: the target's pod template hash and its configs. */
export interface Revision {
  /** computeHash of the target's pod template (stored as lastAppliedSpec). */
  hash: string;
  /** Flagger's trackedConfigs: "configmap/<name>" | "secret/<name>" → checksum. */
  trackedConfigs: Record<string, string>;
}

export interface WorkloadMetadata {
  /** The selector label key (app, name or app.kubernetes.io/name) and its value. */
  labelSelector: string;
  labelValue: string;
  /** Container ports by name, for portDiscovery. */
  ports: Record<string, number>;
}

/** Flagger's canary.Controller for one target kind (Deployment, DaemonSet). */
export interface WorkloadController {
  getMetadata(canary: Canary): Promise<WorkloadMetadata>;
  /** Creates `<target>-primary` (and `-primary` copies of tracked ConfigMaps/Secrets) if missing. */
  initialize(canary: Canary): Promise<void>;
  /** Copies the target's template spec (and configs) to the primary. */
  promote(canary: Canary): Promise<void>;
  /** The target's current revision (hash + configs), for status and change detection. */
  revision(canary: Canary): Promise<Revision>;
  hasTargetChanged(canary: Canary): Promise<boolean>;
  haveDependenciesChanged(canary: Canary): Promise<boolean>;
  /** Throws ReadinessError. */
  isPrimaryReady(canary: Canary): Promise<void>;
  /** Throws ReadinessError. */
  isCanaryReady(canary: Canary): Promise<void>;
  scaleToZero(canary: Canary): Promise<void>;
  scaleFromZero(canary: Canary): Promise<void>;
  /** revertOnDeletion: restore the target from the primary. */
  finalize(canary: Canary): Promise<void>;
}

/** The ClusterIP Services `<apex>`, `<apex>-primary`, `<apex>-canary` (pkg/router/kubernetes_default.go). */
export interface ServiceRouter {
  initialize(canary: Canary): Promise<void>;
  reconcile(canary: Canary): Promise<void>;
  finalize(canary: Canary): Promise<void>;
}

export interface Routes {
  primaryWeight: number;
  canaryWeight: number;
  mirrored: boolean;
}

/** One object a router writes for a canary, for the detail view ("generated objects"). */
export interface RoutingObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  /** What it is to the canary ("route", "canary ingress", ...). */
  role: string;
  /** Cluster-scoped kinds (Kuma's TrafficRoute) are read without a namespace. */
  clusterScoped?: boolean;
}

/** A mesh or ingress provider's router (one file per provider in core/routers). */
export interface TrafficRouter {
  /** The objects reconcile() writes, by name: the router is the one place that knows them. */
  objects?(canary: Canary): RoutingObjectRef[];
  reconcile(canary: Canary): Promise<void>;
  setRoutes(canary: Canary, routes: Routes): Promise<void>;
  getRoutes(canary: Canary): Promise<Routes>;
  finalize(canary: Canary): Promise<void>;
}

/** HPA (or KEDA ScaledObject) handling for autoscalerRef. */
export interface ScalerReconciler {
  reconcilePrimaryScaler(canary: Canary, init: boolean): Promise<void>;
  pauseTargetScaler(canary: Canary): Promise<void>;
  resumeTargetScaler(canary: Canary): Promise<void>;
}

export type EventType = 'Normal' | 'Warning';
export type LogLevel = 'info' | 'warn' | 'error';

/**
 * Flagger's recordEventInfof / Warningf / Errorf: a Kubernetes Event on the Canary
 * (reason "Synced"), a log record, and the event webhooks.
 */
export interface EventRecorder {
  info(canary: Canary, message: string): Promise<void>;
  warning(canary: Canary, message: string): Promise<void>;
  error(canary: Canary, message: string): Promise<void>;
}

export type AlertSeverity = 'info' | 'warn' | 'error';

/** Flagger's alert(): routed to the canary's AlertProviders or the global notifier. */
export interface Notifier {
  alert(canary: Canary, message: string, metadata: boolean, severity: AlertSeverity): Promise<void>;
}

/** One check's value at one analysis step, for the UI's charts. */
export interface MetricSample {
  metric: string;
  value: number | undefined;
  min?: number;
  max?: number;
  passed: boolean;
  message?: string;
}

export interface AnalysisResult {
  passed: boolean;
  samples: MetricSample[];
}

/** The metric checks of one analysis step (builtin + MetricTemplate), Flagger's runMetricChecks. */
export interface AnalysisRunner {
  /** Events for failed checks ("Halt ... success rate ...") are recorded through `events`. */
  runMetricChecks(canary: Canary, events: EventRecorder): Promise<AnalysisResult>;
  /** checkMetricProviderAvailability; resolves with an error text or undefined. */
  checkProviders(canary: Canary): Promise<string | undefined>;
}

/** The webhook phase string sent in the payload. */
export type HookPhase = CanaryPhase | '';

export interface WebhookCaller {
  /** Resolves on success (status <= 202); throws an Error whose message is the response body or cause. */
  call(canary: Canary, hook: CanaryWebhook, phase: HookPhase): Promise<void>;
  /** Event webhooks (type: event), best effort. */
  callEventHooks(canary: Canary, message: string, eventType: EventType): Promise<void>;
}

/** Everything the state machine needs for one cluster. */
export interface ClusterPorts {
  kube: KubeApi;
  workload(canary: Canary): WorkloadController;
  services: ServiceRouter;
  router(canary: Canary): TrafficRouter;
  scaler(canary: Canary): ScalerReconciler | undefined;
  analysis: AnalysisRunner;
  webhooks: WebhookCaller;
  events: EventRecorder;
  notifier: Notifier;
}
