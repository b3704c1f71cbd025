/**
 * Flagger's "Contour Canary Deployments" tutorial as one playground demo: Contour's Envoy in
 * `projectcontour`, podinfo behind a root HTTPProxy that includes the `<apex>` HTTPProxy
 * Flagger generates, and the loadtester sending through Envoy with the host header.
 */
import type { KubeObject } from '../store';
import type { DemoOptions } from './common';
import { canaryYaml, demoAppYaml, parseManifests, proxyYaml } from './common';

export function contourDemo(options: DemoOptions = {}): KubeObject[] {
  const ns = options.namespace ?? 'contour';
  const name = options.name ?? 'podinfo';
  const host = options.host ?? 'contour.example.com';
  return parseManifests(
    [
      proxyYaml('projectcontour', 'envoy', 'envoyproxy/envoy:v1.29.2'),
      demoAppYaml(ns, name),
      `apiVersion: projectcontour.io/v1
kind: HTTPProxy
metadata:
  name: ${name}-ingress
  namespace: ${ns}
spec:
  virtualhost:
    fqdn: ${host}
  includes:
    - name: ${name}
      namespace: ${ns}
      conditions:
        - prefix: /
`,
      canaryYaml({
        ns,
        name,
        provider: 'contour',
        loadUrl: 'http://envoy.projectcontour/',
        loadHost: host,
      }),
    ].join('---\n'),
  );
}
