/**
 * The pieces every edge/mesh provider demo shares (contour.ts, gloo.ts, kuma.ts, traefik.ts,
 * skipper.ts): podinfo with an HPA as in Flagger's tutorials, the loadtester, the proxy's own
 * Deployment and Service (the playground routes for it; the pod only answers health checks),
 * and the provider's Canary with the tutorials' builtin checks and webhooks.
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

export function namespaceYaml(name: string, labels: Record<string, string> = {}): string {
  const entries = Object.entries(labels);
  return `apiVersion: v1
kind: Namespace
metadata:
  name: ${name}
${entries.length ? `  labels: { ${entries.map(([k, v]) => `${k}: ${v}`).join(', ')} }\n` : ''}`;
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
spec:
  selector: { app: flagger-loadtester }
  ports: [{ name: http, port: 80, targetPort: http }]
`;
}

export function podinfoYaml(ns: string, name: string): string {
  return `apiVersion: apps/v1
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
          image: ${PODINFO_IMAGE}
          ports: [{ name: http, containerPort: 9898 }]
          command: [./podinfo, --port=9898]
          resources: { requests: { cpu: 100m, memory: 64Mi } }
---
apiVersion: autoscaling/v2
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
      resource: { name: cpu, target: { type: Utilization, averageUtilization: 80 } }
`;
}

/**
 * The tutorials' Canary: 10 % steps to 50 %, success rate and duration checks, the acceptance
 * test before and `hey` during the analysis. `extraSpec` lines go under spec (ingressRef...),
 * `loadUrl` / `loadHost` are what hey targets (through the provider's proxy Service).
 */
export function canaryYaml(options: {
  ns: string;
  name: string;
  provider: string;
  loadUrl: string;
  loadHost?: string;
  extraSpec?: string;
  annotations?: Record<string, string>;
}): string {
  const { ns, name, provider } = options;
  const annotations = Object.entries(options.annotations ?? {});
  const host = options.loadHost ? `-host ${options.loadHost} ` : '';
  return `apiVersion: flagger.app/v1beta1
kind: Canary
metadata:
  name: ${name}
  namespace: ${ns}
${annotations.length ? `  annotations: { ${annotations.map(([k, v]) => `${k}: ${v}`).join(', ')} }\n` : ''}spec:
  provider: ${provider}
  targetRef: { apiVersion: apps/v1, kind: Deployment, name: ${name} }
  autoscalerRef: { apiVersion: autoscaling/v2, kind: HorizontalPodAutoscaler, name: ${name} }
${options.extraSpec ?? ''}  progressDeadlineSeconds: 60
  service:
    port: 80
    targetPort: 9898
  analysis:
    interval: 10s
    threshold: 5
    maxWeight: 50
    stepWeight: 10
    metrics:
      - name: request-success-rate
        thresholdRange: { min: 99 }
        interval: 1m
      - name: request-duration
        thresholdRange: { max: 500 }
        interval: 1m
    webhooks:
      - name: acceptance-test
        type: pre-rollout
        url: http://flagger-loadtester.${ns}/
        timeout: 30s
        metadata:
          type: bash
          cmd: "curl -sd 'test' http://${name}-canary.${ns}/token | grep token"
      - name: load-test
        url: http://flagger-loadtester.${ns}/
        timeout: 5s
        metadata:
          cmd: "hey -z 1m -q 10 -c 2 ${host}${options.loadUrl}"
`;
}

/** Prometheus in `monitoring`, where the engine looks by default (the platform's own). */
export function monitoringManifests(): KubeObject[] {
  return parseManifests(`${namespaceYaml('monitoring')}---
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
`);
}
