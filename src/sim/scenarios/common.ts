/**
 * The pieces every playground demo shares, written as Flagger's tutorials write them: the
 * namespace, podinfo with its HPA, the flagger-loadtester, a proxy's own Deployment and Service
 * (the playground routes for it; the pod only answers health checks), Prometheus, and the
 * tutorials' Canary with the builtin checks and webhooks. Each provider's snippet adds its own
 * routing objects and picks the Canary's provider-specific parts.
 */
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../store';

export const PODINFO_IMAGE = 'ghcr.io/stefanprodan/podinfo:6.0.0';

export interface DemoOptions {
  /** Namespace of the demo (created by the snippet). */
  namespace?: string;
  /** Name of the Deployment, Canary and apex Service. */
  name?: string;
  /** The external host the provider serves the app on. */
  host?: string;
}

export function parseManifests(text: string): KubeObject[] {
  return parseAllDocuments(text)
    .map((doc) => doc.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null && typeof o === 'object');
}

function flowMap(entries: Record<string, string>): string {
  return `{ ${Object.entries(entries)
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ')} }`;
}

export function namespaceYaml(
  name: string,
  labels: Record<string, string> = {},
  annotations: Record<string, string> = {},
): string {
  const meta = [
    Object.keys(labels).length ? `  labels: ${flowMap(labels)}\n` : '',
    Object.keys(annotations).length ? `  annotations: ${flowMap(annotations)}\n` : '',
  ].join('');
  return `apiVersion: v1
kind: Namespace
metadata:
  name: ${name}
${meta}`;
}

/** A proxy's Deployment and Service, as its Helm chart names them. */
export function proxyYaml(
  namespace: string,
  name: string,
  image: string,
  createNamespace = true,
): string {
  return `${createNamespace ? `${namespaceYaml(namespace)}---\n` : ''}apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: ${namespace}
  labels: { app: ${name} }
spec:
  replicas: 1
  selector:
    matchLabels: { app: ${name} }
  template:
    metadata:
      labels: { app: ${name} }
    spec:
      containers:
        - name: ${name}
          image: ${image}
          ports: [{ name: http, containerPort: 8080 }]
---
apiVersion: v1
kind: Service
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
  selector: { app: ${name} }
  ports: [{ name: http, port: 80, targetPort: 8080 }]
`;
}

export function loadtesterYaml(ns: string): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: flagger-loadtester
  namespace: ${ns}
  labels: { app: flagger-loadtester }
spec:
  replicas: 1
  selector:
    matchLabels: { app: flagger-loadtester }
  template:
    metadata:
      labels: { app: flagger-loadtester }
    spec:
      containers:
        - name: loadtester
          image: ghcr.io/fluxcd/flagger-loadtester:0.34.0
          ports: [{ name: http, containerPort: 8080 }]
---
apiVersion: v1
kind: Service
metadata:
  name: flagger-loadtester
  namespace: ${ns}
  labels: { app: flagger-loadtester }
spec:
  selector: { app: flagger-loadtester }
  ports: [{ name: http, port: 80, targetPort: http }]
`;
}

/** The tutorials' HPA: 2 to 4 replicas at the given CPU utilization. */
export function hpaYaml(ns: string, name: string, averageUtilization = 80): string {
  return `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: ${name}
  namespace: ${ns}
spec:
  scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: ${name} }
  minReplicas: 2
  maxReplicas: 4
  metrics:
    - type: Resource
      resource: { name: cpu, target: { type: Utilization, averageUtilization: ${averageUtilization} } }
`;
}

/** podinfo on port 9898, with the tutorials' HPA unless `hpa` is false. */
export function podinfoYaml(
  ns: string,
  name: string,
  options: { image?: string; hpa?: boolean } = {},
): string {
  const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: ${ns}
  labels: { app: ${name} }
spec:
  replicas: 2
  minReadySeconds: 3
  progressDeadlineSeconds: 60
  selector:
    matchLabels: { app: ${name} }
  template:
    metadata:
      labels: { app: ${name} }
    spec:
      containers:
        - name: podinfod
          image: ${options.image ?? PODINFO_IMAGE}
          ports: [{ name: http, containerPort: 9898 }]
          command: [./podinfo, --port=9898]
          resources: { requests: { cpu: 100m, memory: 64Mi } }
`;
  return options.hpa === false ? deployment : `${deployment}---\n${hpaYaml(ns, name)}`;
}

/** What every tutorial starts with: the app's namespace, the loadtester and podinfo. */
export function demoAppYaml(
  ns: string,
  name: string,
  options: {
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    image?: string;
    hpa?: boolean;
  } = {},
): string {
  return [
    namespaceYaml(ns, options.labels, options.annotations),
    loadtesterYaml(ns),
    podinfoYaml(ns, name, { image: options.image, hpa: options.hpa }),
  ].join('---\n');
}

