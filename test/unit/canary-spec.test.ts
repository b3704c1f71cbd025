import { describe, expect, it } from 'vitest';
import {
  alertAccepts,
  alertProviderSettings,
  analysisIntervalMs,
  analysisThreshold,
  buildSessionCookie,
  canaryReadyThreshold,
  deploymentStrategy,
  hookType,
  maxWeight,
  metricInterval,
  nextStepWeight,
  parseAlertProvider,
  parseCanary,
  parseMetricTemplate,
  primaryReadyThreshold,
  progressDeadlineMs,
  progressDeadlineSeconds,
  serviceNames,
  sessionAffinityMaxAge,
  skipAnalysis,
  webhookTimeout,
  webhookTimeoutMs,
} from '../../src/core/canary/spec';
import type { Canary, CanaryAnalysis, FieldError } from '../../src/core/canary/types';
import {
  appMeshAbYaml,
  blueGreenYaml,
  istioYaml,
  linkerdV1alpha3Yaml,
  load,
  nginxYaml,
} from './canary-fixtures';

function parseOk(object: unknown): Canary {
  const result = parseCanary(object);
  if ('errors' in result) throw new Error(JSON.stringify(result.errors, null, 2));
  return result.canary;
}

function parseErrors(object: unknown): FieldError[] {
  const result = parseCanary(object);
  if (!('errors' in result)) throw new Error('expected errors');
  return result.errors;
}

function withAnalysis(analysis: CanaryAnalysis): Pick<Canary, 'spec'> {
  return {
    spec: {
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
      service: { port: 9898 },
      analysis,
    },
  };
}

/** A valid minimal canary to break one field at a time. */
function base(): Record<string, unknown> {
  return {
    apiVersion: 'flagger.app/v1beta1',
    kind: 'Canary',
    metadata: { name: 'podinfo', namespace: 'test' },
    spec: {
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
      service: { port: 9898 },
      analysis: { interval: '1m', threshold: 5, stepWeight: 10, maxWeight: 50 },
    },
  };
}

