/**
 * The defaulting kube-apiserver applies on every write, for the built-in kinds whose
 * clients dereference defaulted fields (kubectl describe reads *spec.replicas, the
 * engine hashes the pod template as a real cluster returns it).
 */
import type { KubeObject } from '../store';

type Obj = Record<string, unknown>;

function obj(parent: Obj, key: string): Obj {
  const v = parent[key];
  if (v && typeof v === 'object' && !Array.isArray(v)) return v as Obj;
  const created: Obj = {};
  parent[key] = created;
  return created;
}

function setDefault(target: Obj, key: string, value: unknown): void {
  if (target[key] === undefined || target[key] === null) target[key] = value;
}

function list(parent: Obj, key: string): Obj[] {
  const v = parent[key];
  return Array.isArray(v) ? (v.filter((x) => x && typeof x === 'object') as Obj[]) : [];
}

function defaultContainer(c: Obj): void {
  const image = typeof c.image === 'string' ? c.image : '';
  const tag = image.includes('@') ? 'digest' : (/:([^/:]+)$/.exec(image)?.[1] ?? 'latest');
  setDefault(c, 'imagePullPolicy', tag === 'latest' ? 'Always' : 'IfNotPresent');
  setDefault(c, 'terminationMessagePath', '/dev/termination-log');
  setDefault(c, 'terminationMessagePolicy', 'File');
  setDefault(c, 'resources', {});
  for (const p of list(c, 'ports')) setDefault(p, 'protocol', 'TCP');
}

export function defaultPodSpec(spec: Obj): void {
  for (const c of [...list(spec, 'containers'), ...list(spec, 'initContainers')])
    defaultContainer(c);
  setDefault(spec, 'restartPolicy', 'Always');
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'securityContext', {});
  setDefault(spec, 'schedulerName', 'default-scheduler');
}

function defaultTemplate(spec: Obj): void {
  const template = obj(spec, 'template');
  obj(template, 'metadata');
  defaultPodSpec(obj(template, 'spec'));
}

function percentOrIntDefaults(target: Obj, keys: string[]): void {
  for (const k of keys) setDefault(target, k, '25%');
}

const defaulters: Record<string, (o: KubeObject) => void> = {
  'apps/deployments'(o) {
    const spec = obj(o, 'spec');
    setDefault(spec, 'replicas', 1);
    setDefault(spec, 'revisionHistoryLimit', 10);
    setDefault(spec, 'progressDeadlineSeconds', 600);
    const strategy = obj(spec, 'strategy');
    setDefault(strategy, 'type', 'RollingUpdate');
    if (strategy.type === 'RollingUpdate')
      percentOrIntDefaults(obj(strategy, 'rollingUpdate'), ['maxUnavailable', 'maxSurge']);
    defaultTemplate(spec);
  },
  'apps/replicasets'(o) {
    const spec = obj(o, 'spec');
    setDefault(spec, 'replicas', 1);
    defaultTemplate(spec);
  },
  'apps/statefulsets'(o) {
    const spec = obj(o, 'spec');
    setDefault(spec, 'replicas', 1);
    setDefault(spec, 'podManagementPolicy', 'OrderedReady');
    setDefault(spec, 'revisionHistoryLimit', 10);
    const strategy = obj(spec, 'updateStrategy');
    setDefault(strategy, 'type', 'RollingUpdate');
    defaultTemplate(spec);
  },
  'apps/daemonsets'(o) {
    const spec = obj(o, 'spec');
    setDefault(spec, 'revisionHistoryLimit', 10);
    const strategy = obj(spec, 'updateStrategy');
    setDefault(strategy, 'type', 'RollingUpdate');
    if (strategy.type === 'RollingUpdate') {
      const ru = obj(strategy, 'rollingUpdate');
      setDefault(ru, 'maxUnavailable', 1);
      setDefault(ru, 'maxSurge', 0);
    }
    defaultTemplate(spec);
  },
  '/pods'(o) {
    defaultPodSpec(obj(o, 'spec'));
    setDefault(obj(o, 'status'), 'phase', 'Pending');
  },
  '/services'(o) {
    const spec = obj(o, 'spec');
    setDefault(spec, 'type', 'ClusterIP');
    setDefault(spec, 'sessionAffinity', 'None');
    if (spec.type !== 'ExternalName') {
      setDefault(spec, 'ipFamilies', ['IPv4']);
      setDefault(spec, 'ipFamilyPolicy', 'SingleStack');
      setDefault(spec, 'internalTrafficPolicy', 'Cluster');
    }
    for (const p of list(spec, 'ports')) {
      setDefault(p, 'protocol', 'TCP');
      setDefault(p, 'targetPort', p.port);
    }
  },
  '/secrets'(o) {
    setDefault(o, 'type', 'Opaque');
  },
  '/namespaces'(o) {
    const labels = (o.metadata.labels ??= {});
    labels['kubernetes.io/metadata.name'] = o.metadata.name;
    setDefault(obj(o, 'status'), 'phase', 'Active');
  },
  'autoscaling/horizontalpodautoscalers'(o) {
    setDefault(obj(o, 'spec'), 'minReplicas', 1);
  },
};

/** Fills the defaults for this resource (group/plural key) in place. */
export function applyDefaults(resourceKey: string, object: KubeObject): void {
  defaulters[resourceKey]?.(object);
}
