/**
 * Parse, default and validate a Canary (flagger.app/v1beta1, and the older v1alpha3 with
 * `spec.canaryAnalysis`), and the getters Flagger's controller uses (canary.go, scheduler.go).
 *
 * Validation covers what the CRD schema checks (artifacts/flagger/crd.yaml) plus what Flagger's
 * verifyCanary rejects and what would make Flagger misbehave (a fraction where Go expects an
 * int, unordered stepWeights, a service name Kubernetes refuses). Defaults are not written into
 * the spec: as in Flagger, the getters below apply them, so the spec stays what the user wrote.
 * The exceptions are the CRD's own `default:` values (gatewayRefs group/kind, mirror backendRef
 * group/kind, sessionAffinity.maxAge), which a real API server would have applied on read.
 */
import { Millisecond, parseGoDuration, tryParseGoDuration } from './go-format';
import {
  ALERT_PROVIDER_TYPES,
  ALERT_SEVERITIES,
  ANALYSIS_INTERVAL_MS,
  AUTOSCALER_KINDS,
  BUILTIN_METRICS,
  CANARY_API_VERSIONS,
  CANARY_PHASES,
  CANARY_READY_THRESHOLD,
  HOOK_TYPES,
  METRIC_INTERVAL,
  METRIC_PROVIDER_TYPES,
  MIN_ANALYSIS_INTERVAL_MS,
  PRIMARY_READY_THRESHOLD,
  PROGRESS_DEADLINE_SECONDS,
  PROVIDERS,
  REWRITE_TYPES,
  SAME_SITE_VALUES,
  SESSION_AFFINITY_MAX_AGE,
  TARGET_KINDS,
  TOTAL_WEIGHT,
  TRAFFIC_DISTRIBUTIONS,
  WEBHOOK_TIMEOUT,
} from './types';
import type {
  AlertProvider,
  AutoscalerReference,
  Canary,
  CanaryAlert,
  CanaryAnalysis,
  CanaryApiVersion,
  CanaryCondition,
  CanaryMetric,
  CanaryPhase,
  CanaryService,
  CanarySpec,
  CanaryStatus,
  CanaryWebhook,
  ConditionStatus,
  CrossNamespaceObjectReference,
  CustomMetadata,
  DeploymentStrategy,
  FieldError,
  HTTPMatchRequest,
  HTTPRequestMirrorFilter,
  HookType,
  LocalObjectReference,
  MetricTemplate,
  ObjectMeta,
  ParentReference,
  SessionAffinity,
  StringMatch,
  TargetKind,
  TargetReference,
  ThresholdRange,
} from './types';
import { FieldReader, at, compact, isObject } from './validation';
import type { Raw } from './validation';

export {
  formatGoDuration,
  parseGoDuration,
  tryParseGoDuration,
  GoDurationError,
} from './go-format';

/** The CRD pattern for analysis, metric and webhook intervals; only the start is anchored. */
const INTERVAL_PATTERN = /^[0-9]+(m|s)/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const GATEWAY_GROUP = /^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const GATEWAY_KIND = /^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/;
const GATEWAY_NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const INT32_MAX = 2_147_483_647;

export interface ParseCanaryOptions {
  /** The namespace to assume when metadata.namespace is absent (kubectl's current namespace). */
  defaultNamespace?: string;
}

/**
 * Parse a Canary from an API object (JSON or YAML-decoded). On success, `warnings` lists
 * settings Flagger accepts but that behave surprisingly (see each message).
 */
export function parseCanary(
  object: unknown,
  options: ParseCanaryOptions = {},
): { canary: Canary; warnings: FieldError[] } | { errors: FieldError[] } {
  const r = new FieldReader();
  const root = r.object(object, '', true);
  if (!root) return { errors: r.errors.map((e) => ({ ...e, path: e.path || '(root)' })) };

  const apiVersion = r.string(root.apiVersion, 'apiVersion', {
    required: true,
    oneOf: CANARY_API_VERSIONS,
  }) as CanaryApiVersion | undefined;
  r.string(root.kind, 'kind', { required: true, oneOf: ['Canary'] });
  const metadata = readMetadata(r, root.metadata, options.defaultNamespace);
  const specRaw = r.object(root.spec, 'spec', true);
  const spec = specRaw ? readSpec(r, specRaw) : undefined;
  const status =
    root.status === undefined || root.status === null ? undefined : readStatus(r, root.status);

  if (r.errors.length > 0 || !apiVersion || !metadata || !spec) return { errors: r.errors };
  const analysisField = isObject(specRaw?.analysis) ? 'analysis' : 'canaryAnalysis';
  const canary: Canary = compact({
    apiVersion,
    kind: 'Canary' as const,
    metadata,
    spec: spec.spec,
    status,
    analysisField,
  });
  return { canary, warnings: r.warnings };
}

function readMetadata(
  r: FieldReader,
  value: unknown,
  defaultNamespace: string | undefined,
): ObjectMeta | undefined {
  const m = r.object(value, 'metadata', true);
  if (!m) return undefined;
  const name = r.string(m.name, 'metadata.name', { required: true, nonEmpty: true });
  const namespace =
    m.namespace === undefined && defaultNamespace !== undefined
      ? defaultNamespace
      : r.string(m.namespace, 'metadata.namespace', { required: true, nonEmpty: true });
  if (name === undefined || namespace === undefined) return undefined;
  return compact({
    name,
    namespace,
    uid: r.string(m.uid, 'metadata.uid'),
    resourceVersion: r.string(m.resourceVersion, 'metadata.resourceVersion'),
    generation: r.integer(m.generation, 'metadata.generation'),
    creationTimestamp: r.string(m.creationTimestamp, 'metadata.creationTimestamp'),
    deletionTimestamp: r.string(m.deletionTimestamp, 'metadata.deletionTimestamp'),
    labels: r.stringMap(m.labels, 'metadata.labels'),
    annotations: r.stringMap(m.annotations, 'metadata.annotations'),
    finalizers: r.stringArray(m.finalizers, 'metadata.finalizers'),
    ownerReferences: r.array(m.ownerReferences, 'metadata.ownerReferences', (v, p) => r.json(v, p)),
  });
}

