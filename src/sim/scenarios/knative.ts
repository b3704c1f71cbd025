/**
 * Flagger's "Knative Canary Deployments" tutorial as one playground demo: Kourier's gateway in
 * `kourier-system` (as kourier.yaml installs it), the Knative Service `podinfo` in `test`, the
 * loadtester, and the tutorial's Canary (provider knative, targetRef the Knative Service). The
 * playground's Knative controller makes the revisions; users reach podinfo at
 * `podinfo.<ns>.example.com` through Kourier, the loadtester at `http://podinfo.<ns>/`.
 */
import type { KubeObject } from '../store';
import type { DemoOptions } from './common';
import { PODINFO_IMAGE, loadtesterYaml, namespaceYaml, parseManifests } from './common';

export interface KnativeDemoOptions extends Omit<DemoOptions, 'host'> {
  /** Include Kourier's gateway (kourier-system); a cluster needs it once. */
  kourier?: boolean;
  /** Failed checks before a rollback (the tutorial says 15; the playground's demos use 5). */
  threshold?: number;
}

/** net-kourier's gateway: the external `kourier` and cluster `kourier-internal` Services. */
export function kourierYaml(): string {
  return `${namespaceYaml('kourier-system')}---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: 3scale-kourier-gateway
  namespace: kourier-system
  labels: { app: 3scale-kourier-gateway }
spec:
  replicas: 1
  selector:
    matchLabels: { app: 3scale-kourier-gateway }
  template:
    metadata:
      labels: { app: 3scale-kourier-gateway }
    spec:
      containers:
        - name: kourier-gateway
          image: envoyproxy/envoy:v1.31-latest
          ports: [{ name: http2-external, containerPort: 8080 }, { name: http2-internal, containerPort: 8081 }]
---
apiVersion: v1
kind: Service
metadata:
  name: kourier
  namespace: kourier-system
  labels: { networking.knative.dev/ingress-provider: kourier }
  # Users reach the gateway by the Knative Services' hosts, not by this Service's name.
  annotations: { playground.aviary.dev/traffic-rate: "0" }
spec:
  type: LoadBalancer
  selector: { app: 3scale-kourier-gateway }
  ports: [{ name: http2, port: 80, targetPort: 8080 }]
---
apiVersion: v1
kind: Service
metadata:
  name: kourier-internal
  namespace: kourier-system
  labels: { networking.knative.dev/ingress-provider: kourier }
  annotations: { playground.aviary.dev/traffic-rate: "0" }
spec:
  selector: { app: 3scale-kourier-gateway }
  ports: [{ name: http2, port: 80, targetPort: 8081 }]
`;
}

/** The tutorial's Knative Service: podinfo on 9898. */
export function knativeServiceYaml(ns: string, name: string, image = PODINFO_IMAGE): string {
  return `apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: ${name}
  namespace: ${ns}
spec:
  template:
    spec:
      containers:
        - image: ${image}
          ports:
            - containerPort: 9898
              protocol: TCP
          command:
            - ./podinfo
            - --port=9898
            - --port-metrics=9797
            - --grpc-port=9999
            - --grpc-service-name=${name}
            - --level=info
            - --random-delay=false
            - --random-error=false
`;
}

export function knativeDemoYaml(options: KnativeDemoOptions = {}): string {
  const ns = options.namespace ?? 'test';
  const name = options.name ?? 'podinfo';
  const kourier = options.kourier === false ? '' : `${kourierYaml()}---\n`;
  return (
    kourier +
    [
      namespaceYaml(ns),
      loadtesterYaml(ns),
      knativeServiceYaml(ns, name),
      `apiVersion: flagger.app/v1beta1
kind: Canary
metadata:
  name: ${name}
  namespace: ${ns}
spec:
  provider: knative
  targetRef:
    apiVersion: serving.knative.dev/v1
    kind: Service
    name: ${name}
  progressDeadlineSeconds: 60
  analysis:
    interval: 10s
    threshold: ${options.threshold ?? 5}
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
      - name: load-test
        url: http://flagger-loadtester.${ns}/
        timeout: 5s
        metadata:
          type: cmd
          cmd: "hey -z 1m -q 10 -c 2 http://${name}.${ns}/"
          logCmdOutput: "true"
`,
    ].join('---\n')
  );
}

/** The manifests of the Knative demo (Kourier included unless told otherwise). */
export function knativeDemo(options: KnativeDemoOptions = {}): KubeObject[] {
  return parseManifests(knativeDemoYaml(options));
}
