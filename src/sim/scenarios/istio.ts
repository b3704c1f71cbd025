/**
 * An Istio demo for the playground: the ingress gateway as istioctl installs it (Deployment and
 * Service `istio-ingressgateway` in istio-system, a Gateway `public-gateway` for every host),
 * and podinfo `reviews` in the injected namespace `istio-demo` with a progressive canary, as in
 * Flagger's "Istio Canary Deployments" tutorial. Synthetic users reach it through the gateway
 * at reviews.example.com; the loadtester adds load through the same host.
 */
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../store';

const PODINFO_IMAGE = 'ghcr.io/stefanprodan/podinfo:6.0.0';

export interface IstioDemoOptions {
  namespace?: string;
  name?: string;
  host?: string;
  /** Include the gateway install (istio-system); a cluster needs it once. */
  ingressGateway?: boolean;
  /** A/B testing: this many iterations for requests with `x-canary: insider` (else progressive). */
  abIterations?: number;
}

/** The Istio ingress gateway and the shared Gateway `istio-system/public-gateway`. */
export function istioIngressGatewayYaml(): string {
  return `apiVersion: v1
kind: Namespace
metadata:
  name: istio-system
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: istio-ingressgateway
  namespace: istio-system
  labels: { app: istio-ingressgateway, istio: ingressgateway }
spec:
  replicas: 1
  selector:
    matchLabels: { app: istio-ingressgateway, istio: ingressgateway }
  template:
    metadata:
      labels: { app: istio-ingressgateway, istio: ingressgateway }
    spec:
      containers:
        - name: istio-proxy
          image: docker.io/istio/proxyv2:1.22.3
          ports: [{ name: http2, containerPort: 8080 }, { name: https, containerPort: 8443 }]
---
apiVersion: v1
kind: Service
metadata:
  name: istio-ingressgateway
  namespace: istio-system
  labels: { app: istio-ingressgateway, istio: ingressgateway }
  # Users reach the gateway by the hosts its Gateways serve, not by this Service's name.
  annotations: { playground.aviary.dev/traffic-rate: "0" }
spec:
  type: LoadBalancer
  selector: { app: istio-ingressgateway, istio: ingressgateway }
  ports:
    - { name: http2, port: 80, targetPort: 8080 }
    - { name: https, port: 443, targetPort: 8443 }
---
apiVersion: networking.istio.io/v1beta1
kind: Gateway
metadata:
  name: public-gateway
  namespace: istio-system
spec:
  selector: { istio: ingressgateway }
  servers:
    - port: { number: 80, name: http, protocol: HTTP }
      hosts: ["*"]
`;
}

export function istioDemoYaml(options: IstioDemoOptions = {}): string {
  const ns = options.namespace ?? 'istio-demo';
  const name = options.name ?? 'reviews';
  const host = options.host ?? `${name}.example.com`;
  const steps =
    options.abIterations !== undefined
      ? `    iterations: ${options.abIterations}
    match:
      - headers:
          x-canary: { exact: insider }`
      : '    maxWeight: 50\n    stepWeight: 10';
  // A/B: the load test sends the header the match routes to the canary.
  const abHeader = options.abIterations !== undefined ? "-H 'X-Canary: insider' " : '';
  const gateway = options.ingressGateway === false ? '' : `${istioIngressGatewayYaml()}---\n`;
  return `${gateway}apiVersion: v1
kind: Namespace
metadata:
  name: ${ns}
  labels: { istio-injection: enabled }
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
  provider: istio
  targetRef: { apiVersion: apps/v1, kind: Deployment, name: ${name} }
  progressDeadlineSeconds: 60
  service:
    port: 9898
    targetPort: 9898
    gateways: [istio-system/public-gateway, mesh]
    hosts: [${host}]
    trafficPolicy:
      tls: { mode: DISABLE }
    retries: { attempts: 3, perTryTimeout: 1s, retryOn: "gateway-error,connect-failure,refused-stream" }
  analysis:
    interval: 10s
    threshold: 5
${steps}
    metrics:
      - name: request-success-rate
        thresholdRange: { min: 99 }
        interval: 1m
      - name: request-duration
        thresholdRange: { max: 500 }
        interval: 30s
    webhooks:
      - name: acceptance-test
        type: pre-rollout
        url: http://flagger-loadtester.${ns}/
        timeout: 30s
        metadata:
          type: bash
          cmd: "curl -sd 'test' http://${name}-canary.${ns}:9898/token | grep token"
      - name: load-test
        url: http://flagger-loadtester.${ns}/
        timeout: 5s
        metadata:
          cmd: "hey -z 1m -q 10 -c 2 ${abHeader}http://${host}/"
`;
}

function parse(text: string): KubeObject[] {
  return parseAllDocuments(text)
    .map((doc) => doc.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null && typeof o === 'object');
}

/** The manifests of the Istio demo (gateway install included unless told otherwise). */
export function istioDemo(options: IstioDemoOptions = {}): KubeObject[] {
  return parse(istioDemoYaml(options));
}
