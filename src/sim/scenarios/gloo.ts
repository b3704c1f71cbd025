/**
 * Flagger's "Gloo Canary Deployments" tutorial as one playground demo: Gloo's gateway-proxy in
 * `gloo-system`, a VirtualService delegating the host to the `<apex>` RouteTable Flagger
 * generates, and the loadtester sending through the gateway with the host header.
 */
import type { KubeObject } from '../store';
import type { DemoOptions } from './common';
import { canaryYaml, demoAppYaml, parseManifests, proxyYaml } from './common';

export function glooDemo(options: DemoOptions = {}): KubeObject[] {
  const ns = options.namespace ?? 'gloo-demo';
  const name = options.name ?? 'podinfo';
  const host = options.host ?? 'gloo.example.com';
  return parseManifests(
    [
      proxyYaml('gloo-system', 'gateway-proxy', 'quay.io/solo-io/gloo-envoy-wrapper:1.17.0'),
      demoAppYaml(ns, name),
      `apiVersion: gateway.solo.io/v1
kind: VirtualService
metadata:
  name: ${name}
  namespace: ${ns}
spec:
  virtualHost:
    domains: ['${host}']
    routes:
      - matchers: [{ prefix: / }]
        delegateAction:
          ref: { name: ${name}, namespace: ${ns} }
`,
      canaryYaml({
        ns,
        name,
        provider: 'gloo',
        loadUrl: 'http://gateway-proxy.gloo-system/',
        loadHost: host,
      }),
    ].join('---\n'),
  );
}