function readSpec(r: FieldReader, s: Raw): { spec: CanarySpec } | undefined {
  const provider = r.string(s.provider, 'spec.provider', { oneOf: PROVIDERS });
  const targetRef = readTargetRef(r, s.targetRef);
  // Flagger's CRD does not require `service`, and a Knative canary (which gets no Services)
  // has none; for every other target Aviary asks for it, as no route works without a port.
  const service =
    targetRef && isKnativeService(targetRef) && (s.service === undefined || s.service === null)
      ? { port: 0 }
      : readService(r, s.service);

  // GetAnalysis(): `analysis` wins; `canaryAnalysis` (v1alpha3) is the fallback. The v1beta1
  // CRD requires `analysis`; Flagger's Go code still reads `canaryAnalysis`, so either will do.
  let analysis: CanaryAnalysis | undefined;
  if (isObject(s.analysis) || s.canaryAnalysis === undefined || s.canaryAnalysis === null) {
    const raw = r.object(s.analysis, 'spec.analysis', true);
    if (raw) analysis = readAnalysis(r, raw, 'spec.analysis');
  } else {
    const raw = r.object(s.canaryAnalysis, 'spec.canaryAnalysis', true);
    if (raw) analysis = readAnalysis(r, raw, 'spec.canaryAnalysis');
  }

  const autoscalerRef = readAutoscalerRef(r, s.autoscalerRef);
  const spec: CanarySpec | undefined =
    targetRef && service
      ? compact({
          provider,
          metricsServer: r.string(s.metricsServer, 'spec.metricsServer'),
          targetRef,
          autoscalerRef,
          ingressRef: readLocalRef(r, s.ingressRef, 'spec.ingressRef', ['Ingress']),
          routeRef: readLocalRef(r, s.routeRef, 'spec.routeRef', ['ApisixRoute']),
          upstreamRef: readUpstreamRef(r, s.upstreamRef),
          service,
          analysis,
          progressDeadlineSeconds: r.integer(
            s.progressDeadlineSeconds,
            'spec.progressDeadlineSeconds',
            {
              min: 0,
              max: INT32_MAX,
            },
          ),
          skipAnalysis: r.boolean(s.skipAnalysis, 'spec.skipAnalysis'),
          revertOnDeletion: r.boolean(s.revertOnDeletion, 'spec.revertOnDeletion'),
          suspend: r.boolean(s.suspend, 'spec.suspend'),
        })
      : undefined;
  if (!spec) return undefined;

  // verifyKnativeCanary: a Knative Service target and the knative provider go together.
  const knativeTarget = isKnativeService(spec.targetRef);
  if (knativeTarget !== (spec.provider === 'knative')) {
    if (knativeTarget) {
      r.error(
        'spec.provider',
        `can't use ${spec.provider ?? ''} provider with Knative Service as target`,
      );
    } else {
      r.error(
        'spec.targetRef',
        `can't use ${spec.targetRef.apiVersion}/${spec.targetRef.kind} as target if provider is set to knative`,
      );
    }
  }
  if (knativeTarget && spec.autoscalerRef) {
    r.error('spec.autoscalerRef', "can't use autoscaler with Knative Service");
  }

  // Kubernetes refuses Service names that are not DNS-1035 labels of at most 63 characters;
  // Flagger would then fail every reconcile creating `<apex>-primary`.
  if (!knativeTarget && spec.targetRef.kind !== 'Service') {
    const { apex, primary } = serviceNames({ spec });
    const path = spec.service.name ? 'spec.service.name' : 'spec.targetRef.name';
    if (!DNS1035_LABEL.test(apex) || primary.length > 63) {
      r.error(
        path,
        `"${apex}" must be a DNS-1035 label (lowercase letters, digits, '-') short enough for "${primary}" (at most 63 characters)`,
      );
    }
  }
  return { spec };
}

function readTargetRef(r: FieldReader, value: unknown): TargetReference | undefined {
  const o = r.object(value, 'spec.targetRef', true);
  if (!o) return undefined;
  const apiVersion = r.string(o.apiVersion, 'spec.targetRef.apiVersion', {
    required: true,
    nonEmpty: true,
  });
  const kind = r.string(o.kind, 'spec.targetRef.kind', { required: true, oneOf: TARGET_KINDS }) as
    TargetKind | undefined;
  const name = r.string(o.name, 'spec.targetRef.name', { required: true, nonEmpty: true });
  if (apiVersion === undefined || kind === undefined || name === undefined) return undefined;
  return { apiVersion, kind, name };
}

function readAutoscalerRef(r: FieldReader, value: unknown): AutoscalerReference | undefined {
  const path = 'spec.autoscalerRef';
  const o = r.object(value, path);
  if (!o) return undefined;
  const apiVersion = r.string(o.apiVersion, at(path, 'apiVersion'), {
    required: true,
    nonEmpty: true,
  });
  const kind = r.string(o.kind, at(path, 'kind'), { required: true, oneOf: AUTOSCALER_KINDS });
  const name = r.string(o.name, at(path, 'name'), { required: true, nonEmpty: true });
  const replicasRaw = r.object(o.primaryScalerReplicas, at(path, 'primaryScalerReplicas'));
  let primaryScalerReplicas: AutoscalerReference['primaryScalerReplicas'];
  if (replicasRaw) {
    const rp = at(path, 'primaryScalerReplicas');
    primaryScalerReplicas = compact({
      minReplicas: r.integer(replicasRaw.minReplicas, at(rp, 'minReplicas'), {
        min: 1,
        max: INT32_MAX,
      }),
      maxReplicas: r.integer(replicasRaw.maxReplicas, at(rp, 'maxReplicas'), {
        min: 1,
        max: INT32_MAX,
      }),
    });
    const { minReplicas, maxReplicas } = primaryScalerReplicas;
    if (minReplicas !== undefined && maxReplicas !== undefined && minReplicas > maxReplicas) {
      r.error(
        rp,
        `minReplicas (${minReplicas}) must not be greater than maxReplicas (${maxReplicas})`,
      );
    }
  }
  const primaryScalerQueries = r.stringMap(
    o.primaryScalerQueries,
    at(path, 'primaryScalerQueries'),
  );
  if (apiVersion === undefined || kind === undefined || name === undefined) return undefined;
  return compact({
    apiVersion,
    kind: kind as AutoscalerReference['kind'],
    name,
    primaryScalerQueries,
    primaryScalerReplicas,
  });
}