/** The tutorials' pre-rollout check: podinfo's /token answers through the canary Service. */
export function acceptanceTestWebhook(ns: string, canaryUrl: string): string {
  return `      - name: acceptance-test
        type: pre-rollout
        url: http://flagger-loadtester.${ns}/
        timeout: 30s
        metadata:
          type: bash
          cmd: "curl -sd 'test' ${canaryUrl}token | grep token"
`;
}

/** `hey` from the loadtester during the analysis; `args` follow `hey -z <duration> -q 10 -c 2`. */
export function loadTestWebhook(
  ns: string,
  args: string,
  options: { duration?: string; type?: 'rollout' } = {},
): string {
  return `      - name: load-test
${options.type ? `        type: ${options.type}\n` : ''}        url: http://flagger-loadtester.${ns}/
        timeout: 5s
        metadata:
          cmd: "hey -z ${options.duration ?? '1m'} -q 10 -c 2 ${args}"
`;
}

export interface CanaryYamlOptions {
  ns: string;
  name: string;
  provider: string;
  annotations?: Record<string, string>;
  /** Lines under spec after targetRef (ingressRef, routeRef...). */
  extraSpec?: string;
  /** The tutorials' autoscalerRef to the HPA named like the Deployment (default true). */
  autoscaler?: boolean;
  /** Lines under spec.service (default: port 80 to podinfo's 9898). */
  service?: string;
  /** Lines under spec.analysis after threshold (default: 10 % steps to 50 %). */
  steps?: string;
  /** The request-duration check's interval (default 1m). */
  durationInterval?: string;
  /** The webhook list entries (default: the acceptance test and `hey` at loadUrl). */
  webhooks?: string;
  /** Where the default load test sends, and with which Host header. */
  loadUrl?: string;
  loadHost?: string;
}

/**
 * The tutorials' Canary: 10 % steps to 50 %, success rate and duration checks, the acceptance
 * test before and `hey` during the analysis. Each snippet overrides the parts its tutorial writes
 * differently.
 */
export function canaryYaml(options: CanaryYamlOptions): string {
  const { ns, name, provider } = options;
  const annotations = options.annotations ?? {};
  const autoscaler =
    options.autoscaler === false
      ? ''
      : `  autoscalerRef: { apiVersion: autoscaling/v2, kind: HorizontalPodAutoscaler, name: ${name} }\n`;
  const host = options.loadHost ? `-host ${options.loadHost} ` : '';
  const webhooks =
    options.webhooks ??
    acceptanceTestWebhook(ns, `http://${name}-canary.${ns}/`) +
      loadTestWebhook(ns, `${host}${options.loadUrl ?? `http://${name}.${ns}/`}`);
  return `apiVersion: flagger.app/v1beta1
kind: Canary
metadata:
  name: ${name}
  namespace: ${ns}
${Object.keys(annotations).length ? `  annotations: ${flowMap(annotations)}\n` : ''}spec:
  provider: ${provider}
  targetRef: { apiVersion: apps/v1, kind: Deployment, name: ${name} }
${autoscaler}${options.extraSpec ?? ''}  progressDeadlineSeconds: 60
  service:
${options.service ?? '    port: 80\n    targetPort: 9898\n'}  analysis:
    interval: 10s
    threshold: 5
${options.steps ?? '    maxWeight: 50\n    stepWeight: 10\n'}    metrics:
      - name: request-success-rate
        thresholdRange: { min: 99 }
        interval: 1m
      - name: request-duration
        thresholdRange: { max: 500 }
        interval: ${options.durationInterval ?? '1m'}
    webhooks:
${webhooks}`;
}

/** Prometheus in `monitoring`, where the engine looks by default (the platform's own). */
export function monitoringYaml(): string {
  return `${namespaceYaml('monitoring')}---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: prometheus
  namespace: monitoring
  labels: { app: prometheus }
spec:
  replicas: 1
  selector:
    matchLabels: { app: prometheus }
  template:
    metadata:
      labels: { app: prometheus }
    spec:
      containers:
        - name: prometheus
          image: prom/prometheus:v2.53.0
          ports: [{ name: http, containerPort: 9090 }]
---
apiVersion: v1
kind: Service
metadata:
  name: prometheus
  namespace: monitoring
spec:
  selector: { app: prometheus }
  ports: [{ name: http, port: 9090, targetPort: 9090 }]
`;
}

export function monitoringManifests(): KubeObject[] {
  return parseManifests(monitoringYaml());
}
