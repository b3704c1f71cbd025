/**
 * A Linkerd demo canary (and its Open Service Mesh twin, `osmDemo`), as Flagger's Linkerd tutorial wrote it with the SMI TrafficSplit
 * (`provider: linkerd`): a meshed namespace (`linkerd.io/inject: enabled`), podinfo with an
 * HPA, a flagger-loadtester, the builtin Linkerd checks, and the Linkerd control plane the
 * namespace's proxies would talk to. The playground's mesh (traffic/smi.ts) splits requests
 * to `<name>.<ns>` by the TrafficSplit Flagger writes and reports Linkerd's response_total.
 */
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../store';

export interface LinkerdScenarioOptions {
  namespace?: string;
  name?: string;
  image?: string;
}

function parse(text: string): KubeObject[] {
  return parseAllDocuments(text)
    .map((doc) => doc.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null && typeof o === 'object');
}

/** The control plane's namespace and destination service (what `linkerd install` adds). */
export function linkerdControlPlane(): KubeObject[] {
  return parse(`apiVersion: v1
kind: Namespace
metadata:
  name: linkerd
  labels: { linkerd.io/is-control-plane: "true" }
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: linkerd-destination
  namespace: linkerd
  labels: { linkerd.io/control-plane-component: destination }
spec:
  replicas: 1
  selector:
    matchLabels: { linkerd.io/control-plane-component: destination }
  template:
    metadata:
      labels: { linkerd.io/control-plane-component: destination }
    spec:
      containers:
        - name: destination
          image: cr.l5d.io/linkerd/controller:stable-2.14.10
          ports: [{ name: grpc, containerPort: 8086 }]
---
apiVersion: v1
kind: Service
metadata:
  name: linkerd-dst
  namespace: linkerd
  annotations: { playground.aviary.dev/traffic-rate: "0" }
spec:
  selector: { linkerd.io/control-plane-component: destination }
  ports: [{ name: grpc, port: 8086, targetPort: 8086 }]
`);
}

/** One meshed namespace with podinfo, its loadtester and a Linkerd canary. */
export function linkerdDemo(options: LinkerdScenarioOptions = {}): KubeObject[] {
  return meshDemo('linkerd', options);
}

/**
 * The same for Open Service Mesh: the namespace monitored by OSM (`osm namespace add`), the
 * canary with `provider: osm` (an SMI v1alpha2 TrafficSplit, OSM's builtin checks).
 */
export function osmDemo(options: LinkerdScenarioOptions = {}): KubeObject[] {
  return meshDemo('osm', { namespace: 'osm-demo', ...options });
}

function meshDemo(mesh: 'linkerd' | 'osm', options: LinkerdScenarioOptions): KubeObject[] {
  const ns = options.namespace ?? 'mesh';
  const membership =
    mesh === 'linkerd'
      ? 'annotations: { linkerd.io/inject: enabled }'
      : 'labels: { openservicemesh.io/monitored-by: osm }';
  const name = options.name ?? 'podinfo';
  const image = options.image ?? 'ghcr.io/stefanprodan/podinfo:6.0.0';
  return parse(`apiVersion: v1
kind: Namespace
metadata:
  name: ${ns}
  ${membership}
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
apiVersion: flagger.app/v1beta1
kind: Canary
metadata:
  name: ${name}
  namespace: ${ns}
spec:
  provider: ${mesh}
  targetRef: { apiVersion: apps/v1, kind: Deployment, name: ${name} }
  autoscalerRef: { apiVersion: autoscaling/v2, kind: HorizontalPodAutoscaler, name: ${name} }
  progressDeadlineSeconds: 60
  service:
    port: 9898
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
      - name: acceptance-test
        type: pre-rollout
        url: http://flagger-loadtester.${ns}/
        timeout: 30s
        metadata:
          type: bash
          cmd: "curl -sd 'test' http://${name}-canary.${ns}:9898/token | grep token"
      - name: load-test
        type: rollout
        url: http://flagger-loadtester.${ns}/
        timeout: 5s
        metadata:
          cmd: "hey -z 1m -q 10 -c 2 http://${name}.${ns}:9898/"
`);
}