function readLocalRef(
  r: FieldReader,
  value: unknown,
  path: string,
  kinds: readonly string[],
): LocalObjectReference | undefined {
  const o = r.object(value, path);
  if (!o) return undefined;
  const apiVersion = r.string(o.apiVersion, at(path, 'apiVersion'), {
    required: true,
    nonEmpty: true,
  });
  const kind = r.string(o.kind, at(path, 'kind'), { required: true, oneOf: kinds });
  const name = r.string(o.name, at(path, 'name'), { required: true, nonEmpty: true });
  if (apiVersion === undefined || kind === undefined || name === undefined) return undefined;
  return { apiVersion, kind, name };
}

function readUpstreamRef(
  r: FieldReader,
  value: unknown,
): CrossNamespaceObjectReference | undefined {
  const path = 'spec.upstreamRef';
  const o = r.object(value, path);
  if (!o) return undefined;
  const apiVersion = r.string(o.apiVersion, at(path, 'apiVersion'), {
    required: true,
    nonEmpty: true,
  });
  const kind = r.string(o.kind, at(path, 'kind'), { required: true, oneOf: ['Upstream'] });
  const name = r.string(o.name, at(path, 'name'), { required: true, nonEmpty: true });
  const namespace = r.string(o.namespace, at(path, 'namespace'));
  if (apiVersion === undefined || kind === undefined || name === undefined) return undefined;
  return compact({ apiVersion, kind, name, namespace });
}

function readCustomMetadata(
  r: FieldReader,
  value: unknown,
  path: string,
): CustomMetadata | undefined {
  const o = r.object(value, path);
  if (!o) return undefined;
  return compact({
    labels: r.stringMap(o.labels, at(path, 'labels')),
    annotations: r.stringMap(o.annotations, at(path, 'annotations')),
  });
}

function readService(r: FieldReader, value: unknown): CanaryService | undefined {
  const path = 'spec.service';
  const o = r.object(value, path, true);
  if (!o) return undefined;
  const port = r.integer(o.port, at(path, 'port'), { required: true, min: 1, max: 65535 });
  let targetPort: number | string | undefined;
  if (o.targetPort !== undefined && o.targetPort !== null) {
    if (typeof o.targetPort === 'string' && o.targetPort !== '') targetPort = o.targetPort;
    else targetPort = r.integer(o.targetPort, at(path, 'targetPort'), { min: 1, max: 65535 });
  }
  const rewriteRaw = r.object(o.rewrite, at(path, 'rewrite'));
  const unmanagedRaw = r.object(o.unmanagedMetadata, at(path, 'unmanagedMetadata'));
  const service: CanaryService = compact({
    name: r.string(o.name, at(path, 'name')),
    port: port ?? 0,
    portName: r.string(o.portName, at(path, 'portName')),
    targetPort,
    appProtocol: r.string(o.appProtocol, at(path, 'appProtocol')),
    trafficDistribution: r.string(o.trafficDistribution, at(path, 'trafficDistribution'), {
      oneOf: TRAFFIC_DISTRIBUTIONS,
    }),
    portDiscovery: r.boolean(o.portDiscovery, at(path, 'portDiscovery')),
    headless: r.boolean(o.headless, at(path, 'headless')),
    timeout: r.string(o.timeout, at(path, 'timeout')),
    backendTimeout: r.string(o.backendTimeout, at(path, 'backendTimeout')),
    gateways: r.stringArray(o.gateways, at(path, 'gateways')),
    gatewayRefs: r.array(o.gatewayRefs, at(path, 'gatewayRefs'), (v, p) => readParentRef(r, v, p)),
    hosts: r.stringArray(o.hosts, at(path, 'hosts')),
    delegation: r.boolean(o.delegation, at(path, 'delegation')),
    trafficPolicy: r.json(o.trafficPolicy, at(path, 'trafficPolicy')),
    match: r.array(o.match, at(path, 'match'), (v, p) => readMatch(r, v, p)),
    rewrite: rewriteRaw
      ? compact({
          uri: r.string(rewriteRaw.uri, at(path, 'rewrite.uri')),
          authority: r.string(rewriteRaw.authority, at(path, 'rewrite.authority')),
          type: r.string(rewriteRaw.type, at(path, 'rewrite.type'), { oneOf: REWRITE_TYPES }),
        })
      : undefined,
    retries: r.json(o.retries, at(path, 'retries')),
    headers: r.json(o.headers, at(path, 'headers')),
    mirror: r.array(o.mirror, at(path, 'mirror'), (v, p) => readMirrorFilter(r, v, p)),
    corsPolicy: r.json(o.corsPolicy, at(path, 'corsPolicy')),
    meshName: r.string(o.meshName, at(path, 'meshName')),
    backends: r.stringArray(o.backends, at(path, 'backends')),
    apex: readCustomMetadata(r, o.apex, at(path, 'apex')),
    primary: readCustomMetadata(r, o.primary, at(path, 'primary')),
    canary: readCustomMetadata(r, o.canary, at(path, 'canary')),
    unmanagedMetadata: unmanagedRaw
      ? compact({
          annotations: r.stringArray(
            unmanagedRaw.annotations,
            at(path, 'unmanagedMetadata.annotations'),
          ),
          labels: r.stringArray(unmanagedRaw.labels, at(path, 'unmanagedMetadata.labels')),
        })
      : undefined,
  });
  return port === undefined ? undefined : service;
}

