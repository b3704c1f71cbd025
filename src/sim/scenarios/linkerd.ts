/**
 * A Linkerd demo canary (and its Open Service Mesh twin, `osmDemo`), as Flagger's Linkerd tutorial wrote it with the SMI TrafficSplit
 * (`provider: linkerd`): a meshed namespace (`linkerd.io/inject: enabled`), podinfo with an
 * HPA, a flagger-loadtester, the builtin Linkerd checks, and the Linkerd control plane the
 * namespace's proxies would talk to. The playground's mesh (traffic/smi.ts) splits requests
 * to `<name>.<ns>` by the TrafficSplit Flagger writes and reports Linkerd's response_total.
 */
import type { KubeObject } from '../store';
import {
  acceptanceTestWebhook,
  canaryYaml,
  demoAppYaml,
  loadTestWebhook,
  namespaceYaml,
  parseManifests,
  PODINFO_IMAGE,
} from './common';

export interface LinkerdScenarioOptions {
  namespace?: string;
  name?: string;
  image?: string;
}

/** The control plane's namespace and destination service (what `linkerd install` adds). */
export function linkerdControlPlane(): KubeObject[] {
  return parseManifests(`${namespaceYaml('linkerd', { 'linkerd.io/is-control-plane': '"true"' })}---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: linkerd-destination
  namespace: linkerd
  labels: { linkerd.io/control-plane-component: destination }
spec:
  replicas: 1
  selector:
    matchLabels: { linkerd.io/control-plane-component: destination }
  template:
    metadata:
      labels: { linkerd.io/control-plane-component: destination }
    spec:
      containers:
        - name: destination
          image: cr.l5d.io/linkerd/controller:stable-2.14.10
          ports: [{ name: grpc, containerPort: 8086 }]
---
apiVersion: v1
kind: Service
metadata:
  name: linkerd-dst
  namespace: linkerd
  annotations: { playground.aviary.dev/traffic-rate: "0" }
spec:
  selector: { linkerd.io/control-plane-component: destination }
  ports: [{ name: grpc, port: 8086, targetPort: 8086 }]
`);
}

/** One meshed namespace with podinfo, its loadtester and a Linkerd canary. */
export function linkerdDemo(options: LinkerdScenarioOptions = {}): KubeObject[] {
  return meshDemo('linkerd', options);
}

/**
 * The same for Open Service Mesh: the namespace monitored by OSM (`osm namespace add`), the
 * canary with `provider: osm` (an SMI v1alpha2 TrafficSplit, OSM's builtin checks).
 */
export function osmDemo(options: LinkerdScenarioOptions = {}): KubeObject[] {
  return meshDemo('osm', { namespace: 'osm-demo', ...options });
}

function meshDemo(mesh: 'linkerd' | 'osm', options: LinkerdScenarioOptions): KubeObject[] {
  const ns = options.namespace ?? 'mesh';
  const name = options.name ?? 'podinfo';
  const image = options.image ?? PODINFO_IMAGE;
  const membership =
    mesh === 'linkerd'
      ? { annotations: { 'linkerd.io/inject': 'enabled' } }
      : { labels: { 'openservicemesh.io/monitored-by': 'osm' } };
  return parseManifests(
    [
      demoAppYaml(ns, name, { ...membership, image }),
      canaryYaml({
        ns,
        name,
        provider: mesh,
        service: '    port: 9898\n    targetPort: 9898\n',
        durationInterval: '30s',
        webhooks:
          acceptanceTestWebhook(ns, `http://${name}-canary.${ns}:9898/`) +
          loadTestWebhook(ns, `http://${name}.${ns}:9898/`, { type: 'rollout' }),
      }),
    ].join('---\n'),
  );
}
