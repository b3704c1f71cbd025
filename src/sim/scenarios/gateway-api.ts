/**
 * A Gateway API demo for the playground: a GatewayClass and a shared Gateway `gateway` in
 * `gateway-system` (any implementation would do: the playground's gateway follows HTTPRoutes
 * itself), and podinfo `catalog` in `gateway-demo` with a progressive canary as in Flagger's
 * "Gateway API Canary Deployments" tutorial. Users reach it at catalog.example.com.
 */
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../store';

const PODINFO_IMAGE = 'ghcr.io/stefanprodan/podinfo:6.0.0';

export interface GatewayApiDemoOptions {
  namespace?: string;
  name?: string;
  host?: string;
  /** gatewayapi:v1 (default) or gatewayapi:v1beta1. */
  provider?: 'gatewayapi:v1' | 'gatewayapi:v1beta1';
  /** Include the GatewayClass and Gateway (gateway-system); a cluster needs them once. */
  gateway?: boolean;
}

export function gatewayInstallYaml(): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: playground
spec:
  controllerName: playground.aviary.dev/gateway-controller
---
apiVersion: v1
kind: Namespace
metadata:
  name: gateway-system
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: gateway
  namespace: gateway-system
spec:
  gatewayClassName: playground
  listeners:
    - name: http
      protocol: HTTP
      port: 80
      allowedRoutes:
        namespaces: { from: All }
`;
}

export function gatewayApiDemoYaml(options: GatewayApiDemoOptions = {}): string {
  const ns = options.namespace ?? 'gateway-demo';
  const name = options.name ?? 'catalog';
  const host = options.host ?? `${name}.example.com`;
  const provider = options.provider ?? 'gatewayapi:v1';
  const install = options.gateway === false ? '' : `${gatewayInstallYaml()}---\n`;
  return `${install}apiVersion: v1
kind: Namespace
metadata:
  name: ${ns}
---
apiVersion: apps/v1
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
---
apiVersion: apps/v1
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
apiVersion: flagger.app/v1beta1
kind: Canary
metadata:
  name: ${name}
  namespace: ${ns}
spec:
  provider: ${provider}
  targetRef: { apiVersion: apps/v1, kind: Deployment, name: ${name} }
  progressDeadlineSeconds: 60
  service:
    port: 9898
    targetPort: 9898
    hosts: [${host}]
    gatewayRefs:
      - name: gateway
        namespace: gateway-system
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
        interval: 30s
    webhooks:
      - name: smoke-test
        type: pre-rollout
        url: http://flagger-loadtester.${ns}/
        timeout: 15s
        metadata:
          type: bash
          cmd: "curl -s http://${name}-canary.${ns}:9898/healthz"
      - name: load-test
        url: http://flagger-loadtester.${ns}/
        timeout: 5s
        metadata:
          cmd: "hey -z 2m -q 10 -c 2 -host ${host} http://${host}/"
`;
}

function parse(text: string): KubeObject[] {
  return parseAllDocuments(text)
    .map((doc) => doc.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null && typeof o === 'object');
}

/** The manifests of the Gateway API demo (GatewayClass and Gateway included unless told otherwise). */
export function gatewayApiDemo(options: GatewayApiDemoOptions = {}): KubeObject[] {
  return parse(gatewayApiDemoYaml(options));
}
