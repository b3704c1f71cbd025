/**
 * The Canary, MetricTemplate and AlertProvider resources as Flagger defines them
 * (pkg/apis/flagger/v1beta1). Field names and JSON shapes are Flagger's; a parsed Canary is a
 * read model: the engine writes only the status subresource, never the spec back.
 */

export type JsonValue =
  string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };
export type StringMap = Record<string, string>;

export const CANARY_API_VERSIONS = ['flagger.app/v1beta1', 'flagger.app/v1alpha3'] as const;
export type CanaryApiVersion = (typeof CANARY_API_VERSIONS)[number];

/** Flagger's constants (canary.go). */
export const PROGRESS_DEADLINE_SECONDS = 600;
export const ANALYSIS_INTERVAL_MS = 60_000;
export const MIN_ANALYSIS_INTERVAL_MS = 10_000;
export const PRIMARY_READY_THRESHOLD = 100;
export const CANARY_READY_THRESHOLD = 100;
export const METRIC_INTERVAL = '1m';
export const WEBHOOK_TIMEOUT = '10s';
export const SESSION_AFFINITY_MAX_AGE = 86400;
/** Flagger's totalWeight(): always 100. */
export const TOTAL_WEIGHT = 100;

export const PROVIDERS = [
  'apisix',
  'appmesh',
  'appmesh:v1beta2',
  'contour',
  'gatewayapi:v1',
  'gatewayapi:v1beta1',
  'gloo',
  'istio',
  'knative',
  'kubernetes',
  'kuma',
  'linkerd',
  'nginx',
  'osm',
  'skipper',
  'smi:v1alpha1',
  'smi:v1alpha2',
  'smi:v1alpha3',
  'traefik',
] as const;
/** The CRD's provider enum; the global `-mesh-provider` may name others (crossover, smi:...). */
export type Provider = (typeof PROVIDERS)[number];

export const TARGET_KINDS = ['DaemonSet', 'Deployment', 'Service'] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

export const AUTOSCALER_KINDS = ['HorizontalPodAutoscaler', 'ScaledObject'] as const;
export type AutoscalerKind = (typeof AUTOSCALER_KINDS)[number];

export const CANARY_PHASES = [
  'Initializing',
  'Initialized',
  'Waiting',
  'Progressing',
  'WaitingPromotion',
  'Promoting',
  'Finalising',
  'Succeeded',
  'Failed',
  'Terminating',
  'Terminated',
] as const;
export type CanaryPhase = (typeof CANARY_PHASES)[number];

export const DEPLOYMENT_STRATEGIES = ['canary', 'blue-green', 'ab-testing'] as const;
export type DeploymentStrategy = (typeof DEPLOYMENT_STRATEGIES)[number];

/** "" in the CRD enum means rollout. */
export const HOOK_TYPES = [
  '',
  'rollout',
  'pre-rollout',
  'post-rollout',
  'confirm-rollout',
  'confirm-promotion',
  'confirm-traffic-increase',
  'event',
  'rollback',
] as const;
export type HookType = (typeof HOOK_TYPES)[number];

