/**
 * The playground's default scenario: what a fresh `npm start` shows. Each cluster gets a
 * few apps in several namespaces, written as a Flagger user would write them (the
 * manifests follow Flagger's tutorials), plus the in-cluster services those manifests
 * expect: an NGINX ingress controller, flagger-loadtester, and Prometheus in `monitoring`.
 */
import { apisixDemo, apisixGateway } from './scenarios/apisix';
import { appMeshScenario } from './scenarios/appmesh';
import {
  canaryYaml,
  loadtesterYaml,
  namespaceYaml,
  parseManifests,
  PODINFO_IMAGE,
  podinfoYaml,
  monitoringYaml,
} from './scenarios/common';
import { contourDemo } from './scenarios/contour';
import { gatewayApiDemo } from './scenarios/gateway-api';
import { istioDemo } from './scenarios/istio';
import { knativeDemo } from './scenarios/knative';
import { linkerdControlPlane, linkerdDemo } from './scenarios/linkerd';
import type { KubeObject } from './store';

export interface ScenarioCluster {
  name: string;
  manifests: KubeObject[];
}

/** The shared platform pieces every playground cluster has, as in a real install. */
function platform(): string {
  return `${namespaceYaml('ingress-nginx')}---
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
${monitoringYaml()}`;
}

/** podinfo with an NGINX canary, as in Flagger's "NGINX Canary Deployments" tutorial. */
function nginxPodinfo(ns: string, name: string, host: string, extraAnalysis = ''): string {
  return `${podinfoYaml(ns, name)}---
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
${canaryYaml({
  ns,
  name,
  provider: 'nginx',
  extraSpec: `  ingressRef: { apiVersion: networking.k8s.io/v1, kind: Ingress, name: ${name} }\n`,
  steps: extraAnalysis,
  loadUrl: `http://${host}/`,
})}`;
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
          namespaceYaml('test'),
          loadtesterYaml('test'),
          nginxPodinfo(
            'test',
            'podinfo',
            'app.example.com',
            '    maxWeight: 50\n    stepWeight: 10\n',
          ),
          namespaceYaml('frontend'),
          loadtesterYaml('frontend'),
          nginxPodinfo('frontend', 'web', 'web.example.com', '    stepWeights: [5, 10, 25, 50]\n'),
        );
        break;
      case 1:
        apps.push(
          namespaceYaml('shop'),
          loadtesterYaml('shop'),
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
          namespaceYaml('payments'),
          loadtesterYaml('payments'),
          nginxPodinfo('payments', 'api', 'api.example.com', ABTEST),
          blueGreen('payments', 'ledger'),
        );
        meshes.push(
          ...appMeshScenario(),
          ...contourDemo(),
          ...gatewayApiDemo(),
          ...knativeDemo({ namespace: 'serverless' }),
        );
    }
    return { name, manifests: [...parseManifests(apps.join('---\n')), ...meshes] };
  });
}

/** The default scenario's builders, parsed, for tests that assemble their own clusters. */
export const scenarioManifests = {
  namespace: (name: string): KubeObject[] => parseManifests(namespaceYaml(name)),
  loadtester: (ns: string): KubeObject[] => parseManifests(loadtesterYaml(ns)),
  nginxPodinfo: (ns: string, name: string, host: string, extraAnalysis = ''): KubeObject[] =>
    parseManifests(nginxPodinfo(ns, name, host, extraAnalysis)),
  blueGreen: (ns: string, name: string): KubeObject[] => parseManifests(blueGreen(ns, name)),
};
