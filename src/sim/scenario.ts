/**
 * The playground's default scenario: what a fresh `npm start` shows. Each cluster gets a
 * few apps in several namespaces, written as a Flagger user would write them (the
 * manifests follow Flagger's tutorials), plus the in-cluster services those manifests
 * expect: an NGINX ingress controller, flagger-loadtester, and Prometheus in `monitoring`.
 */
import { parseAllDocuments } from 'yaml';
import { apisixDemo, apisixGateway } from './scenarios/apisix';
import { appMeshScenario } from './scenarios/appmesh';
import { contourDemo } from './scenarios/contour';
import { gatewayApiDemo } from './scenarios/gateway-api';
import { istioDemo } from './scenarios/istio';
import { linkerdControlPlane, linkerdDemo } from './scenarios/linkerd';
import type { KubeObject } from './store';

export interface ScenarioCluster {
  name: string;
  manifests: KubeObject[];
}

const PODINFO_IMAGE = 'ghcr.io/stefanprodan/podinfo:6.0.0';

function namespace(name: string): string {
  return `apiVersion: v1
kind: Namespace
metadata:
  name: ${name}
`;
}

/** The shared platform pieces every playground cluster has, as in a real install. */
function platform(): string {
  return `${namespace('ingress-nginx')}---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ingress-nginx-controller
  namespace: ingress-nginx
  labels: { app.kubernetes.io/name: ingress-nginx }
spec:
  replicas: 1
  selector:
    matchLabels: { app.kubernetes.io/name: ingress-nginx }
  template:
    metadata:
      labels: { app.kubernetes.io/name: ingress-nginx }
    spec:
      containers:
        - name: controller
          image: registry.k8s.io/ingress-nginx/controller:v1.11.2
          ports: [{ name: http, containerPort: 80 }, { name: metrics, containerPort: 10254 }]
---
apiVersion: v1
kind: Service
metadata:
  name: ingress-nginx-controller
  namespace: ingress-nginx
spec:
  selector: { app.kubernetes.io/name: ingress-nginx }
  ports: [{ name: http, port: 80, targetPort: 80 }]
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: nginx
spec:
  controller: k8s.io/ingress-nginx
---
${namespace('monitoring')}---
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

function loadtester(ns: string): string {
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

/** podinfo with an NGINX canary, as in Flagger's "NGINX Canary Deployments" tutorial. */
function nginxPodinfo(ns: string, name: string, host: string, extraAnalysis = ''): string {
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
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ${name}
  namespace: ${ns}
  labels: { app: ${name} }
spec:
  ingressClassName: nginx
  rules:
    - host: ${host}
      http:
        paths:
          - pathType: Prefix
            path: /
            backend: { service: { name: ${name}, port: { number: 80 } } }
---
apiVersion: flagger.app/v1beta1
kind: Canary
metadata:
  name: ${name}
  namespace: ${ns}
spec:
  provider: nginx
  targetRef: { apiVersion: apps/v1, kind: Deployment, name: ${name} }
  ingressRef: { apiVersion: networking.k8s.io/v1, kind: Ingress, name: ${name} }
  autoscalerRef: { apiVersion: autoscaling/v2, kind: HorizontalPodAutoscaler, name: ${name} }
  progressDeadlineSeconds: 60
  service:
    port: 80
    targetPort: 9898
  analysis:
    interval: 10s
    threshold: 5
${extraAnalysis}    metrics:
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
          cmd: "hey -z 1m -q 10 -c 2 http://${host}/"
`;
}

/** A blue/green canary with the kubernetes provider (no traffic shifting, iterations). */
function blueGreen(ns: string, name: string): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: ${ns}
  labels: { app: ${name} }
spec:
  replicas: 2
  selector:
    matchLabels: { app: ${name} }
  template:
    metadata:
      labels: { app: ${name} }
    spec:
      containers:
        - name: ${name}
          image: ${PODINFO_IMAGE}
          ports: [{ name: http, containerPort: 9898 }]
---
apiVersion: flagger.app/v1beta1
kind: Canary
metadata:
  name: ${name}
  namespace: ${ns}
spec:
  provider: kubernetes
  targetRef: { apiVersion: apps/v1, kind: Deployment, name: ${name} }
  progressDeadlineSeconds: 60
  service:
    port: 9898
    portDiscovery: true
  analysis:
    interval: 15s
    threshold: 2
    iterations: 5
    metrics:
      - name: request-success-rate
        thresholdRange: { min: 99 }
        interval: 1m
    webhooks:
      - name: conformance-test
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
          type: cmd
          cmd: "hey -z 1m -q 10 -c 2 http://${name}-canary.${ns}:9898/"
`;
}

function parse(text: string): KubeObject[] {
  return parseAllDocuments(text)
    .map((doc) => doc.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null && typeof o === 'object');
}

const ABTEST = `    iterations: 10
    match:
      - headers:
          x-canary:
            exact: "insider"
      - headers:
          cookie:
            exact: "canary"
`;

/**
 * The default three clusters; more clusters (--clusters N) repeat the pattern. A mixed estate,
 * as real fleets are: staging runs NGINX only (the tests' default bed), eu adds Istio, Linkerd
 * and APISIX, us adds App Mesh (progressive and A/B), Contour and the Gateway API.
 */
export function defaultScenario(clusterNames: string[]): ScenarioCluster[] {
  return clusterNames.map((name, index) => {
    const apps: string[] = [platform()];
    const meshes: KubeObject[] = [];
    switch (index % 3) {
      case 0:
        apps.push(
          namespace('test'),
          loadtester('test'),
          nginxPodinfo(
            'test',
            'podinfo',
            'app.example.com',
            '    maxWeight: 50\n    stepWeight: 10\n',
          ),
          namespace('frontend'),
          loadtester('frontend'),
          nginxPodinfo('frontend', 'web', 'web.example.com', '    stepWeights: [5, 10, 25, 50]\n'),
        );
        break;
      case 1:
        apps.push(
          namespace('shop'),
          loadtester('shop'),
          nginxPodinfo(
            'shop',
            'storefront',
            'shop.example.com',
            '    maxWeight: 50\n    stepWeight: 10\n',
          ),
          blueGreen('shop', 'checkout'),
        );
        meshes.push(
          ...istioDemo(),
          ...linkerdControlPlane(),
          ...linkerdDemo(),
          ...apisixGateway(),
          ...apisixDemo(),
        );
        break;
      default:
        apps.push(
          namespace('payments'),
          loadtester('payments'),
          nginxPodinfo('payments', 'api', 'api.example.com', ABTEST),
          blueGreen('payments', 'ledger'),
        );
        meshes.push(...appMeshScenario(), ...contourDemo(), ...gatewayApiDemo());
    }
    return { name, manifests: [...parse(apps.join('---\n')), ...meshes] };
  });
}

/** The default scenario's builders, parsed, for tests that assemble their own clusters. */
export const scenarioManifests = {
  namespace: (name: string): KubeObject[] => parse(namespace(name)),
  loadtester: (ns: string): KubeObject[] => parse(loadtester(ns)),
  nginxPodinfo: (ns: string, name: string, host: string, extraAnalysis = ''): KubeObject[] =>
    parse(nginxPodinfo(ns, name, host, extraAnalysis)),
  blueGreen: (ns: string, name: string): KubeObject[] => parse(blueGreen(ns, name)),
};
