/**
 * Flagger's "Traefik Canary Deployments" tutorial as one playground demo: Traefik in `traefik`,
 * an IngressRoute sending the host to the `<apex>` TraefikService Flagger generates, and the
 * loadtester sending through Traefik with the host header.
 */
import type { KubeObject } from '../store';
import type { DemoOptions } from './common';
import { canaryYaml, demoAppYaml, parseManifests, proxyYaml } from './common';

export function traefikDemo(options: DemoOptions = {}): KubeObject[] {
  const ns = options.namespace ?? 'traefik-demo';
  const name = options.name ?? 'podinfo';
  const host = options.host ?? 'traefik.example.com';
  return parseManifests(
    [
      proxyYaml('traefik', 'traefik', 'traefik:v3.1'),
      demoAppYaml(ns, name),
      `apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata:
  name: ${name}
  namespace: ${ns}
spec:
  entryPoints: [web]
  routes:
    - match: Host(\`${host}\`)
      kind: Rule
      services:
        - name: ${name}
          kind: TraefikService
`,
      canaryYaml({
        ns,
        name,
        provider: 'traefik',
        loadUrl: 'http://traefik.traefik/',
        loadHost: host,
      }),
    ].join('---\n'),
  );
}
