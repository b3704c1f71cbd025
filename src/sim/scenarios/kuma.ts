/**
 * Flagger's "Kuma Canary Deployments" tutorial as one playground demo: a namespace in the Kuma
 * mesh (sidecar injection on), the `default` Mesh, podinfo whose requests the `<apex>`
 * TrafficRoute Flagger generates splits, and the loadtester calling the apex Service.
 */
import type { KubeObject } from '../store';
import type { DemoOptions } from './edge';
import { canaryYaml, loadtesterYaml, namespaceYaml, parseManifests, podinfoYaml } from './edge';

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
      namespaceYaml(ns, { 'kuma.io/sidecar-injection': 'enabled' }),
      loadtesterYaml(ns),
      podinfoYaml(ns, name),
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
