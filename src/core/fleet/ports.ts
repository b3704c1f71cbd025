/**
 * Builds the ports of the state machine for one cluster: the one place that says which
 * implementation serves each seam (workload kinds, routers, analysis, webhooks, events,
 * alerts). Everything shares one KubeApi and one ClusterHttp, so the cluster's request
 * budget covers all of it.
 */
import type { Clock } from '../../shared/clock';
import { createNotifier, type EmittedAlert, type NotifierOptions } from '../alerts/notifier';
import { createEventRecorder } from '../controller/events';
import type { EngineLog } from '../controller/log';
import type { ClusterPorts } from '../controller/ports';
import type { KubeApi } from '../kube/api';
import { createClusterHttp } from '../kube/cluster-address';
import { withTickReads } from '../kube/tick-reads';
import { createAnalysisRunner } from '../metrics/analysis';
import { KubernetesServiceRouter, trafficRouterFor } from '../routers';
import { createWebhookCaller } from '../webhooks/webhook';
import { scalerFor, workloadFor } from '../workloads';

export interface ClusterPortsOptions {
  api: KubeApi;
  context: string;
  clock: Clock;
  log: EngineLog;
  /** The default Prometheus for builtin checks (Flagger's -metrics-server). */
  metricsServer?: string;
  /** Flagger's -mesh-provider. */
  meshProvider?: string;
  onAlert?: (alert: EmittedAlert) => void;
  /** The global notifier for canaries without alerts (the user's personal webhook). */
  globalNotifier?: NotifierOptions['global'];
  /** The user's token for `metricsServer` (AnalysisRunnerOptions.metricsServerToken). */
  metricsServerToken?: () => Promise<string | undefined>;
}

export function clusterPorts(options: ClusterPortsOptions): ClusterPorts {
  const { clock, log } = options;
  // A tick's repeated GETs of one object share one request (tick-reads.ts).
  const api = withTickReads(options.api);
  const http = createClusterHttp({ api, clock });
  const webhooks = createWebhookCaller({ api, clock, http, log });
  const routerOptions = options.meshProvider ? { meshProvider: options.meshProvider } : {};
  return {
    kube: api,
    workload: (canary) => workloadFor(canary, api, { clock }),
    services: new KubernetesServiceRouter(api, { workloadOptions: { clock } }),
    router: (canary) => trafficRouterFor(canary, api, routerOptions),
    scaler: (canary) => scalerFor(canary, api),
    analysis: createAnalysisRunner({
      api,
      clock,
      http,
      log,
      ...(options.metricsServer ? { metricsServer: options.metricsServer } : {}),
      ...(options.meshProvider ? { meshProvider: options.meshProvider } : {}),
      ...(options.metricsServerToken ? { metricsServerToken: options.metricsServerToken } : {}),
    }),
    webhooks,
    events: createEventRecorder({ api, webhooks, log, clock }),
    notifier: createNotifier({
      api,
      log,
      clock,
      http,
      clusterName: options.context,
      ...(options.onAlert ? { onAlert: options.onAlert } : {}),
      ...(options.globalNotifier ? { global: options.globalNotifier } : {}),
    }),
  };
}
