import { describe, expect, it } from 'vitest';
import * as t from '../../src/core/canary/texts';
import { Millisecond } from '../../src/core/canary/go-format';
import type { Canary, CanaryAnalysis, CanaryPhase } from '../../src/core/canary/types';

/** The canary and its target have different names, so each text's choice of name is checked. */
const c = {
  metadata: { name: 'podinfo', namespace: 'test' },
  spec: {
    targetRef: { apiVersion: 'apps/v1', kind: 'Deployment' as const, name: 'podinfo-app' },
    service: { port: 9898 },
  },
};
const err = new Error('deployment "podinfo-app" exceeded its progress deadline');

describe('event texts', () => {
  it.each<[string, string, string]>([
    ['suspended', t.suspended(), 'skipping canary run as object is suspended'],
    [
      'errorCheckingMetricProviders',
      t.errorCheckingMetricProviders('prometheus not avaiable: x'),
      'Error checking metric providers: prometheus not avaiable: x',
    ],
    [
      'scalingDownCanaryFailed',
      t.scalingDownCanaryFailed(c, 'boom'),
      'scaling down canary Deployment podinfo-app.test failed: boom',
    ],
    ['initializationDone', t.initializationDone(c), 'Initialization done! podinfo.test'],
    [
      'newRevisionScalingUp',
      t.newRevisionScalingUp(c),
      'New revision detected! Scaling up podinfo-app.test',
    ],
    [
      'newRevisionRestartingAnalysis',
      t.newRevisionRestartingAnalysis(c),
      'New revision detected! Restarting analysis for podinfo-app.test',
    ],
    [
      'rollingBackManualWebhook',
      t.rollingBackManualWebhook(c),
      'Rolling back podinfo.test manual webhook invoked',
    ],
    [
      'routingAllTrafficToPrimary',
      t.routingAllTrafficToPrimary(),
      'Routing all traffic to primary',
    ],
    [
      'advancePrimaryWeight',
      t.advancePrimaryWeight(c, 60),
      'Advance podinfo.test primary weight 60',
    ],
    [
      'promotionCompleted',
      t.promotionCompleted(c),
      'Promotion completed! Scaling down podinfo-app.test',
    ],
    [
      'rollingBackProgressDeadline',
      t.rollingBackProgressDeadline(c, err),
      'Rolling back podinfo.test progress deadline exceeded deployment "podinfo-app" exceeded its progress deadline',
    ],
    [
      'startingCanaryAnalysis',
      t.startingCanaryAnalysis(c),
      'Starting canary analysis for podinfo-app.test',
    ],
    [
      'abTestingNotSupported',
      t.abTestingNotSupported(),
      'A/B testing is not supported when using the kubernetes provider',
    ],
    [
      'progressiveTrafficNotSupported',
      t.progressiveTrafficNotSupported(),
      'Progressive traffic is not supported when using the kubernetes provider',
    ],
    ['settingIterationsTo10', t.settingIterationsTo10(), 'Setting canaryAnalysis.iterations: 10'],
    ['advanceCanaryWeight', t.advanceCanaryWeight(c, 10), 'Advance podinfo.test canary weight 10'],
    [
      'copyingTemplateSpec',
      t.copyingTemplateSpec(c),
      'Copying podinfo-app.test template spec to podinfo-app-primary.test',
    ],
    [
      'advanceCanaryIteration',
      t.advanceCanaryIteration(c, 3, 10),
      'Advance podinfo.test canary iteration 3/10',
    ],
    [
      'stopMirroringRouteAllToCanary',
      t.stopMirroringRouteAllToCanary(),
      'Stop traffic mirroring and route all traffic to canary',
    ],
    ['routingAllTrafficToCanary', t.routingAllTrafficToCanary(), 'Routing all traffic to canary'],
    [
      'haltExternalCheck',
      t.haltExternalCheck(c, 'load-test', 'Forbidden'),
      'Halt podinfo.test advancement external check load-test failed Forbidden',
    ],
    [
      'copyingTemplateSpecSkippingAnalysis',
      t.copyingTemplateSpecSkippingAnalysis(c),
      'Copying podinfo-app.test template spec to podinfo-app-primary.test',
    ],
    [
      'promotionCompletedAnalysisSkipped',
      t.promotionCompletedAnalysisSkipped(c),
      'Promotion completed! Canary analysis was skipped for podinfo-app.test',
    ],
    [
      'rollingBackFailedChecks',
      t.rollingBackFailedChecks(c, 5),
      'Rolling back podinfo.test failed checks threshold reached 5',
    ],
    ['canaryFailed', t.canaryFailed(c), 'Canary failed! Scaling down podinfo.test'],
    [
      'promotionFailedPrimaryNotReady',
      t.promotionFailedPrimaryNotReady(c, 'not ready'),
      'Promotion of podinfo-app.test failed, primary not ready: not ready',
    ],
    ['errorEvent', t.errorEvent(new Error('router failed')), 'router failed'],
    [
      'haltWaitingTrafficIncreaseApproval',
      t.haltWaitingTrafficIncreaseApproval(c, 'gate'),
      'Halt podinfo.test advancement waiting for traffic increase approval gate',
    ],
    [
      'confirmTrafficIncreasePassed',
      t.confirmTrafficIncreasePassed('gate'),
      'Confirm-traffic-increase check gate passed',
    ],
    [
      'haltWaitingApproval',
      t.haltWaitingApproval(c, 'gate'),
      'Halt podinfo.test advancement waiting for approval gate',
    ],
    ['confirmRolloutPassed', t.confirmRolloutPassed('gate'), 'Confirm-rollout check gate passed'],
    [
      'haltWaitingPromotionApproval',
      t.haltWaitingPromotionApproval(c, 'gate'),
      'Halt podinfo.test advancement waiting for promotion approval gate',
    ],
    [
      'confirmPromotionPassed',
      t.confirmPromotionPassed('gate'),
      'Confirm-promotion check gate passed',
    ],
    [
      'haltPreRolloutCheck',
      t.haltPreRolloutCheck(c, 'smoke', 'exit 1'),
      'Halt podinfo.test advancement pre-rollout check smoke failed exit 1',
    ],
    ['preRolloutPassed', t.preRolloutPassed('smoke'), 'Pre-rollout check smoke passed'],
    [
      'postRolloutFailed',
      t.postRolloutFailed('notify', 'timeout'),
      'Post-rollout hook notify failed timeout',
    ],
    ['postRolloutPassed', t.postRolloutPassed('notify'), 'Post-rollout check notify passed'],
    [
      'rollbackHookNotSignaling',
      t.rollbackHookNotSignaling('rb'),
      'Rollback hook rb not signaling a rollback',
    ],
    ['rollbackCheckPassed', t.rollbackCheckPassed('rb'), 'Rollback check rb passed'],
    [
      'metricProvidersAvailable',
      t.metricProvidersAvailable(),
      'all the metrics providers are available!',
    ],
    [
      'errorFetchingKnativeService',
      t.errorFetchingKnativeService(c, 'not found'),
      'Error fetching Knative service test/podinfo-app not found',
    ],
    [
      'errorBuildingPrometheusClient',
      t.errorBuildingPrometheusClient('http://prom:9090', 'bad url'),
      'Error building Prometheus client for http://prom:9090 bad url',
    ],
    [
      'haltNoValuesSuccessRate',
      t.haltNoValuesSuccessRate(c, 'istio', 'request-success-rate', 'no values found'),
      'Halt advancement no values found for istio metric request-success-rate probably podinfo-app.test is not receiving traffic: no values found',
    ],
    [
      'prometheusQueryFailed',
      t.prometheusQueryFailed('timeout'),
      'Prometheus query failed: timeout',
    ],
    [
      'haltSuccessRateBelow',
      t.haltSuccessRateBelow(c, 69.1666, 99),
      'Halt podinfo.test advancement success rate 69.17% < 99%',
    ],
    [
      'haltSuccessRateBelow (fractional min)',
      t.haltSuccessRateBelow(c, 99, 99.5),
      'Halt podinfo.test advancement success rate 99.00% < 99.5%',
    ],
    [
      'haltSuccessRateAbove',
      t.haltSuccessRateAbove(c, 100, 99.9),
      'Halt podinfo.test advancement success rate 100.00% > 99.9%',
    ],
    [
      'haltNoValuesDuration',
      t.haltNoValuesDuration(c, 'linkerd', 'request-duration'),
      'Halt advancement no values found for linkerd metric request-duration probably podinfo-app.test is not receiving traffic',
    ],
    [
      'haltRequestDurationBelow',
      t.haltRequestDurationBelow(c, 5 * Millisecond, 10),
      'Halt podinfo.test advancement request duration 5ms < 10ms',
    ],
    [
      'haltRequestDurationAbove',
      t.haltRequestDurationAbove(c, 1500 * Millisecond, 500),
      'Halt podinfo.test advancement request duration 1.5s > 500ms',
    ],
    [
      'haltRequestDurationAbove (fraction truncated)',
      t.haltRequestDurationAbove(c, 61_000 * Millisecond, 1000.9),
      'Halt podinfo.test advancement request duration 1m1s > 1s',
    ],
    [
      'haltNoValuesMetric',
      t.haltNoValuesMetric('error-rate'),
      'Halt advancement no values found for metric: error-rate',
    ],
    [
      'prometheusQueryFailedFor',
      t.prometheusQueryFailedFor('error-rate', 'bad_data'),
      'Prometheus query failed for error-rate: bad_data',
    ],
    [
      'haltMetricBelow',
      t.haltMetricBelow(c, 'apdex', 0.5, 0.8),
      'Halt podinfo.test advancement apdex 0.50 < 0.8',
    ],
    [
      'haltMetricAbove',
      t.haltMetricAbove(c, 'error-rate', 12.345, 5),
      'Halt podinfo.test advancement error-rate 12.35 > 5',
    ],
    [
      'metricTemplateError',
      t.metricTemplateError('latency', 'istio-system', 'not found'),
      'Metric template latency.istio-system error: not found',
    ],
    [
      'metricTemplateSecretError',
      t.metricTemplateSecretError('latency', 'test', 'prom-auth', 'forbidden'),
      'Metric template latency.test secret prom-auth error: forbidden',
    ],
    [
      'metricTemplateProviderError',
      t.metricTemplateProviderError('latency', 'test', 'datadog', 'no key'),
      'Metric template latency.test provider datadog error: no key',
    ],
    [
      'metricTemplateRenderError',
      t.metricTemplateRenderError('latency', 'test', 'template parsing failed: x'),
      'Metric template latency.test query render error: template parsing failed: x',
    ],
    [
      'haltNoValuesCustomMetric',
      t.haltNoValuesCustomMetric('latency', 'no values found'),
      'Halt advancement no values found for custom metric: latency: no values found',
    ],
    [
      'metricQueryFailed',
      t.metricQueryFailed('latency', '503'),
      'Metric query failed for latency: 503',
    ],
    [
      'metricQueryNotConfigured',
      t.metricQueryNotConfigured(),
      'Metric query failed for no usable metrics template and query were configured',
    ],
    ['terminatingCanary', t.terminatingCanary(c), 'Terminating canary podinfo.test'],
    ['terminatedCanary', t.terminatedCanary(c), 'Terminated canary podinfo.test'],
    [
      'duplicateTarget',
      t.duplicateTarget('podinfo-app.test'),
      'Bad things will happen! Found more than one canary with the same target podinfo-app.test',
    ],
    ['canaryNotFound', t.canaryNotFound('podinfo', 'test'), 'Canary podinfo.test not found'],
    [
      'prometheusNotAvailable',
      t.prometheusNotAvailable('connection refused'),
      'prometheus not avaiable: connection refused',
    ],
    [
      'metricTemplateProviderNotAvailable',
      t.metricTemplateProviderNotAvailable('datadog', 'latency', 'test', 'x'),
      'datadog in metric template latency.test not avaiable: x',
    ],
    [
      'unknownMetricsProvider',
      t.unknownMetricsProvider('grafana'),
      "unknown metrics provider 'grafana', using prometheus",
    ],
  ])('%s', (_name, actual, expected) => {
    expect(actual).toBe(expected);
  });
});

