/**
 * Knative Serving's resources (serving.knative.dev/v1), as serving-crds.yaml defines them: the
 * Service Flagger's knative provider targets, and the Configuration, Revisions and Route the
 * playground's Knative controller (workloads/knative.ts) derives from it. The printer columns
 * are Knative's, so `kubectl get ksvc,revisions` reads as on a real cluster.
 */
import type { PrinterColumn } from '../resources';
import { defineCrd } from './define';

const GROUP = 'serving.knative.dev';
const CATEGORIES = ['all', 'knative', 'serving'];

const readyColumns: PrinterColumn[] = [
  { name: 'Ready', type: 'string', jsonPath: ".status.conditions[?(@.type=='Ready')].status" },
  { name: 'Reason', type: 'string', jsonPath: ".status.conditions[?(@.type=='Ready')].reason" },
];

const revisionNames: PrinterColumn[] = [
  { name: 'LatestCreated', type: 'string', jsonPath: '.status.latestCreatedRevisionName' },
  { name: 'LatestReady', type: 'string', jsonPath: '.status.latestReadyRevisionName' },
];

export const knativeServiceCrd = defineCrd({
  group: GROUP,
  kind: 'Service',
  plural: 'services',
  shortNames: ['kservice', 'ksvc'],
  categories: CATEGORIES,
  versions: ['v1'],
  status: true,
  printerColumns: [
    { name: 'URL', type: 'string', jsonPath: '.status.url' },
    ...revisionNames,
    ...readyColumns,
  ],
});

export const knativeConfigurationCrd = defineCrd({
  group: GROUP,
  kind: 'Configuration',
  plural: 'configurations',
  shortNames: ['config', 'cfg'],
  categories: CATEGORIES,
  versions: ['v1'],
  status: true,
  printerColumns: [...revisionNames, ...readyColumns],
});

export const knativeRevisionCrd = defineCrd({
  group: GROUP,
  kind: 'Revision',
  plural: 'revisions',
  shortNames: ['rev'],
  categories: CATEGORIES,
  versions: ['v1'],
  status: true,
  printerColumns: [
    {
      name: 'Config Name',
      type: 'string',
      jsonPath: ".metadata.labels['serving\\.knative\\.dev/configuration']",
    },
    {
      name: 'Generation',
      type: 'string',
      jsonPath: ".metadata.labels['serving\\.knative\\.dev/configurationGeneration']",
    },
    ...readyColumns,
    { name: 'Actual Replicas', type: 'integer', jsonPath: '.status.actualReplicas' },
    { name: 'Desired Replicas', type: 'integer', jsonPath: '.status.desiredReplicas' },
  ],
});

export const knativeRouteCrd = defineCrd({
  group: GROUP,
  kind: 'Route',
  plural: 'routes',
  shortNames: ['rt'],
  categories: CATEGORIES,
  versions: ['v1'],
  status: true,
  printerColumns: [{ name: 'URL', type: 'string', jsonPath: '.status.url' }, ...readyColumns],
});

export const knativeCrds = [
  knativeServiceCrd,
  knativeConfigurationCrd,
  knativeRevisionCrd,
  knativeRouteCrd,
];
