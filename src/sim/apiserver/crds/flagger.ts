/**
 * Flagger's CRDs as artifacts/flagger/crd.yaml defines them (names, scope, status
 * subresource, printer columns), so `kubectl get canaries` looks as it does with Flagger.
 * The schemas keep unknown fields: validation is the engine's job (src/core/canary).
 */
import { defineCrd } from './define';

export const canaryCrd = defineCrd({
  group: 'flagger.app',
  kind: 'Canary',
  plural: 'canaries',
  categories: ['all'],
  // v1alpha3 is still served for old manifests; objects are stored as given (no conversion).
  versions: ['v1beta1', 'v1alpha3'],
  status: true,
  printerColumns: [
    { name: 'Status', type: 'string', jsonPath: '.status.phase' },
    { name: 'Weight', type: 'string', jsonPath: '.status.canaryWeight' },
    { name: 'Suspended', type: 'boolean', jsonPath: '.spec.suspend', priority: 1 },
    { name: 'FailedChecks', type: 'string', jsonPath: '.status.failedChecks', priority: 1 },
    { name: 'Interval', type: 'string', jsonPath: '.spec.analysis.interval', priority: 1 },
    { name: 'Mirror', type: 'boolean', jsonPath: '.spec.analysis.mirror', priority: 1 },
    { name: 'StepWeight', type: 'string', jsonPath: '.spec.analysis.stepWeight', priority: 1 },
    { name: 'StepWeights', type: 'string', jsonPath: '.spec.analysis.stepWeights', priority: 1 },
    { name: 'MaxWeight', type: 'string', jsonPath: '.spec.analysis.maxWeight', priority: 1 },
    { name: 'LastTransitionTime', type: 'string', jsonPath: '.status.lastTransitionTime' },
  ],
});

export const metricTemplateCrd = defineCrd({
  group: 'flagger.app',
  kind: 'MetricTemplate',
  plural: 'metrictemplates',
  categories: ['all'],
  versions: ['v1beta1'],
  status: true,
  printerColumns: [{ name: 'Provider', type: 'string', jsonPath: '.spec.provider.type' }],
});

export const alertProviderCrd = defineCrd({
  group: 'flagger.app',
  kind: 'AlertProvider',
  plural: 'alertproviders',
  categories: ['all'],
  versions: ['v1beta1'],
  status: true,
  printerColumns: [{ name: 'Type', type: 'string', jsonPath: '.spec.type' }],
});

export const flaggerCrds = [canaryCrd, metricTemplateCrd, alertProviderCrd];
