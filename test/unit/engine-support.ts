/**
 * Flagger's NGINX tutorial (podinfo Deployment, HPA, Ingress, Canary) in a simulated cluster,
 * and the initialization steps of advanceCanary (scheduler.go steps 6-14) driven through the
 * engine's workload controller, scaler and routers, for the engine-workloads/routers tests.
 */
import type { Canary } from '../../src/core/canary';
import { parseCanary } from '../../src/core/canary';
import { InitializationError } from '../../src/core/controller/ports';
import type { KubeApi } from '../../src/core/kube/api';
import { KubernetesServiceRouter, trafficRouterFor } from '../../src/core/routers';
import type { WorkloadOptions } from '../../src/core/workloads';
import { scalerFor, workloadFor } from '../../src/core/workloads';
import type { KubeObject } from '../../src/sim/store';
import { R } from '../../src/sim/store';
import type { TestCluster } from '../support/sim-cluster';
import { settle, startTestCluster } from '../support/sim-cluster';
import { storeKubeApi } from '../support/store-kube-api';

export const NS = 'test';

export function podinfoDeployment(image = 'ghcr.io/stefanprodan/podinfo:6.0.0'): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'podinfo', namespace: NS, labels: { app: 'podinfo' } },
    spec: {
      minReadySeconds: 3,
      revisionHistoryLimit: 5,
      progressDeadlineSeconds: 60,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0 } },
      selector: { matchLabels: { app: 'podinfo' } },
      template: {
        metadata: {
          annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9797' },
          labels: { app: 'podinfo' },
        },
        spec: {
          containers: [
            {
              name: 'podinfod',
              image,
              ports: [
                { name: 'http', containerPort: 9898, protocol: 'TCP' },
                { name: 'http-metrics', containerPort: 9797, protocol: 'TCP' },
              ],
              env: [
                {
                  name: 'PODINFO_UI_MESSAGE',
                  valueFrom: { configMapKeyRef: { name: 'podinfo-config', key: 'message' } },
                },
              ],
              resources: { requests: { cpu: '100m', memory: '64Mi' } },
            },
          ],
        },
      },
    },
  };
}

export const podinfoConfig: KubeObject = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'podinfo-config', namespace: NS, labels: { app: 'podinfo' } },
  data: { message: 'hello' },
};

export const podinfoHpa: KubeObject = {
  apiVersion: 'autoscaling/v2',
  kind: 'HorizontalPodAutoscaler',
  metadata: { name: 'podinfo', namespace: NS },
  spec: {
    scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
    minReplicas: 2,
    maxReplicas: 4,
    metrics: [
      {
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 99 } },
      },
    ],
  },
};

export const podinfoIngress: KubeObject = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: {
    name: 'podinfo',
    namespace: NS,
    labels: { app: 'podinfo' },
    annotations: { 'kubernetes.io/ingress.class': 'nginx' },
  },
  spec: {
    rules: [
      {
        host: 'app.example.com',
        http: {
          paths: [
            {
              pathType: 'Prefix',
              path: '/',
              backend: { service: { name: 'podinfo', port: { number: 80 } } },
            },
          ],
        },
      },
    ],
  },
};

export function podinfoCanary(spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'flagger.app/v1beta1',
    kind: 'Canary',
    metadata: { name: 'podinfo', namespace: NS },
    spec: {
      provider: 'nginx',
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
      ingressRef: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'podinfo' },
      autoscalerRef: {
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        name: 'podinfo',
      },
      progressDeadlineSeconds: 60,
      service: { port: 80, targetPort: 9898 },
      analysis: {
        interval: '10s',
        threshold: 10,
        maxWeight: 50,
        stepWeight: 5,
        metrics: [{ name: 'request-success-rate', thresholdRange: { min: 99 }, interval: '1m' }],
      },
      ...spec,
    },
  };
}

export interface Rig {
  cluster: TestCluster;
  api: KubeApi;
  options: WorkloadOptions;
  /** The Canary as the API has it now. */
  canary(): Canary;
  /** Writes status fields (as the state machine would after SyncStatus). */
  setStatus(status: Record<string, unknown>): void;
  /** Moves the simulated clock in steps until `check` stops throwing. */
  until<T>(check: () => Promise<T>, stepMs?: number, maxMs?: number): Promise<T>;
  /** advanceCanary steps 6-14 for a new canary, retried each second until initialized. */
  initialize(): Promise<void>;
}

export function startRig(
  objects: { ref: (typeof R)[keyof typeof R]; object: KubeObject }[],
  options: WorkloadOptions = {},
): Rig {
  const cluster = startTestCluster();
  for (const { ref, object } of objects) cluster.apply(ref, structuredClone(object));
  const api = storeKubeApi(cluster.store);
  const workloadOptions: WorkloadOptions = { clock: cluster.clock, ...options };
  const canary = (): Canary => {
    const parsed = parseCanary(cluster.get(R.canaries, NS, 'podinfo'));
    if ('errors' in parsed) throw new Error(JSON.stringify(parsed.errors));
    return parsed.canary;
  };
  const until = async <T>(check: () => Promise<T>, stepMs = 1_000, maxMs = 300_000) => {
    for (let elapsed = 0; ; elapsed += stepMs) {
      await settle();
      try {
        return await check();
      } catch (err) {
        if (elapsed >= maxMs) throw err;
      }
      await cluster.clock.advance(stepMs);
    }
  };
  const rig: Rig = {
    cluster,
    api,
    options: workloadOptions,
    canary,
    setStatus(status) {
      cluster.store.mutate(
        R.canaries,
        NS,
        'podinfo',
        (o) => void (o.status = { ...((o.status as object | undefined) ?? {}), ...status }),
        { status: true },
      );
    },
    until,
    async initialize() {
      rig.setStatus({
        phase: 'Initializing',
        lastTransitionTime: new Date(cluster.clock.now()).toISOString(),
      });
      await until(async () => {
        const cd = canary();
        const workload = workloadFor(cd, api, workloadOptions);
        const services = new KubernetesServiceRouter(api, { workloadOptions });
        await services.initialize(cd);
        await workload.initialize(cd);
        const scaler = scalerFor(cd, api);
        await scaler?.reconcilePrimaryScaler(cd, true);
        await scaler?.pauseTargetScaler(cd);
        await services.reconcile(cd);
        await workload.scaleToZero(cd);
        await trafficRouterFor(cd, api).reconcile(cd);
        const revision = await workload.revision(cd);
        rig.setStatus({
          phase: 'Initialized',
          lastAppliedSpec: revision.hash,
          lastPromotedSpec: revision.hash,
          trackedConfigs: revision.trackedConfigs,
          lastTransitionTime: new Date(cluster.clock.now()).toISOString(),
        });
      }).catch((err: unknown) => {
        throw err instanceof InitializationError ? new Error(`init: ${err.message}`) : err;
      });
    },
  };
  return rig;
}

export const tutorialObjects = (): { ref: (typeof R)[keyof typeof R]; object: KubeObject }[] => [
  { ref: R.configmaps, object: podinfoConfig },
  { ref: R.deployments, object: podinfoDeployment() },
  { ref: R.hpas, object: podinfoHpa },
  { ref: R.ingresses, object: podinfoIngress },
  { ref: R.canaries, object: podinfoCanary() },
];