function readParentRef(r: FieldReader, value: unknown, path: string): ParentReference | undefined {
  const o = r.object(value, path, true);
  if (!o) return undefined;
  const name = r.string(o.name, at(path, 'name'), { required: true, nonEmpty: true });
  const ref: ParentReference = compact({
    group:
      r.string(o.group, at(path, 'group'), { pattern: GATEWAY_GROUP }) ??
      'gateway.networking.k8s.io',
    kind: r.string(o.kind, at(path, 'kind'), { pattern: GATEWAY_KIND }) ?? 'Gateway',
    namespace: r.string(o.namespace, at(path, 'namespace'), { pattern: GATEWAY_NAMESPACE }),
    name: name ?? '',
    sectionName: r.string(o.sectionName, at(path, 'sectionName')),
    port: r.integer(o.port, at(path, 'port'), { min: 1, max: 65535 }),
  });
  return name === undefined ? undefined : ref;
}

function readMirrorFilter(
  r: FieldReader,
  value: unknown,
  path: string,
): HTTPRequestMirrorFilter | undefined {
  const o = r.object(value, path, true);
  if (!o) return undefined;
  const bp = at(path, 'backendRef');
  const b = r.object(o.backendRef, bp, true);
  if (!b) return undefined;
  const name = r.string(b.name, at(bp, 'name'), { required: true, nonEmpty: true });
  const group = r.string(b.group, at(bp, 'group'), { pattern: GATEWAY_GROUP }) ?? '';
  const kind = r.string(b.kind, at(bp, 'kind'), { pattern: GATEWAY_KIND }) ?? 'Service';
  const port = r.integer(b.port, at(bp, 'port'), { min: 1, max: 65535 });
  if (group === '' && kind === 'Service' && port === undefined && b.port === undefined) {
    r.error(at(bp, 'port'), 'Must have port for Service reference');
  }
  const fractionRaw = r.object(o.fraction, at(path, 'fraction'));
  const numerator = fractionRaw
    ? r.integer(fractionRaw.numerator, at(path, 'fraction.numerator'), { required: true, min: 0 })
    : undefined;
  if (name === undefined) return undefined;
  return compact({
    backendRef: compact({
      group,
      kind,
      name,
      namespace: r.string(b.namespace, at(bp, 'namespace'), { pattern: GATEWAY_NAMESPACE }),
      port,
    }),
    percent: r.integer(o.percent, at(path, 'percent'), { min: 0, max: 100 }),
    fraction:
      fractionRaw && numerator !== undefined
        ? compact({
            numerator,
            denominator: r.integer(fractionRaw.denominator, at(path, 'fraction.denominator'), {
              min: 1,
            }),
          })
        : undefined,
  });
}

const STRING_MATCH_KEYS = ['exact', 'prefix', 'suffix', 'regex'] as const;

/** An istio StringMatch: the CRD requires exactly one of exact/prefix/suffix/regex (queryParams: no suffix). */
function readStringMatch(
  r: FieldReader,
  value: unknown,
  path: string,
  keys: readonly string[] = STRING_MATCH_KEYS,
  allowEmpty = false,
): StringMatch | undefined {
  const o = r.object(value, path, true);
  if (!o) return undefined;
  const out: StringMatch = {};
  const present: string[] = [];
  for (const key of STRING_MATCH_KEYS) {
    if (o[key] === undefined || o[key] === null) continue;
    if (!keys.includes(key)) {
      r.error(at(path, key), `is not supported here (use one of: ${keys.join(', ')})`);
      continue;
    }
    const v = r.string(o[key], at(path, key));
    if (v !== undefined) {
      out[key] = v;
      present.push(key);
    }
  }
  if (out.regex !== undefined) {
    try {
      new RegExp(out.regex ?? '');
    } catch {
      r.error(at(path, 'regex'), `is not a valid regular expression: ${out.regex ?? ''}`);
    }
  }
  if (present.length > 1)
    r.error(path, `must set only one of ${keys.join(', ')} (found ${present.join(', ')})`);
  if (present.length === 0 && !allowEmpty) r.error(path, `must set one of ${keys.join(', ')}`);
  return out;
}

function readStringMatchMap(
  r: FieldReader,
  value: unknown,
  path: string,
  keys?: readonly string[],
  allowEmpty = false,
): Record<string, StringMatch> | undefined {
  const o = r.object(value, path);
  if (!o) return undefined;
  const out: Record<string, StringMatch> = {};
  for (const [name, v] of Object.entries(o)) {
    const m = readStringMatch(r, v, at(path, name), keys, allowEmpty);
    if (m) out[name] = m;
  }
  return out;
}

function readMatch(r: FieldReader, value: unknown, path: string): HTTPMatchRequest | undefined {
  const o = r.object(value, path, true);
  if (!o) return undefined;
  const loose = (v: unknown, p: string): StringMatch | undefined =>
    v === undefined || v === null ? undefined : readStringMatch(r, v, p);
  return compact({
    name: r.string(o.name, at(path, 'name')),
    uri: loose(o.uri, at(path, 'uri')),
    scheme: loose(o.scheme, at(path, 'scheme')),
    method: loose(o.method, at(path, 'method')),
    authority: loose(o.authority, at(path, 'authority')),
    headers: readStringMatchMap(r, o.headers, at(path, 'headers')),
    // The CRD lets a query param match be empty (presence only) or one of exact/prefix/regex.
    queryParams: readStringMatchMap(
      r,
      o.queryParams,
      at(path, 'queryParams'),
      ['exact', 'prefix', 'regex'],
      true,
    ),
    withoutHeaders: readStringMatchMap(r, o.withoutHeaders, at(path, 'withoutHeaders')),
    sourceLabels: r.stringMap(o.sourceLabels, at(path, 'sourceLabels')),
    sourceNamespace: r.string(o.sourceNamespace, at(path, 'sourceNamespace')),
    gateways: r.stringArray(o.gateways, at(path, 'gateways')),
    port: r.integer(o.port, at(path, 'port'), { min: 0, max: 65535 }),
    ignoreUriCase: r.boolean(o.ignoreUriCase, at(path, 'ignoreUriCase')),
  });
}

