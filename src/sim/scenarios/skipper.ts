/**
 * Flagger's "Skipper Canary Deployments" tutorial as one playground demo: Skipper's
 * `skipper-ingress` in `kube-system`, podinfo behind an Ingress of class skipper that Flagger
 * clones as `<ingress>-canary`, and the loadtester sending through Skipper with the host header.
 */
import type { KubeObject } from '../store';
import type { DemoOptions } from './common';
import { canaryYaml, demoAppYaml, parseManifests, proxyYaml } from './common';

/**
 * The namespace has no dash by default: Skipper turns dashes in route IDs into `_`, which
 * Flagger's skipper queries (namespace written as is) would then not match.
 */
export function skipperDemo(options: DemoOptions = {}): KubeObject[] {
  const ns = options.namespace ?? 'skipper';
  const name = options.name ?? 'podinfo';
  const host = options.host ?? 'skipper.example.com';
  return parseManifests(
    [
      // kube-system exists in every cluster.
      proxyYaml(
        'kube-system',
        'skipper-ingress',
        'registry.opensource.zalan.do/teapot/skipper:v0.21.0',
        false,
      ),
      demoAppYaml(ns, name),
      `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ${name}
  namespace: ${ns}
  labels: { app: ${name} }
  annotations: { kubernetes.io/ingress.class: skipper }
spec:
  rules:
    - host: ${host}
      http:
        paths:
          - pathType: Prefix
            path: /
            backend: { service: { name: ${name}, port: { number: 80 } } }
`,
      canaryYaml({
        ns,
        name,
        provider: 'skipper',
        loadUrl: 'http://skipper-ingress.kube-system/',
        loadHost: host,
        extraSpec: `  ingressRef: { apiVersion: networking.k8s.io/v1, kind: Ingress, name: ${name} }\n`,
      }),
    ].join('---\n'),
  );
}