describe("Flagger's docs examples", () => {
  it('NGINX: parses and defaults as Flagger would', () => {
    const c = parseOk(load(nginxYaml));
    expect(c.analysisField).toBe('analysis');
    expect(c.spec.provider).toBe('nginx');
    expect(c.spec.ingressRef).toEqual({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      name: 'podinfo',
    });
    expect(analysisIntervalMs(c)).toBe(10_000);
    expect(analysisThreshold(c)).toBe(10);
    expect(maxWeight(c)).toBe(50);
    expect(nextStepWeight(c, 0)).toBe(5);
    expect(deploymentStrategy(c)).toBe('canary');
    expect(skipAnalysis(c)).toBe(false);
    expect(progressDeadlineSeconds(c)).toBe(60);
    expect(progressDeadlineMs(c)).toBe(60_000);
    expect(primaryReadyThreshold(c)).toBe(100);
    expect(canaryReadyThreshold(c)).toBe(100);
    expect(serviceNames(c)).toEqual({
      apex: 'podinfo',
      primary: 'podinfo-primary',
      canary: 'podinfo-canary',
    });
    expect(c.spec.service.targetPort).toBe(9898);
    const [pre, load_] = c.spec.analysis?.webhooks ?? [];
    expect(pre && hookType(pre)).toBe('pre-rollout');
    expect(load_ && hookType(load_)).toBe('rollout');
    expect(load_ && webhookTimeout(load_)).toBe('5s');
    expect(c.spec.analysis?.metrics?.[0]).toEqual({
      name: 'request-success-rate',
      interval: '1m',
      thresholdRange: { min: 99 },
      thresholdSource: 'thresholdRange',
    });
  });

  it('Istio: passes the istio-specific service settings through', () => {
    const c = parseOk(load(istioYaml));
    expect(c.spec.provider).toBeUndefined();
    expect(analysisIntervalMs(c)).toBe(60_000);
    expect(c.spec.service.gateways).toEqual(['istio-system/public-gateway']);
    expect(c.spec.service.hosts).toEqual(['app.example.com']);
    expect(c.spec.service.trafficPolicy).toEqual({ tls: { mode: 'DISABLE' } });
    expect(c.spec.service.retries).toEqual({
      attempts: 3,
      perTryTimeout: '1s',
      retryOn: 'gateway-error,connect-failure,refused-stream',
    });
    expect(
      c.spec.analysis?.metrics?.map((m) => [m.name, metricInterval(m), m.thresholdRange]),
    ).toEqual([
      ['request-success-rate', '1m', { min: 99 }],
      ['request-duration', '30s', { max: 500 }],
    ]);
  });

  it('App Mesh A/B: iterations and a user-agent match make it ab-testing', () => {
    const c = parseOk(load(appMeshAbYaml));
    expect(c.spec.provider).toBe('appmesh:v1beta2');
    expect(deploymentStrategy(c)).toBe('ab-testing');
    expect(c.spec.analysis?.iterations).toBe(10);
    expect(c.spec.analysis?.match).toEqual([
      { headers: { 'user-agent': { regex: '.*Firefox.*' } } },
    ]);
    expect(c.spec.service.match).toEqual([{ uri: { prefix: '/' } }]);
    expect(c.spec.service.rewrite).toEqual({ uri: '/' });
    expect(c.metadata.annotations).toEqual({ 'appmesh.flagger.app/accesslog': 'enabled' });
    // Flagger's maxWeight default applies even though A/B never uses weights.
    expect(maxWeight(c)).toBe(100);
    expect(nextStepWeight(c, 0)).toBe(0);
    const [hook] = c.spec.analysis?.webhooks ?? [];
    expect(hook && webhookTimeout(hook)).toBe('10s');
  });

  it('Linkerd v1alpha3: canaryAnalysis and legacy metric thresholds are normalised', () => {
    const c = parseOk(load(linkerdV1alpha3Yaml));
    expect(c.apiVersion).toBe('flagger.app/v1alpha3');
    expect(c.analysisField).toBe('canaryAnalysis');
    expect(analysisIntervalMs(c)).toBe(30_000);
    expect(maxWeight(c)).toBe(50);
    expect(nextStepWeight(c, 45)).toBe(5);
    expect(c.spec.analysis?.metrics).toEqual([
      {
        name: 'request-success-rate',
        interval: '1m',
        threshold: 99,
        thresholdRange: { min: 99 },
        thresholdSource: 'threshold',
      },
      {
        name: 'request-duration',
        interval: '30s',
        threshold: 500,
        thresholdRange: { max: 500 },
        thresholdSource: 'threshold',
      },
    ]);
  });

  it('blue/green with the kubernetes provider', () => {
    const c = parseOk(load(blueGreenYaml));
    expect(deploymentStrategy(c)).toBe('blue-green');
    expect(c.spec.service.portDiscovery).toBe(true);
    expect(analysisThreshold(c)).toBe(2);
    expect(analysisIntervalMs(c)).toBe(30_000);
  });

  it('reports no warnings for the docs examples', () => {
    for (const yaml of [nginxYaml, istioYaml, appMeshAbYaml, linkerdV1alpha3Yaml, blueGreenYaml]) {
      const result = parseCanary(load(yaml));
      expect('warnings' in result && result.warnings).toEqual([]);
    }
  });
});