function readAnalysis(r: FieldReader, a: Raw, path: string): CanaryAnalysis {
  const weight = { min: 0, max: 100 };
  const stepWeights = r.array(a.stepWeights, at(path, 'stepWeights'), (v, p) =>
    r.integer(v, p, weight),
  );
  if (stepWeights && Array.isArray(a.stepWeights) && stepWeights.length === a.stepWeights.length) {
    // nextStepWeight walks the list by equality; an unordered or repeated step stalls or jumps.
    for (let i = 1; i < stepWeights.length; i++) {
      const prev = stepWeights[i - 1] ?? 0;
      if ((stepWeights[i] ?? 0) <= prev) {
        r.error(at(at(path, 'stepWeights'), i), `must be greater than the previous step (${prev})`);
      }
    }
  }

  // The CRD's oneOf: interval and threshold, plus exactly one of iterations/stepWeight/stepWeights.
  const has = (k: string): boolean => a[k] !== undefined && a[k] !== null;
  if (!has('interval')) r.error(at(path, 'interval'), 'is required');
  if (!has('threshold')) r.error(at(path, 'threshold'), 'is required');
  const modes = ['iterations', 'stepWeight', 'stepWeights'].filter(has);
  if (modes.length === 0) r.error(path, 'must set one of iterations, stepWeight or stepWeights');
  if (modes.length > 1) {
    r.error(
      path,
      `must set only one of iterations, stepWeight and stepWeights (found ${modes.join(', ')})`,
    );
  }

  const metrics = r.array(a.metrics, at(path, 'metrics'), (v, p) => readMetric(r, v, p));
  const webhooks = r.array(a.webhooks, at(path, 'webhooks'), (v, p) => readWebhook(r, v, p));
  const alerts = r.array(a.alerts, at(path, 'alerts'), (v, p) => readAlert(r, v, p));
  return compact({
    interval: r.string(a.interval, at(path, 'interval'), { pattern: INTERVAL_PATTERN }),
    threshold: r.integer(a.threshold, at(path, 'threshold')),
    iterations: r.integer(a.iterations, at(path, 'iterations'), { min: 0 }),
    maxWeight: r.integer(a.maxWeight, at(path, 'maxWeight'), weight),
    stepWeight: r.integer(a.stepWeight, at(path, 'stepWeight'), weight),
    stepWeights,
    stepWeightPromotion: r.integer(a.stepWeightPromotion, at(path, 'stepWeightPromotion'), weight),
    mirror: r.boolean(a.mirror, at(path, 'mirror')),
    mirrorWeight: r.integer(a.mirrorWeight, at(path, 'mirrorWeight'), weight),
    primaryReadyThreshold: r.integer(
      a.primaryReadyThreshold,
      at(path, 'primaryReadyThreshold'),
      weight,
    ),
    canaryReadyThreshold: r.integer(
      a.canaryReadyThreshold,
      at(path, 'canaryReadyThreshold'),
      weight,
    ),
    match: r.array(a.match, at(path, 'match'), (v, p) => readMatch(r, v, p)),
    sessionAffinity: readSessionAffinity(r, a.sessionAffinity, at(path, 'sessionAffinity')),
    metrics,
    webhooks,
    alerts,
  });
}

function readSessionAffinity(
  r: FieldReader,
  value: unknown,
  path: string,
): SessionAffinity | undefined {
  const o = r.object(value, path);
  if (!o) return undefined;
  const cookieName = r.string(o.cookieName, at(path, 'cookieName'), {
    required: true,
    nonEmpty: true,
  });
  const primaryCookieName = r.string(o.primaryCookieName, at(path, 'primaryCookieName'));
  // verifySessionAffinity (controller.go), with Flagger's own words.
  if (cookieName !== undefined && cookieName === primaryCookieName) {
    r.error(
      at(path, 'primaryCookieName'),
      "can't use the same cookie name for both primary and cookie name; please update them to be different",
    );
  }
  return compact({
    cookieName: cookieName ?? '',
    primaryCookieName,
    domain: r.string(o.domain, at(path, 'domain')),
    httpOnly: r.boolean(o.httpOnly, at(path, 'httpOnly')),
    maxAge: r.integer(o.maxAge, at(path, 'maxAge')) ?? SESSION_AFFINITY_MAX_AGE,
    partitioned: r.boolean(o.partitioned, at(path, 'partitioned')),
    path: r.string(o.path, at(path, 'path')),
    sameSite: r.string(o.sameSite, at(path, 'sameSite'), { oneOf: SAME_SITE_VALUES }),
    secure: r.boolean(o.secure, at(path, 'secure')),
  });
}

function readMetric(r: FieldReader, value: unknown, path: string): CanaryMetric | undefined {
  const o = r.object(value, path, true);
  if (!o) return undefined;
  const name = r.string(o.name, at(path, 'name'), { required: true, nonEmpty: true });
  const threshold = r.number(o.threshold, at(path, 'threshold'));
  const rangeRaw = r.object(o.thresholdRange, at(path, 'thresholdRange'));
  let range: ThresholdRange | undefined;
  if (rangeRaw) {
    range = compact({
      min: r.number(rangeRaw.min, at(path, 'thresholdRange.min')),
      max: r.number(rangeRaw.max, at(path, 'thresholdRange.max')),
    });
    if (range.min !== undefined && range.max !== undefined && range.min > range.max) {
      r.error(
        at(path, 'thresholdRange'),
        `min (${range.min}) must not be greater than max (${range.max})`,
      );
    }
  }
  const query = r.string(o.query, at(path, 'query'));
  const templateRef = readTemplateRef(r, o.templateRef, at(path, 'templateRef'));
  const builtin = (BUILTIN_METRICS as readonly string[]).includes(name ?? '');
  if (name !== undefined && !builtin && !query && !templateRef && o.templateRef === undefined) {
    r.error(
      path,
      'needs a query or a templateRef (only request-success-rate and request-duration are builtin)',
    );
  }

  // Flagger checks `metric.Threshold` whenever thresholdRange is nil: success rate halts when
  // threshold > value, every other metric when value > threshold (0 if absent).
  let thresholdRange: ThresholdRange;
  let thresholdSource: CanaryMetric['thresholdSource'];
  if (range) {
    thresholdRange = range;
    thresholdSource = 'thresholdRange';
  } else {
    thresholdSource = 'threshold';
    thresholdRange =
      name === 'request-success-rate' ? { min: threshold ?? 0 } : { max: threshold ?? 0 };
    if (threshold === undefined && name !== 'request-success-rate' && name !== undefined) {
      r.warn(
        path,
        'has no thresholdRange: Flagger halts the analysis whenever the value is above 0',
      );
    }
  }
  if (name === undefined) return undefined;
  return compact({
    name,
    interval: r.string(o.interval, at(path, 'interval'), { pattern: INTERVAL_PATTERN }),
    threshold,
    thresholdRange,
    thresholdSource,
    query,
    templateRef,
    templateVariables: r.stringMap(o.templateVariables, at(path, 'templateVariables')),
  });
}

