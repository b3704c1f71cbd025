/**
 * An App Mesh demo, as in Flagger's "App Mesh Canary Deployments" tutorial: the mesh `global`
 * selecting namespaces labelled for sidecar injection, the App Mesh gateway (eks/appmesh-gateway
 * chart: Deployment, Service and VirtualGateway `appmesh-gateway` in `appmesh-system`), podinfo
 * with its HPA (kustomize/podinfo), a flagger-loadtester with its VirtualNode (loadtester chart,
 * `appmesh.enabled`), the tutorial's Canary (`provider: appmesh:v1beta2`, timeout, retries,
 * stepWeight 5 up to 50, acceptance and load tests) and a GatewayRoute to the podinfo
 * VirtualService, so traffic through the gateway follows the split.
 *
 * appMeshAbDemo adds an A/B canary from the tutorial's A/B section: ten iterations for
 * Firefox users (a `user-agent` regex match), load-tested with a Firefox user agent.
 * The analysis interval is 10s instead of the tutorial's 1m, so the playground moves.
 */
import type { KubeObject } from '../store';
import {
  acceptanceTestWebhook,
  canaryYaml,
  hpaYaml,
  loadTestWebhook,
  loadtesterYaml,
  namespaceYaml,
  parseManifests,
  PODINFO_IMAGE,
} from './common';

export interface AppMeshScenarioOptions {
  namespace?: string;
  name?: string;
  image?: string;
}

const INJECT = 'appmesh.k8s.aws/sidecarInjectorWebhook';
export const FIREFOX_USER_AGENT =
  'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';

/** The mesh and the App Mesh gateway (one per cluster). */
export function appMeshGateway(): KubeObject[] {
  return parseManifests(`apiVersion: appmesh.k8s.aws/v1beta2
kind: Mesh
metadata:
  name: global
spec:
  namespaceSelector:
    matchLabels: { ${INJECT}: enabled }
---
${namespaceYaml('appmesh-system', { [INJECT]: 'enabled' })}---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: appmesh-gateway
  namespace: appmesh-system
  labels: { app.kubernetes.io/name: appmesh-gateway }
spec:
  replicas: 1
  selector:
    matchLabels: { app.kubernetes.io/name: appmesh-gateway }
  template:
    metadata:
      labels:
        app.kubernetes.io/name: appmesh-gateway
        app.kubernetes.io/component: appmesh-gateway
    spec:
      containers:
        - name: envoy
          image: 840364872350.dkr.ecr.us-west-2.amazonaws.com/aws-appmesh-envoy:v1.29.6.0-prod
          ports:
            - { name: http, containerPort: 8088, protocol: TCP }
            - { name: http-admin, containerPort: 9901, protocol: TCP }
          resources: { requests: { cpu: 100m, memory: 64Mi } }
---
apiVersion: v1
kind: Service
metadata:
  name: appmesh-gateway
  namespace: appmesh-system
  labels: { app.kubernetes.io/name: appmesh-gateway }
spec:
  type: LoadBalancer
  selector: { app.kubernetes.io/name: appmesh-gateway }
  ports: [{ name: http, port: 80, targetPort: http, protocol: TCP }]
---
apiVersion: appmesh.k8s.aws/v1beta2
kind: VirtualGateway
metadata:
  name: appmesh-gateway
  namespace: appmesh-system
  labels: { app.kubernetes.io/name: appmesh-gateway }
spec:
  namespaceSelector:
    matchLabels: { ${INJECT}: enabled }
  podSelector:
    matchLabels: { app.kubernetes.io/name: appmesh-gateway }
  listeners:
    - portMapping: { port: 8088, protocol: http }
      logging:
        accessLog:
          file: { path: /dev/stdout }
`);
}

function podinfo(ns: string, name: string, image: string): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: ${ns}
  labels: { app: ${name} }