describe('validation', () => {
  it('gives every error at once, with precise paths', () => {
    const errors = parseErrors({
      apiVersion: 'flagger.app/v1beta1',
      kind: 'Canary',
      metadata: { name: 'podinfo', namespace: 'test' },
      spec: {
        provider: 'envoy',
        targetRef: { apiVersion: 'apps/v1', kind: 'StatefulSet' },
        autoscalerRef: { apiVersion: 'autoscaling/v2', kind: 'VerticalPodAutoscaler', name: 'x' },
        service: { name: 'podinfo' },
        analysis: {
          interval: '1h',
          threshold: 5,
          stepWeight: 150,
          maxWeight: 120,
          metrics: [
            { name: 'error-rate' },
            { name: 'request-success-rate', thresholdRange: { min: 99, max: 90 } },
            { name: 'latency', templateRef: {} },
          ],
          webhooks: [
            { name: 'load-test', url: 'not a url', type: 'during-rollout', timeout: '1h' },
            { url: 'http://flagger-loadtester.test/' },
          ],
          alerts: [{ name: 'on-call', severity: 'critical', providerRef: {} }],
          sessionAffinity: { maxAge: 60, sameSite: 'Sometimes' },
        },
      },
    });
    expect(errors).toEqual(
      expect.arrayContaining([
        { path: 'spec.provider', message: expect.stringContaining('must be one of: apisix') },
        {
          path: 'spec.targetRef.kind',
          message: expect.stringContaining('must be one of: DaemonSet, Deployment, Service'),
        },
        { path: 'spec.targetRef.name', message: 'is required' },
        {
          path: 'spec.autoscalerRef.kind',
          message: expect.stringContaining('HorizontalPodAutoscaler, ScaledObject'),
        },
        { path: 'spec.service.port', message: 'is required' },
        { path: 'spec.analysis.interval', message: 'must match ^[0-9]+(m|s) (got "1h")' },
        { path: 'spec.analysis.stepWeight', message: 'must be an integer between 0 and 100' },
        { path: 'spec.analysis.maxWeight', message: 'must be an integer between 0 and 100' },
        {
          path: 'spec.analysis.metrics[0]',
          message: expect.stringContaining('needs a query or a templateRef'),
        },
        {
          path: 'spec.analysis.metrics[1].thresholdRange',
          message: 'min (99) must not be greater than max (90)',
        },
        { path: 'spec.analysis.metrics[2].templateRef.name', message: 'is required' },
        {
          path: 'spec.analysis.webhooks[0].url',
          message: expect.stringContaining('must be an absolute http or https URL'),
        },
        {
          path: 'spec.analysis.webhooks[0].type',
          message: expect.stringContaining('must be one of'),
        },
        {
          path: 'spec.analysis.webhooks[0].timeout',
          message: expect.stringContaining('must match'),
        },
        { path: 'spec.analysis.webhooks[1].name', message: 'is required' },
        {
          path: 'spec.analysis.alerts[0].severity',
          message: expect.stringContaining('must be one of: "", info, warn, error'),
        },
        { path: 'spec.analysis.alerts[0].providerRef.name', message: 'is required' },
        { path: 'spec.analysis.sessionAffinity.cookieName', message: 'is required' },
        {
          path: 'spec.analysis.sessionAffinity.sameSite',
          message: expect.stringContaining('Strict, Lax, None'),
        },
      ]),
    );
    expect(errors).toHaveLength(19);
  });

  it('requires apiVersion, kind, metadata, targetRef, service and analysis', () => {
    expect(
      parseErrors({
        apiVersion: 'flagger.app/v2',
        kind: 'Canary',
        metadata: { name: 'x' },
        spec: {},
      }),
    ).toEqual([
      {
        path: 'apiVersion',
        message: expect.stringContaining(
          'must be one of: flagger.app/v1beta1, flagger.app/v1alpha3',
        ),
      },
      { path: 'metadata.namespace', message: 'is required' },
      { path: 'spec.targetRef', message: 'is required' },
      { path: 'spec.service', message: 'is required' },
      { path: 'spec.analysis', message: 'is required' },
    ]);
    expect(parseErrors('podinfo')).toEqual([{ path: '(root)', message: 'must be an object' }]);
  });

  it('uses a default namespace when asked', () => {
    const obj = base();
    delete (obj.metadata as Record<string, unknown>).namespace;
    const result = parseCanary(obj, { defaultNamespace: 'default' });
    expect('canary' in result && result.canary.metadata.namespace).toBe('default');
  });

  it.each([
    [{ interval: '1m', threshold: 5 }, 'must set one of iterations, stepWeight or stepWeights'],
    [
      { interval: '1m', threshold: 5, iterations: 10, stepWeight: 5 },
      'must set only one of iterations, stepWeight and stepWeights (found iterations, stepWeight)',
    ],
  ])('applies the CRD oneOf to the analysis (%j)', (analysis, message) => {
    const obj = base();
    (obj.spec as Record<string, unknown>).analysis = analysis;
    expect(parseErrors(obj)).toEqual([{ path: 'spec.analysis', message }]);
  });

  it('requires interval and threshold', () => {
    const obj = base();
    (obj.spec as Record<string, unknown>).analysis = { iterations: 10 };
    expect(parseErrors(obj)).toEqual([
      { path: 'spec.analysis.interval', message: 'is required' },
      { path: 'spec.analysis.threshold', message: 'is required' },
    ]);
  });

  it('checks stepWeights are ascending integers up to 100', () => {
    const obj = base();
    (obj.spec as Record<string, unknown>).analysis = {
      interval: '1m',
      threshold: 5,
      stepWeights: [1, 20, 10, 101, 2.5],
    };
    expect(parseErrors(obj)).toEqual([
      { path: 'spec.analysis.stepWeights[3]', message: 'must be an integer between 0 and 100' },
      { path: 'spec.analysis.stepWeights[4]', message: 'must be an integer between 0 and 100' },
    ]);
    (obj.spec as Record<string, unknown>).analysis = {
      interval: '1m',
      threshold: 5,
      stepWeights: [1, 20, 10, 10],
    };
    expect(parseErrors(obj)).toEqual([
      {
        path: 'spec.analysis.stepWeights[2]',
        message: 'must be greater than the previous step (20)',
      },
      {
        path: 'spec.analysis.stepWeights[3]',
        message: 'must be greater than the previous step (10)',
      },
    ]);
  });

  it('validates the canaryAnalysis of a v1alpha3 canary under its own path', () => {
    const obj = load(linkerdV1alpha3Yaml);
    ((obj.spec as Record<string, unknown>).canaryAnalysis as Record<string, unknown>).stepWeight =
      -5;
    expect(parseErrors(obj)).toEqual([
      { path: 'spec.canaryAnalysis.stepWeight', message: 'must be an integer between 0 and 100' },
    ]);
  });

  it('rejects what Flagger rejects in verifyCanary', () => {
    const obj = base();
    const spec = obj.spec as Record<string, unknown>;
    spec.targetRef = { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'podinfo' };
    spec.autoscalerRef = {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      name: 'podinfo',
    };
    (spec.analysis as Record<string, unknown>).sessionAffinity = {
      cookieName: 'c',
      primaryCookieName: 'c',
    };
    expect(parseErrors(obj)).toEqual([
      {
        path: 'spec.analysis.sessionAffinity.primaryCookieName',
        message:
          "can't use the same cookie name for both primary and cookie name; please update them to be different",
      },
      { path: 'spec.provider', message: "can't use  provider with Knative Service as target" },
      { path: 'spec.autoscalerRef', message: "can't use autoscaler with Knative Service" },
    ]);
    spec.targetRef = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' };
    spec.provider = 'knative';
    delete spec.autoscalerRef;
    delete (spec.analysis as Record<string, unknown>).sessionAffinity;
    expect(parseErrors(obj)).toEqual([
      {
        path: 'spec.targetRef',
        message: "can't use apps/v1/Deployment as target if provider is set to knative",
      },
    ]);
  });

  it('rejects a service name Kubernetes would refuse', () => {
    const obj = base();
    (obj.spec as Record<string, unknown>).service = { port: 80, name: 'Podinfo.v2' };
    expect(parseErrors(obj)).toEqual([
      { path: 'spec.service.name', message: expect.stringContaining('must be a DNS-1035 label') },
    ]);
  });

  it('validates A/B match conditions as the CRD does', () => {
    const obj = base();
    (obj.spec as Record<string, unknown>).analysis = {
      interval: '1m',
      threshold: 5,
      iterations: 10,
      match: [
        {
          headers: { 'x-canary': { exact: 'a', prefix: 'b' }, cookie: {} },
          queryParams: { q: {} },
        },
      ],
    };
    expect(parseErrors(obj)).toEqual([
      {
        path: 'spec.analysis.match[0].headers.x-canary',
        message: 'must set only one of exact, prefix, suffix, regex (found exact, prefix)',
      },
      {
        path: 'spec.analysis.match[0].headers.cookie',
        message: 'must set one of exact, prefix, suffix, regex',
      },
    ]);
  });

  it('rejects fractions where Flagger decodes a Go int', () => {
    const obj = base();
    (obj.spec as Record<string, unknown>).analysis = {
      interval: '1m',
      threshold: 2.5,
      stepWeight: 10,
    };
    expect(parseErrors(obj)).toEqual([
      { path: 'spec.analysis.threshold', message: 'must be an integer' },
    ]);
  });

  it('warns about a custom metric without thresholds (Flagger halts on any value above 0)', () => {
    const obj = base();
    (obj.spec as Record<string, unknown> & { analysis: Record<string, unknown> }).analysis.metrics =
      [{ name: 'errors', query: 'sum(errors)' }];
    const result = parseCanary(obj);
    expect('canary' in result && result.canary.spec.analysis?.metrics?.[0]?.thresholdRange).toEqual(
      { max: 0 },
    );
    expect('warnings' in result && result.warnings).toEqual([
      {
        path: 'spec.analysis.metrics[0]',
        message: expect.stringContaining('halts the analysis whenever the value is above 0'),
      },
    ]);
  });

  it('applies the CRD defaults a real API server would have applied', () => {
    const obj = base();
    const spec = obj.spec as Record<string, unknown>;
    spec.provider = 'gatewayapi:v1';
    spec.service = { port: 9898, gatewayRefs: [{ name: 'gw', namespace: 'istio-ingress' }] };
    (spec.analysis as Record<string, unknown>).sessionAffinity = { cookieName: 'flagger-cookie' };
    const c = parseOk(obj);
    expect(c.spec.service.gatewayRefs).toEqual([
      {
        group: 'gateway.networking.k8s.io',
        kind: 'Gateway',
        name: 'gw',
        namespace: 'istio-ingress',
      },
    ]);
    expect(c.spec.analysis?.sessionAffinity?.maxAge).toBe(86400);
  });
});