function readTemplateRef(
  r: FieldReader,
  value: unknown,
  path: string,
): CrossNamespaceObjectReference | undefined {
  const o = r.object(value, path);
  if (!o) return undefined;
  const name = r.string(o.name, at(path, 'name'), { required: true, nonEmpty: true });
  if (name === undefined) return undefined;
  return compact({
    name,
    namespace: r.string(o.namespace, at(path, 'namespace')),
    apiVersion: r.string(o.apiVersion, at(path, 'apiVersion')),
    kind: r.string(o.kind, at(path, 'kind')),
  });
}

function readWebhook(r: FieldReader, value: unknown, path: string): CanaryWebhook | undefined {
  const o = r.object(value, path, true);
  if (!o) return undefined;
  const name = r.string(o.name, at(path, 'name'), { required: true, nonEmpty: true });
  const url = r.string(o.url, at(path, 'url'), { required: true, nonEmpty: true });
  if (url !== undefined && !isHttpUrl(url))
    r.error(at(path, 'url'), `must be an absolute http or https URL (got "${url}")`);
  const type = r.string(o.type, at(path, 'type'), { oneOf: HOOK_TYPES }) as HookType | undefined;
  if (name === undefined || url === undefined) return undefined;
  return compact({
    name,
    type,
    url,
    muteAlert: r.boolean(o.muteAlert, at(path, 'muteAlert')),
    timeout: r.string(o.timeout, at(path, 'timeout'), { pattern: INTERVAL_PATTERN }),
    retries: r.integer(o.retries, at(path, 'retries'), { min: 0 }),
    disableTLS: r.boolean(o.disableTLS, at(path, 'disableTLS')),
    metadata: r.stringMap(o.metadata, at(path, 'metadata')),
  });
}

function isHttpUrl(text: string): boolean {
  try {
    const u = new URL(text);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false;
  }
}

function readAlert(r: FieldReader, value: unknown, path: string): CanaryAlert | undefined {
  const o = r.object(value, path, true);
  if (!o) return undefined;
  const name = r.string(o.name, at(path, 'name'), { required: true, nonEmpty: true });
  const severity = r.string(o.severity, at(path, 'severity'), { oneOf: ALERT_SEVERITIES });
  const ref = r.object(o.providerRef, at(path, 'providerRef'), true);
  const refName = ref
    ? r.string(ref.name, at(path, 'providerRef.name'), { required: true, nonEmpty: true })
    : undefined;
  const refNamespace = ref ? r.string(ref.namespace, at(path, 'providerRef.namespace')) : undefined;
  if (name === undefined || refName === undefined) return undefined;
  return compact({
    name,
    severity: severity as CanaryAlert['severity'],
    providerRef: compact({ name: refName, namespace: refNamespace }),
  });
}

function readStatus(r: FieldReader, value: unknown): CanaryStatus | undefined {
  const o = r.object(value, 'status');
  if (!o) return undefined;
  const phase = r.string(o.phase, 'status.phase', { oneOf: ['', ...CANARY_PHASES] }) as
    CanaryPhase | '' | undefined;
  const conditions = r.array(
    o.conditions,
    'status.conditions',
    (v, p): CanaryCondition | undefined => {
      const c = r.object(v, p, true);
      if (!c) return undefined;
      const type = r.string(c.type, at(p, 'type'), { required: true });
      const status = r.string(c.status, at(p, 'status'), {
        required: true,
        oneOf: ['True', 'False', 'Unknown'],
      });
      const reason = r.string(c.reason, at(p, 'reason'), { required: true });
      if (type !== 'Promoted' || status === undefined || reason === undefined) return undefined;
      return compact({
        type: 'Promoted' as const,
        status: status as ConditionStatus,
        lastUpdateTime: r.string(c.lastUpdateTime, at(p, 'lastUpdateTime')),
        lastTransitionTime: r.string(c.lastTransitionTime, at(p, 'lastTransitionTime')),
        reason,
        message: r.string(c.message, at(p, 'message')),
      });
    },
  );
  return compact({
    phase: phase ?? '',
    failedChecks: r.integer(o.failedChecks, 'status.failedChecks') ?? 0,
    canaryWeight: r.integer(o.canaryWeight, 'status.canaryWeight') ?? 0,
    iterations: r.integer(o.iterations, 'status.iterations') ?? 0,
    trackedConfigs: r.stringMap(o.trackedConfigs, 'status.trackedConfigs'),
    lastAppliedSpec: r.string(o.lastAppliedSpec, 'status.lastAppliedSpec'),
    lastPromotedSpec: r.string(o.lastPromotedSpec, 'status.lastPromotedSpec'),
    lastTransitionTime: r.string(o.lastTransitionTime, 'status.lastTransitionTime'),
    sessionAffinityCookie: r.string(o.sessionAffinityCookie, 'status.sessionAffinityCookie'),
    primarySessionAffinityCookie: r.string(
      o.primarySessionAffinityCookie,
      'status.primarySessionAffinityCookie',
    ),
    previousSessionAffinityCookie: r.string(
      o.previousSessionAffinityCookie,
      'status.previousSessionAffinityCookie',
    ),
    conditions,
  });
}