export const ALERT_SEVERITIES = ['', 'info', 'warn', 'error'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

export const TRAFFIC_DISTRIBUTIONS = ['PreferClose', 'PreferSameZone', 'PreferSameNode'] as const;
export const SAME_SITE_VALUES = ['Strict', 'Lax', 'None'] as const;
export const REWRITE_TYPES = ['ReplaceFullPath', 'ReplacePrefixMatch'] as const;

export const BUILTIN_METRICS = ['request-success-rate', 'request-duration'] as const;
export type BuiltinMetricName = (typeof BUILTIN_METRICS)[number];

export interface ObjectMeta {
  name: string;
  namespace: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: StringMap;
  annotations?: StringMap;
  finalizers?: string[];
  ownerReferences?: JsonObject[];
}

export interface LocalObjectReference {
  apiVersion: string;
  kind: string;
  name: string;
}

export interface TargetReference extends LocalObjectReference {
  kind: TargetKind;
}

export interface CrossNamespaceObjectReference {
  apiVersion?: string;
  kind?: string;
  name: string;
  namespace?: string;
}

export interface ScalerReplicas {
  minReplicas?: number;
  maxReplicas?: number;
}

export interface AutoscalerReference {
  apiVersion: string;
  kind: AutoscalerKind;
  name: string;
  /** KEDA: trigger name → query for the primary's ScaledObject. */
  primaryScalerQueries?: StringMap;
  primaryScalerReplicas?: ScalerReplicas;
}

export interface CustomMetadata {
  labels?: StringMap;
  annotations?: StringMap;
}

export interface UnmanagedMetadata {
  annotations?: string[];
  labels?: string[];
}

/** Istio StringMatch: exactly one of the fields. */
export interface StringMatch {
  exact?: string;
  prefix?: string;
  suffix?: string;
  regex?: string;
}

/** Istio HTTPMatchRequest (the fields routers read; the rest is kept as given). */
export interface HTTPMatchRequest {
  name?: string;
  uri?: StringMatch;
  scheme?: StringMatch;
  method?: StringMatch;
  authority?: StringMatch;
  headers?: Record<string, StringMatch>;
  queryParams?: Record<string, StringMatch>;
  withoutHeaders?: Record<string, StringMatch>;
  sourceLabels?: StringMap;
  sourceNamespace?: string;
  gateways?: string[];
  port?: number;
  ignoreUriCase?: boolean;
}

export interface HTTPRewrite {
  uri?: string;
  authority?: string;
  /** ReplaceFullPath (default) or ReplacePrefixMatch; used by the Gateway API router. */
  type?: string;
}

/** Gateway API ParentReference (group and kind carry the CRD defaults once parsed). */
export interface ParentReference {
  group: string;
  kind: string;
  namespace?: string;
  name: string;
  sectionName?: string;
  port?: number;
}

export interface BackendObjectReference {
  group: string;
  kind: string;
  name: string;
  namespace?: string;
  port?: number;
}

/** Gateway API HTTPRequestMirrorFilter. */
export interface HTTPRequestMirrorFilter {
  backendRef: BackendObjectReference;
  percent?: number;
  fraction?: { numerator: number; denominator?: number };
}

export interface CanaryService {
  /** The apex service name; defaults to targetRef.name (see serviceNames). */
  name?: string;
  port: number;
  portName?: string;
  targetPort?: number | string;
  appProtocol?: string;
  trafficDistribution?: string;
  portDiscovery?: boolean;
  headless?: boolean;
  timeout?: string;
  backendTimeout?: string;
  gateways?: string[];
  gatewayRefs?: ParentReference[];
  hosts?: string[];
  delegation?: boolean;
  /** Istio DestinationRule TrafficPolicy, passed through. */
  trafficPolicy?: JsonObject;
  match?: HTTPMatchRequest[];
  rewrite?: HTTPRewrite;
  /** Istio HTTPRetry, passed through. */
  retries?: JsonObject;
  /** Istio Headers (request/response set/add/remove), passed through. */
  headers?: JsonObject;
  mirror?: HTTPRequestMirrorFilter[];
  /** Istio CorsPolicy, passed through. */
  corsPolicy?: JsonObject;
  meshName?: string;
  backends?: string[];
  apex?: CustomMetadata;
  primary?: CustomMetadata;
  canary?: CustomMetadata;
  unmanagedMetadata?: UnmanagedMetadata;
}

export interface ThresholdRange {
  min?: number;
  max?: number;
}

export interface CanaryMetric {
  name: string;
  /** As written; metricInterval() gives the effective window ("1m" when empty). */
  interval?: string;
  /** Deprecated (v1alpha3 and early v1beta1): kept as written. */
  threshold?: number;
  /**
   * The effective check. When the resource had no thresholdRange, this is built from the legacy
   * `threshold` the way Flagger reads it: a minimum for request-success-rate, a maximum for
   * request-duration (ms) and for every other metric (an absent threshold counts as 0).
   */
  thresholdRange: ThresholdRange;
  /** Where thresholdRange came from; texts and the UI say "threshold" for the legacy form. */
  thresholdSource: 'thresholdRange' | 'threshold';
  query?: string;
  templateRef?: CrossNamespaceObjectReference;
  templateVariables?: StringMap;
}

export interface CanaryWebhook {
  name: string;
  /** "" and undefined mean rollout. */
  type?: HookType;
  url: string;
  muteAlert?: boolean;
  timeout?: string;
  retries?: number;
  disableTLS?: boolean;
  metadata?: StringMap;
}

export interface CanaryAlert {
  name: string;
  severity?: AlertSeverity;
  providerRef: { name: string; namespace?: string };
}

export interface SessionAffinity {
  cookieName: string;
  primaryCookieName?: string;
  domain?: string;
  httpOnly?: boolean;
  /** Seconds; the CRD defaults it to 86400. */
  maxAge?: number;
  partitioned?: boolean;
  path?: string;
  sameSite?: string;
  secure?: boolean;
}

export interface CanaryAnalysis {
  interval?: string;
  threshold?: number;
  iterations?: number;
  maxWeight?: number;
  stepWeight?: number;
  stepWeights?: number[];
  stepWeightPromotion?: number;
  mirror?: boolean;
  mirrorWeight?: number;
  primaryReadyThreshold?: number;
  canaryReadyThreshold?: number;
  match?: HTTPMatchRequest[];
  sessionAffinity?: SessionAffinity;
  metrics?: CanaryMetric[];
  webhooks?: CanaryWebhook[];
  alerts?: CanaryAlert[];
}

export interface CanarySpec {
  provider?: string;
  metricsServer?: string;
  targetRef: TargetReference;
  autoscalerRef?: AutoscalerReference;
  ingressRef?: LocalObjectReference;
  routeRef?: LocalObjectReference;
  upstreamRef?: CrossNamespaceObjectReference;
  service: CanaryService;
  /**
   * GetAnalysis(): `analysis`, or the v1alpha3 `canaryAnalysis` when that is what the resource
   * has (Canary.analysisField says which).
   */
  analysis?: CanaryAnalysis;
  progressDeadlineSeconds?: number;
  skipAnalysis?: boolean;
  revertOnDeletion?: boolean;
  suspend?: boolean;
}

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface CanaryCondition {
  /** Flagger has one condition type. */
  type: 'Promoted';
  status: ConditionStatus;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
  /** The phase. */
  reason: string;
  message?: string;
}

export interface CanaryStatus {
  /** "" before Flagger (or Aviary) first touched the canary. */
  phase: CanaryPhase | '';
  failedChecks: number;
  canaryWeight: number;
  iterations: number;
  trackedConfigs?: StringMap;
  lastAppliedSpec?: string;
  lastPromotedSpec?: string;
  lastTransitionTime?: string;
  sessionAffinityCookie?: string;
  primarySessionAffinityCookie?: string;
  previousSessionAffinityCookie?: string;
  conditions?: CanaryCondition[];
}

export interface Canary {
  apiVersion: CanaryApiVersion;
  kind: 'Canary';
  metadata: ObjectMeta;
  spec: CanarySpec;
  status?: CanaryStatus;
  /** Which field held the analysis: `analysis` (v1beta1) or the older `canaryAnalysis`. */
  analysisField: 'analysis' | 'canaryAnalysis';
}

/** A problem with one field: `{ path: 'spec.analysis.stepWeight', message: 'must be ...' }`. */
export interface FieldError {
  path: string;
  message: string;
}

export const METRIC_PROVIDER_TYPES = [
  'prometheus',
  'influxdb',
  'datadog',
  'externalmetrics',
  'stackdriver',
  'cloudwatch',
  'newrelic',
  'graphite',
  'dynatrace',
  'keptn',
  'splunk',
] as const;
export type MetricProviderType = (typeof METRIC_PROVIDER_TYPES)[number];

export interface MetricTemplateProvider {
  /** An unknown type is used as prometheus (Flagger logs "unknown metrics provider '%s', using prometheus"). */
  type?: string;
  address?: string;
  headers?: Record<string, string[]>;
  secretRef?: { name: string };
  region?: string;
  insecureSkipVerify?: boolean;
}

export interface MetricTemplate {
  apiVersion: 'flagger.app/v1beta1';
  kind: 'MetricTemplate';
  metadata: ObjectMeta;
  spec: { provider: MetricTemplateProvider; query?: string };
}

export const ALERT_PROVIDER_TYPES = ['slack', 'msteams', 'discord', 'rocket', 'gchat'] as const;
export type AlertProviderType = (typeof ALERT_PROVIDER_TYPES)[number];

export interface AlertProviderSpec {
  type: string;
  channel?: string;
  username?: string;
  address?: string;
  proxy?: string;
  secretRef?: { name: string };
}

export interface AlertProvider {
  apiVersion: 'flagger.app/v1beta1';
  kind: 'AlertProvider';
  metadata: ObjectMeta;
  spec: AlertProviderSpec;
}

/** The fields a metric query template can read (Flagger's MetricTemplateModel). */
export interface MetricTemplateModel {
  name: string;
  namespace: string;
  target: string;
  service: string;
  ingress: string;
  route: string;
  interval: string;
  variables: StringMap;
}