describe('getters', () => {
  it.each([
    [undefined, 60_000],
    ['', 60_000],
    ['1m', 60_000],
    ['30s', 30_000],
    ['5s', 10_000],
    ['10ms', 10_000],
    ['1m30s', 90_000],
    ['2mx', 60_000],
  ])('analysisIntervalMs(%j) = %i', (interval, ms) => {
    expect(analysisIntervalMs(withAnalysis({ interval }))).toBe(ms);
  });

  it.each([
    [undefined, 1],
    [0, 1],
    [-3, 1],
    [7, 7],
  ])('analysisThreshold(%j) = %i', (threshold, expected) => {
    expect(analysisThreshold(withAnalysis({ threshold }))).toBe(expected);
  });

  it.each([
    [{}, 100],
    [{ maxWeight: 50 }, 50],
    [{ maxWeight: 0 }, 100],
    [{ stepWeights: [1, 2, 10, 80] }, 80],
    [{ stepWeights: [10, 120], maxWeight: 30 }, 100],
  ])('maxWeight(%j) = %i', (analysis, expected) => {
    expect(maxWeight(withAnalysis(analysis))).toBe(expected);
  });

  it('walks stepWeights [1, 2, 10, 80] from 0 to promotion', () => {
    const c = withAnalysis({ stepWeights: [1, 2, 10, 80] });
    const max = maxWeight(c);
    const walk: Array<[number, number]> = [];
    let weight = 0;
    // runCanary: advance while below maxWeight, then promote.
    while (weight < max) {
      const step = nextStepWeight(c, weight);
      walk.push([weight, step]);
      weight = Math.min(100, weight + step);
    }
    expect(walk).toEqual([
      [0, 1],
      [1, 1],
      [2, 8],
      [10, 70],
    ]);
    expect(weight).toBe(80);
    // Beyond the last step (or off the list) the rest of the way; at 100, 1 to trigger promotion.
    expect(nextStepWeight(c, 80)).toBe(20);
    expect(nextStepWeight(c, 5)).toBe(95);
    expect(nextStepWeight(c, 100)).toBe(1);
    expect(nextStepWeight(withAnalysis({ stepWeights: [50, 150] }), 50)).toBe(50);
  });

  it('uses stepWeight when set, even alongside stepWeights', () => {
    expect(nextStepWeight(withAnalysis({ stepWeight: 10 }), 40)).toBe(10);
    expect(nextStepWeight(withAnalysis({ stepWeight: 10, stepWeights: [1, 2] }), 1)).toBe(10);
    expect(nextStepWeight(withAnalysis({}), 0)).toBe(0);
  });

  it.each([
    [{ iterations: 10, match: [{ headers: { x: { exact: 'y' } } }] }, 'ab-testing'],
    [{ iterations: 10 }, 'blue-green'],
    [{ iterations: 0, match: [{ headers: { x: { exact: 'y' } } }] }, 'canary'],
    [{ stepWeight: 10 }, 'canary'],
    [{ stepWeights: [5, 50] }, 'canary'],
  ] as const)('deploymentStrategy(%j) = %s', (analysis, strategy) => {
    expect(deploymentStrategy(withAnalysis(analysis as CanaryAnalysis))).toBe(strategy);
  });

  it('derives skipAnalysis, service names and deadlines', () => {
    const c = withAnalysis({ stepWeight: 5 });
    expect(skipAnalysis(c)).toBe(false);
    expect(skipAnalysis({ spec: { ...c.spec, skipAnalysis: true } })).toBe(true);
    expect(skipAnalysis({ spec: { ...c.spec, analysis: undefined } })).toBe(true);
    expect(deploymentStrategy({ spec: { ...c.spec, analysis: undefined } })).toBe('canary');
    expect(serviceNames({ spec: { ...c.spec, service: { port: 80, name: 'web' } } })).toEqual({
      apex: 'web',
      primary: 'web-primary',
      canary: 'web-canary',
    });
    expect(progressDeadlineSeconds(c)).toBe(600);
  });

  it('applies the webhook timeout rule (shorter than 2 characters → 10s)', () => {
    expect(webhookTimeout({})).toBe('10s');
    expect(webhookTimeout({ timeout: '5' })).toBe('10s');
    expect(webhookTimeout({ timeout: '30s' })).toBe('30s');
    expect(webhookTimeoutMs({ timeout: '1m30s' })).toBe(90_000);
    expect(() => webhookTimeoutMs({ timeout: '5x' })).toThrow(
      'time: unknown unit "x" in duration "5x"',
    );
    expect(metricInterval({})).toBe('1m');
  });

  it('builds the session affinity cookie as Flagger does', () => {
    const affinity = {
      cookieName: 'flagger-cookie',
      domain: 'example.com',
      httpOnly: true,
      path: '/',
      sameSite: 'Strict',
      secure: true,
    };
    expect(sessionAffinityMaxAge({})).toBe(86400);
    expect(buildSessionCookie(affinity, 'flagger-cookie=abc', 3600)).toBe(
      'flagger-cookie=abc; Max-Age=3600; Domain=example.com; HttpOnly; Path=/; SameSite=Strict; Secure',
    );
  });

  it('defaults AlertProvider username and channel and routes severities', () => {
    expect(alertProviderSettings({})).toEqual({
      username: 'flagger',
      channel: 'general',
      proxy: '',
    });
    expect(alertProviderSettings({ username: 'bot', channel: 'ops' })).toMatchObject({
      username: 'bot',
      channel: 'ops',
    });
    expect(alertAccepts('info', 'warn')).toBe(true);
    expect(alertAccepts('warn', 'error')).toBe(true);
    expect(alertAccepts('warn', 'info')).toBe(false);
    expect(alertAccepts('error', 'warn')).toBe(false);
    expect(alertAccepts('', 'info')).toBe(false);
  });
});