spec:
  minReadySeconds: 5
  revisionHistoryLimit: 5
  progressDeadlineSeconds: 60
  strategy:
    type: RollingUpdate
    rollingUpdate: { maxUnavailable: 1 }
  selector:
    matchLabels: { app: ${name} }
  template:
    metadata:
      annotations: { prometheus.io/scrape: "true", prometheus.io/port: "9797" }
      labels: { app: ${name} }
    spec:
      containers:
        - name: podinfod
          image: ${image}
          ports:
            - { name: http, containerPort: 9898, protocol: TCP }
            - { name: http-metrics, containerPort: 9797, protocol: TCP }
            - { name: grpc, containerPort: 9999, protocol: TCP }
          command: [./podinfo, --port=9898, --port-metrics=9797, --grpc-port=9999, --grpc-service-name=${name}, --level=info]
          resources:
            limits: { cpu: 2000m, memory: 512Mi }
            requests: { cpu: 100m, memory: 64Mi }
---
${hpaYaml(ns, name, 99)}`;
}

/** The tutorial's namespace, podinfo, loadtester, Canary and gateway route. */
export function appMeshDemo(options: AppMeshScenarioOptions = {}): KubeObject[] {
  const ns = options.namespace ?? 'appmesh-demo';
  const name = options.name ?? 'podinfo';
  const image = options.image ?? PODINFO_IMAGE;
  return parseManifests(
    [
      namespaceYaml(ns, { [INJECT]: 'enabled' }),
      podinfo(ns, name, image),
      loadtesterYaml(ns),
      `apiVersion: appmesh.k8s.aws/v1beta2
kind: VirtualNode
metadata:
  name: flagger-loadtester
  namespace: ${ns}
  labels: { app.kubernetes.io/name: loadtester }
spec:
  podSelector:
    matchLabels: { app: flagger-loadtester }
  logging:
    accessLog:
      file: { path: /dev/stdout }
  backends:
    - virtualService: { virtualServiceRef: { name: ${name} } }
    - virtualService: { virtualServiceRef: { name: ${name}-canary } }
`,
      canaryYaml({
        ns,
        name,
        provider: 'appmesh:v1beta2',
        annotations: { 'appmesh.flagger.app/accesslog': 'enabled' },
        service: `    port: 9898
    timeout: 15s
    retries:
      attempts: 3
      perTryTimeout: 5s
      retryOn: "gateway-error,client-error,stream-error"
    match:
      - uri: { prefix: / }
    rewrite:
      uri: /
`,
        steps: '    maxWeight: 50\n    stepWeight: 5\n',
        durationInterval: '30s',
        webhooks:
          acceptanceTestWebhook(ns, `http://${name}-canary.${ns}:9898/`) +
          loadTestWebhook(ns, `http://${name}-canary.${ns}:9898/`),
      }),
      `apiVersion: appmesh.k8s.aws/v1beta2
kind: GatewayRoute
metadata:
  name: ${name}
  namespace: ${ns}
spec:
  httpRoute:
    match: { prefix: / }
    action:
      target:
        virtualService:
          virtualServiceRef: { name: ${name} }
`,
    ].join('---\n'),
  );
}

/** The tutorial's A/B section: ten iterations for Firefox users (namespace from appMeshDemo). */
export function appMeshAbDemo(options: AppMeshScenarioOptions = {}): KubeObject[] {
  const ns = options.namespace ?? 'appmesh-demo';
  const name = options.name ?? 'frontend';
  const image = options.image ?? PODINFO_IMAGE;
  return parseManifests(
    [
      podinfo(ns, name, image),
      canaryYaml({
        ns,
        name,
        provider: 'appmesh:v1beta2',
        service: '    port: 9898\n    timeout: 15s\n',
        steps: `    iterations: 10
    match:
      - headers:
          user-agent:
            regex: ".*Firefox.*"
`,
        durationInterval: '30s',
        webhooks: loadTestWebhook(
          ns,
          `-H 'User-Agent: ${FIREFOX_USER_AGENT}' http://${name}.${ns}:9898/`,
        ),
      }),
    ].join('---\n'),
  );
}

/** Everything above for one cluster: mesh, gateway, the progressive and the A/B canaries. */
export function appMeshScenario(options: { namespace?: string } = {}): KubeObject[] {
  return [...appMeshGateway(), ...appMeshDemo(options), ...appMeshAbDemo(options)];
}
