/**
 * Flagger's "Kuma Canary Deployments" tutorial as one playground demo: a namespace in the Kuma
 * mesh (sidecar injection on), the `default` Mesh, podinfo whose requests the `<apex>`
 * TrafficRoute Flagger generates splits, and the loadtester calling the apex Service.
 */
import type { KubeObject } from '../store';
import type { DemoOptions } from './common';
import { canaryYaml, demoAppYaml, parseManifests } from './common';

export function kumaDemo(options: DemoOptions = {}): KubeObject[] {
  const ns = options.namespace ?? 'kuma-demo';
  const name = options.name ?? 'podinfo';
  return parseManifests(
    [
      `apiVersion: kuma.io/v1alpha1
kind: Mesh
metadata:
  name: default
`,
      demoAppYaml(ns, name, { labels: { 'kuma.io/sidecar-injection': 'enabled' } }),
      canaryYaml({
        ns,
        name,
        provider: 'kuma',
        loadUrl: `http://${name}.${ns}/`,
        annotations: { 'kuma.io/mesh': 'default' },
      }),
    ].join('---\n'),
  );
}