describe('MetricTemplate and AlertProvider', () => {
  it('parses a MetricTemplate', () => {
    const result = parseMetricTemplate({
      apiVersion: 'flagger.app/v1beta1',
      kind: 'MetricTemplate',
      metadata: { name: 'not-found-percentage', namespace: 'istio-system' },
      spec: {
        provider: { type: 'prometheus', address: 'http://prometheus.istio-system:9090' },
        query: 'sum(rate(x{ns="{{ namespace }}"}[{{ interval }}]))',
      },
    });
    expect('template' in result && result.template.spec.provider.type).toBe('prometheus');
    const bad = parseMetricTemplate({
      apiVersion: 'flagger.app/v1beta1',
      kind: 'MetricTemplate',
      metadata: { name: 'x', namespace: 'y' },
      spec: { provider: { type: 'graphana' } },
    });
    expect('errors' in bad && bad.errors.map((e) => e.path)).toEqual(['spec.provider.type']);
  });

  it('parses an AlertProvider and needs an address or a secretRef', () => {
    const ok = parseAlertProvider({
      apiVersion: 'flagger.app/v1beta1',
      kind: 'AlertProvider',
      metadata: { name: 'on-call', namespace: 'flagger' },
      spec: { type: 'slack', channel: 'on-call-alerts', secretRef: { name: 'on-call-url' } },
    });
    expect('provider' in ok && ok.provider.spec.secretRef).toEqual({ name: 'on-call-url' });
    const bad = parseAlertProvider({
      apiVersion: 'flagger.app/v1beta1',
      kind: 'AlertProvider',
      metadata: { name: 'x', namespace: 'y' },
      spec: { type: 'pagerduty' },
    });
    expect('errors' in bad && bad.errors.map((e) => e.path)).toEqual(['spec.type', 'spec']);
  });
});
