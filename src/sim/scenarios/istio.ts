/**
 * An Istio demo for the playground: the ingress gateway as istioctl installs it (Deployment and
 * Service `istio-ingressgateway` in istio-system, a Gateway `public-gateway` for every host),
 * and podinfo `reviews` in the injected namespace `istio-demo` with a progressive canary, as in
 * Flagger's "Istio Canary Deployments" tutorial. Synthetic users reach it through the gateway
 * at reviews.example.com; the loadtester adds load through the same host.
 */
import type { KubeObject } from '../store';
import {
  acceptanceTestWebhook,
  canaryYaml,
  demoAppYaml,
  loadTestWebhook,
  namespaceYaml,
  parseManifests,
} from './common';

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
  return `${namespaceYaml('istio-system')}---
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
          x-canary: { exact: insider }
`
      : undefined;
  // A/B: the load test sends the header the match routes to the canary.
  const abHeader = options.abIterations !== undefined ? "-H 'X-Canary: insider' " : '';
  const gateway = options.ingressGateway === false ? '' : `${istioIngressGatewayYaml()}---\n`;
  return (
    gateway +
    [
      demoAppYaml(ns, name, { labels: { 'istio-injection': 'enabled' }, hpa: false }),
      canaryYaml({
        ns,
        name,
        provider: 'istio',
        autoscaler: false,
        service: `    port: 9898
    targetPort: 9898
    gateways: [istio-system/public-gateway, mesh]
    hosts: [${host}]
    trafficPolicy:
      tls: { mode: DISABLE }
    retries: { attempts: 3, perTryTimeout: 1s, retryOn: "gateway-error,connect-failure,refused-stream" }
`,
        steps,
        durationInterval: '30s',
        webhooks:
          acceptanceTestWebhook(ns, `http://${name}-canary.${ns}:9898/`) +
          loadTestWebhook(ns, `${abHeader}http://${host}/`),
      }),
    ].join('---\n')
  );
}

/** The manifests of the Istio demo (gateway install included unless told otherwise). */
export function istioDemo(options: IstioDemoOptions = {}): KubeObject[] {
  return parseManifests(istioDemoYaml(options));
}
