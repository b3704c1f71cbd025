/**
 * An APISIX demo canary, as in Flagger's "Apache APISIX Canary Deployments" tutorial: the
 * gateway (Helm chart names: Deployment `apisix`, Service `apisix-gateway` in namespace
 * `apisix`), podinfo with an HPA and a flagger-loadtester in the demo namespace, the user's
 * ApisixRoute for the host with the prometheus plugin (prefer_name), and a Canary with
 * `provider: apisix` and `routeRef`, load-tested through the gateway with the Host header.
 */
import type { KubeObject } from '../store';
import {
  canaryYaml,
  demoAppYaml,
  loadTestWebhook,
  namespaceYaml,
  parseManifests,
  PODINFO_IMAGE,
} from './common';

export interface ApisixScenarioOptions {
  namespace?: string;
  name?: string;
  host?: string;
  image?: string;
}

/** The APISIX gateway as the apisix Helm chart installs it (one per cluster). */
export function apisixGateway(): KubeObject[] {
  return parseManifests(`${namespaceYaml('apisix')}---
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
  const image = options.image ?? PODINFO_IMAGE;
  return parseManifests(
    [
      demoAppYaml(ns, name, { image }),
      `apiVersion: apisix.apache.org/v2
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
`,
      canaryYaml({
        ns,
        name,
        provider: 'apisix',
        extraSpec: `  routeRef: { apiVersion: apisix.apache.org/v2, kind: ApisixRoute, name: ${name} }\n`,
        durationInterval: '30s',
        webhooks: loadTestWebhook(ns, `-h2 -host ${host} http://apisix-gateway.apisix/api/info`, {
          type: 'rollout',
        }),
      }),
    ].join('---\n'),
  );
}