/** Parse a MetricTemplate (metrictemplates.flagger.app/v1beta1). */
export function parseMetricTemplate(
  object: unknown,
): { template: MetricTemplate } | { errors: FieldError[] } {
  const r = new FieldReader();
  const root = r.object(object, '', true);
  if (!root) return { errors: [{ path: '(root)', message: 'must be an object' }] };
  r.string(root.apiVersion, 'apiVersion', { required: true, oneOf: ['flagger.app/v1beta1'] });
  r.string(root.kind, 'kind', { required: true, oneOf: ['MetricTemplate'] });
  const metadata = readMetadata(r, root.metadata, undefined);
  const spec = r.object(root.spec, 'spec', true);
  const provider = spec ? r.object(spec.provider, 'spec.provider') : undefined;
  const headersRaw = provider ? r.object(provider.headers, 'spec.provider.headers') : undefined;
  let headers: Record<string, string[]> | undefined;
  if (headersRaw) {
    headers = {};
    for (const [k, v] of Object.entries(headersRaw)) {
      const values = r.stringArray(v, at('spec.provider.headers', k));
      if (values) headers[k] = values;
    }
  }
  const secretRaw = provider ? r.object(provider.secretRef, 'spec.provider.secretRef') : undefined;
  const secretName = secretRaw
    ? r.string(secretRaw.name, 'spec.provider.secretRef.name', { required: true, nonEmpty: true })
    : undefined;
  const parsed = spec
    ? {
        provider: compact({
          type: provider
            ? r.string(provider.type, 'spec.provider.type', { oneOf: METRIC_PROVIDER_TYPES })
            : undefined,
          address: provider ? r.string(provider.address, 'spec.provider.address') : undefined,
          headers,
          secretRef: secretName !== undefined ? { name: secretName } : undefined,
          region: provider ? r.string(provider.region, 'spec.provider.region') : undefined,
          insecureSkipVerify: provider
            ? r.boolean(provider.insecureSkipVerify, 'spec.provider.insecureSkipVerify')
            : undefined,
        }),
        query: r.string(spec.query, 'spec.query'),
      }
    : undefined;
  if (r.errors.length > 0 || !metadata || !parsed) return { errors: r.errors };
  return {
    template: {
      apiVersion: 'flagger.app/v1beta1',
      kind: 'MetricTemplate',
      metadata,
      spec: compact(parsed),
    },
  };
}

/** Parse an AlertProvider (alertproviders.flagger.app/v1beta1). The CRD needs type and an address or a secretRef. */
export function parseAlertProvider(
  object: unknown,
): { provider: AlertProvider } | { errors: FieldError[] } {
  const r = new FieldReader();
  const root = r.object(object, '', true);
  if (!root) return { errors: [{ path: '(root)', message: 'must be an object' }] };
  r.string(root.apiVersion, 'apiVersion', { required: true, oneOf: ['flagger.app/v1beta1'] });
  r.string(root.kind, 'kind', { required: true, oneOf: ['AlertProvider'] });
  const metadata = readMetadata(r, root.metadata, undefined);
  const spec = r.object(root.spec, 'spec', true);
  if (!spec) return { errors: r.errors };
  const type = r.string(spec.type, 'spec.type', { required: true, oneOf: ALERT_PROVIDER_TYPES });
  const address = r.string(spec.address, 'spec.address');
  const secretRaw = r.object(spec.secretRef, 'spec.secretRef');
  const secretName = secretRaw
    ? r.string(secretRaw.name, 'spec.secretRef.name', { required: true, nonEmpty: true })
    : undefined;
  if (address === undefined && secretRaw === undefined)
    r.error('spec', 'must set address or secretRef');
  const parsed = compact({
    type: type ?? '',
    channel: r.string(spec.channel, 'spec.channel'),
    username: r.string(spec.username, 'spec.username'),
    address,
    proxy: r.string(spec.proxy, 'spec.proxy'),
    secretRef: secretName !== undefined ? { name: secretName } : undefined,
  });
  if (r.errors.length > 0 || !metadata) return { errors: r.errors };
  return {
    provider: { apiVersion: 'flagger.app/v1beta1', kind: 'AlertProvider', metadata, spec: parsed },
  };
}

// ---------------------------------------------------------------------------------------------
// Getters: Flagger's, with its defaults.

type SpecHolder = Pick<Canary, 'spec'>;

/** GetAnalysis(). */
export function analysisOf(canary: SpecHolder): CanaryAnalysis | undefined {
  return canary.spec.analysis;
}

/** GetAnalysisInterval() in ms: 60s when empty or unparsable, at least 10s. */
export function analysisIntervalMs(canary: SpecHolder): number {
  const text = canary.spec.analysis?.interval ?? '';
  if (text === '') return ANALYSIS_INTERVAL_MS;
  const ns = tryParseGoDuration(text);
  if (ns === undefined) return ANALYSIS_INTERVAL_MS;
  const ms = ns / Millisecond;
  return ms < MIN_ANALYSIS_INTERVAL_MS ? MIN_ANALYSIS_INTERVAL_MS : ms;
}

/** GetAnalysisThreshold(): 1 when ≤ 0. */
export function analysisThreshold(canary: SpecHolder): number {
  const t = canary.spec.analysis?.threshold ?? 0;
  return t > 0 ? t : 1;
}

export function primaryReadyThreshold(canary: SpecHolder): number {
  return canary.spec.analysis?.primaryReadyThreshold ?? PRIMARY_READY_THRESHOLD;
}

export function canaryReadyThreshold(canary: SpecHolder): number {
  return canary.spec.analysis?.canaryReadyThreshold ?? CANARY_READY_THRESHOLD;
}

/** maxWeight (scheduler.go): min(100, last stepWeight) with stepWeights, else maxWeight when > 0, else 100. */
export function maxWeight(canary: SpecHolder): number {
  const a = canary.spec.analysis;
  const steps = a?.stepWeights ?? [];
  if (steps.length > 0) return Math.min(TOTAL_WEIGHT, steps[steps.length - 1] ?? 0);
  if ((a?.maxWeight ?? 0) > 0) return a?.maxWeight ?? TOTAL_WEIGHT;
  return TOTAL_WEIGHT;
}