describe('alert texts', () => {
  it.each<[string, t.AlertText, t.AlertText]>([
    [
      'initialized',
      t.alertInitialized('Deployment'),
      {
        message: 'New Deployment detected, initialization completed.',
        metadata: true,
        severity: 'info',
      },
    ],
    [
      'newRevision',
      t.alertNewRevision(),
      {
        message: 'New revision detected, progressing canary analysis.',
        metadata: true,
        severity: 'info',
      },
    ],
    [
      'waitingApproval',
      t.alertWaitingApproval(),
      {
        message: 'Canary is waiting for approval.',
        metadata: false,
        severity: 'warn',
        mutable: true,
      },
    ],
    [
      'waitingPromotion',
      t.alertWaitingPromotionApproval(),
      {
        message: 'Canary promotion is waiting for approval.',
        metadata: false,
        severity: 'warn',
        mutable: true,
      },
    ],
    [
      'waitingTrafficIncrease',
      t.alertWaitingTrafficIncreaseApproval(),
      {
        message: 'Canary traffic increase is waiting for approval.',
        metadata: false,
        severity: 'warn',
        mutable: true,
      },
    ],
    [
      'manualWebhook',
      t.alertRollingBackManualWebhook(),
      { message: 'Rolling back manual webhook invoked', metadata: false, severity: 'warn' },
    ],
    [
      'progressDeadline',
      t.alertProgressDeadlineExceeded('x'),
      { message: 'Progress deadline exceeded x', metadata: false, severity: 'error' },
    ],
    [
      'failedChecks',
      t.alertFailedChecksThreshold(5),
      { message: 'Failed checks threshold reached 5', metadata: false, severity: 'error' },
    ],
    [
      'promotionFailed',
      t.alertPromotionFailed('x'),
      { message: 'Promotion failed, primary not ready: x', metadata: false, severity: 'error' },
    ],
    [
      'promotionFinished',
      t.alertPromotionFinished(),
      {
        message: 'Canary analysis completed successfully, promotion finished.',
        metadata: false,
        severity: 'info',
      },
    ],
    [
      'analysisSkipped',
      t.alertAnalysisSkipped(),
      {
        message: 'Canary analysis was skipped, promotion finished.',
        metadata: false,
        severity: 'info',
      },
    ],
  ])('%s', (_name, actual, expected) => {
    expect(actual).toEqual(expected);
  });

  const withAnalysis = (analysis: CanaryAnalysis) =>
    ({ ...c, spec: { ...c.spec, analysis } }) as typeof c & Pick<Canary, 'spec'>;

  it.each<[CanaryAnalysis, string | undefined]>([
    [{ threshold: 5, stepWeight: 10, maxWeight: 50 }, 'Weight step: 10 max: 50'],
    [{ threshold: 5, stepWeight: 10 }, 'Weight step: 10 max: 0'],
    [{ threshold: 5, stepWeights: [1, 2, 10, 80] }, 'Weight steps: 1,2,10,80 max: 0'],
    [{ threshold: 5, iterations: 10 }, 'Blue/Green'],
    [{ threshold: 5, iterations: 10, match: [{ headers: { x: { exact: 'y' } } }] }, 'A/B Testing'],
    [{ threshold: 5 }, undefined],
  ])('alert metadata fields for %j', (analysis, routing) => {
    const fields = t.alertMetadataFields(withAnalysis(analysis));
    expect(fields.slice(0, 3)).toEqual([
      { name: 'Target', value: 'Deployment/podinfo-app.test' },
      { name: 'Failed checks threshold', value: '5' },
      { name: 'Progress deadline', value: '600s' },
    ]);
    expect(fields[3]?.value).toBe(routing);
    expect(t.clusterField('prod-eu')).toEqual([{ name: 'Cluster', value: 'prod-eu' }]);
    expect(t.clusterField('')).toEqual([]);
  });
});

