/**
 * An APISIX demo canary, as in Flagger's "Apache APISIX Canary Deployments" tutorial: the
 * gateway (Helm chart names: Deployment `apisix`, Service `apisix-gateway` in namespace
 * `apisix`), podinfo with an HPA and a flagger-loadtester in the demo namespace, the user's
 * ApisixRoute for the host with the prometheus plugin (prefer_name), and a Canary with
 * `provider: apisix` and `routeRef`, load-tested through the gateway with the Host header.
 */
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../store';

export interface ApisixScenarioOptions {
  namespace?: string;
  name?: string;
  host?: string;
  image?: string;
}

function parse(text: string): KubeObject[] {
  return parseAllDocuments(text)
    .map((doc) => doc.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null && typeof o === 'object');
}

/** The APISIX gateway as the apisix Helm chart installs it (one per cluster). */
export function apisixGateway(): KubeObject[] {
  return parse(`apiVersion: v1
kind: Namespace
metadata:
  name: apisix
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: apisix
  namespace: apisix
  labels: { app.kubernetes.io/name: apisix }
spec:
  replicas: 1
  selector:
    matchLabels: { app.kubernetes.io/name: apisix }
  template:
    metadata:
      labels: { app.kubernetes.io/name: apisix }
      annotations:
        prometheus.io/scrape: "true"
        prometheus.io/port: "9091"
        prometheus.io/path: /apisix/prometheus/metrics
    spec:
      containers:
        - name: apisix
          image: apache/apisix:3.9.1-debian
          ports:
            - { name: http, containerPort: 9080 }
            - { name: prometheus, containerPort: 9091 }
---
apiVersion: v1
kind: Service
metadata:
  name: apisix-gateway
  namespace: apisix
  annotations: { playground.aviary.dev/traffic-rate: "0" }
spec:
  type: NodePort
  selector: { app.kubernetes.io/name: apisix }
  ports: [{ name: apisix-gateway, port: 80, targetPort: 9080 }]
`);
}

/** One namespace with podinfo, its loadtester, the ApisixRoute and an APISIX canary. */
export function apisixDemo(options: ApisixScenarioOptions = {}): KubeObject[] {
  const ns = options.namespace ?? 'edge';
  const name = options.name ?? 'podinfo';
  const host = options.host ?? 'apisix.example.com';
  const image = options.image ?? 'ghcr.io/stefanprodan/podinfo:6.0.0';
  return parse(`apiVersion: v1
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
          image: ${image}
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
---
apiVersion: apisix.apache.org/v2
kind: ApisixRoute
metadata:
  name: ${name}
  namespace: ${ns}
spec:
  http:
    - backends:
        - serviceName: ${name}
          servicePort: 80
      match:
        hosts:
          - ${host}
        methods:
          - GET
        paths:
          - /*
      name: method
      plugins:
        - name: prometheus
          enable: true
          config:
            disable: false
            prefer_name: true
---
apiVersion: flagger.app/v1beta1
kind: Canary
metadata:
  name: ${name}
  namespace: ${ns}
spec:
  provider: apisix
  targetRef: { apiVersion: apps/v1, kind: Deployment, name: ${name} }
  autoscalerRef: { apiVersion: autoscaling/v2, kind: HorizontalPodAutoscaler, name: ${name} }
  routeRef:
    apiVersion: apisix.apache.org/v2
    kind: ApisixRoute
    name: ${name}
  progressDeadlineSeconds: 60
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
        interval: 30s
    webhooks:
      - name: load-test
        url: http://flagger-loadtester.${ns}/
        timeout: 5s
        type: rollout
        metadata:
          cmd: |-
            hey -z 1m -q 10 -c 2 -h2 -host ${host} http://apisix-gateway.apisix/api/info
`);
}