/** nextStepWeight (scheduler.go): the weight to add to the canary from `canaryWeight`. */
export function nextStepWeight(canary: SpecHolder, canaryWeight: number): number {
  const a = canary.spec.analysis;
  const steps = a?.stepWeights ?? [];
  const stepWeight = a?.stepWeight ?? 0;
  if (stepWeight > 0 || steps.length === 0) return stepWeight;
  const maxStep = TOTAL_WEIGHT - canaryWeight;
  // Zero room left means promote: any non-zero step moves the canary to promotion.
  if (maxStep === 0) return 1;
  if (canaryWeight === 0) return Math.min(maxStep, steps[0] ?? 0);
  for (let i = 0; i < steps.length - 1; i++) {
    if (steps[i] === canaryWeight) return Math.min(maxStep, (steps[i + 1] ?? 0) - canaryWeight);
  }
  return maxStep;
}

/** DeploymentStrategy(): ab-testing (match and iterations), blue-green (iterations) or canary. */
export function deploymentStrategy(canary: SpecHolder): DeploymentStrategy {
  const a = canary.spec.analysis;
  if (!a) return 'canary';
  const iterations = a.iterations ?? 0;
  if ((a.match?.length ?? 0) > 0 && iterations > 0) return 'ab-testing';
  if (iterations > 0) return 'blue-green';
  return 'canary';
}

/** SkipAnalysis(): spec.skipAnalysis, or true when there is no analysis at all. */
export function skipAnalysis(canary: SpecHolder): boolean {
  if (!canary.spec.analysis) return true;
  return canary.spec.skipAnalysis === true;
}

/** GetServiceNames(): apex = service.name or targetRef.name; `<apex>-primary`, `<apex>-canary`. */
export function serviceNames(canary: SpecHolder): {
  apex: string;
  primary: string;
  canary: string;
} {
  const apex = canary.spec.service.name || canary.spec.targetRef.name;
  return { apex, primary: `${apex}-primary`, canary: `${apex}-canary` };
}

/** GetProgressDeadlineSeconds(): 600 when unset. */
export function progressDeadlineSeconds(canary: SpecHolder): number {
  return canary.spec.progressDeadlineSeconds ?? PROGRESS_DEADLINE_SECONDS;
}

export function progressDeadlineMs(canary: SpecHolder): number {
  return progressDeadlineSeconds(canary) * 1000;
}

/** The metric window: metric.interval, or "1m" (GetMetricInterval) when empty. */
export function metricInterval(metric: Pick<CanaryMetric, 'interval'>): string {
  return metric.interval ? metric.interval : METRIC_INTERVAL;
}

/** The webhook's hook type, with "" read as rollout. */
export function hookType(webhook: Pick<CanaryWebhook, 'type'>): Exclude<HookType, ''> {
  return webhook.type ? webhook.type : 'rollout';
}

/** CallWebhook: a timeout shorter than 2 characters becomes "10s". */
export function webhookTimeout(webhook: Pick<CanaryWebhook, 'timeout'>): string {
  const t = webhook.timeout ?? '';
  return t.length < 2 ? WEBHOOK_TIMEOUT : t;
}

/** The webhook timeout in ms; throws GoDurationError with Go's text, which Flagger reports as the hook's error. */
export function webhookTimeoutMs(webhook: Pick<CanaryWebhook, 'timeout'>): number {
  return parseGoDuration(webhookTimeout(webhook)) / Millisecond;
}

export function webhooksOfType(canary: SpecHolder, type: Exclude<HookType, ''>): CanaryWebhook[] {
  return (canary.spec.analysis?.webhooks ?? []).filter((w) => hookType(w) === type);
}

/** IsKnativeService(). */
export function isKnativeService(ref: Pick<LocalObjectReference, 'kind' | 'apiVersion'>): boolean {
  return ref.kind === 'Service' && ref.apiVersion === 'serving.knative.dev/v1';
}

/** Where a templateRef or providerRef points: its namespace, else the canary's. */
export function referenceNamespace(ref: { namespace?: string }, canaryNamespace: string): string {
  return ref.namespace ? ref.namespace : canaryNamespace;
}

/** SessionAffinity.GetMaxAge(): 86400 when 0 or unset. */
export function sessionAffinityMaxAge(affinity: Pick<SessionAffinity, 'maxAge'>): number {
  return affinity.maxAge ? affinity.maxAge : SESSION_AFFINITY_MAX_AGE;
}

/** SessionAffinity.BuildCookie(): the Set-Cookie value for `cookieName` (`name=value`). */
export function buildSessionCookie(
  affinity: SessionAffinity,
  cookieName: string,
  maxAge: number,
): string {
  let cookie = `${cookieName}; Max-Age=${maxAge}`;
  if (affinity.domain) cookie += `; Domain=${affinity.domain}`;
  if (affinity.httpOnly) cookie += '; HttpOnly';
  if (affinity.partitioned) cookie += '; Partitioned';
  if (affinity.path) cookie += `; Path=${affinity.path}`;
  if (affinity.sameSite) cookie += `; SameSite=${affinity.sameSite}`;
  if (affinity.secure) cookie += '; Secure';
  return cookie;
}

/** The defaults Flagger's alert() applies to an AlertProvider. */
export function alertProviderSettings(
  spec: Pick<AlertProvider['spec'], 'username' | 'channel' | 'proxy'>,
): {
  username: string;
  channel: string;
  proxy: string;
} {
  return {
    username: spec.username ? spec.username : 'flagger',
    channel: spec.channel ? spec.channel : 'general',
    proxy: spec.proxy ?? '',
  };
}

/**
 * Whether an alert of `severity` goes to a canary alert with `alertSeverity` (events.go): info
 * alerts take everything; others take their own severity, and warn also takes error.
 */
export function alertAccepts(
  alertSeverity: CanaryAlert['severity'],
  severity: 'info' | 'warn' | 'error',
): boolean {
  if (alertSeverity === 'info') return true;
  return severity === alertSeverity || (severity === 'error' && alertSeverity === 'warn');
}

/** The builtin metric name, when a metric is one. */
export function builtinMetricName(
  metric: Pick<CanaryMetric, 'name'>,
): (typeof BUILTIN_METRICS)[number] | undefined {
  return (BUILTIN_METRICS as readonly string[]).includes(metric.name)
    ? (metric.name as (typeof BUILTIN_METRICS)[number])
    : undefined;
}