describe('Promoted condition', () => {
  it.each<[CanaryPhase, string, string]>([
    ['Initializing', 'Unknown', 'New Deployment detected, starting initialization.'],
    ['Initialized', 'True', 'Deployment initialization completed.'],
    ['Waiting', 'Unknown', 'Waiting for approval.'],
    ['WaitingPromotion', 'Unknown', 'Waiting for approval.'],
    ['Progressing', 'Unknown', 'New revision detected, progressing canary analysis.'],
    ['Promoting', 'Unknown', 'Canary analysis completed, starting primary rolling update.'],
    ['Finalising', 'Unknown', 'Canary analysis completed, routing all traffic to primary.'],
    ['Succeeded', 'True', 'Canary analysis completed successfully, promotion finished.'],
    ['Failed', 'False', 'Canary analysis failed, Deployment scaled to zero.'],
    ['Terminating', 'Unknown', 'New Deployment detected, starting initialization.'],
  ])('%s → %s "%s"', (phase, status, message) => {
    expect(t.promotedCondition('Deployment', phase)).toEqual({
      type: 'Promoted',
      status,
      reason: phase,
      message,
    });
  });

  it('updates conditions as MakeStatusConditions does', () => {
    const t0 = '2026-01-01T00:00:00Z';
    const t1 = '2026-01-01T00:01:00Z';
    const progressing = t.promotedConditions(undefined, 'Deployment', 'Progressing', t0);
    expect(progressing).toEqual([
      {
        type: 'Promoted',
        status: 'Unknown',
        reason: 'Progressing',
        message: 'New revision detected, progressing canary analysis.',
        lastUpdateTime: t0,
        lastTransitionTime: t0,
      },
    ]);
    // Same status and reason: no write.
    expect(t.promotedConditions(progressing, 'Deployment', 'Progressing', t1)).toBeUndefined();
    // Same status, new reason: the transition time is kept.
    expect(t.promotedConditions(progressing, 'Deployment', 'Promoting', t1)?.[0]).toMatchObject({
      reason: 'Promoting',
      lastUpdateTime: t1,
      lastTransitionTime: t0,
    });
    // New status: a new transition time.
    expect(t.promotedConditions(progressing, 'Deployment', 'Succeeded', t1)?.[0]).toMatchObject({
      status: 'True',
      lastTransitionTime: t1,
    });
  });
});
