/**
 * Legacy discovery documents (/api, /apis, /api/v1, /apis/G/V) built from the registry on
 * each request, so a CRD is discoverable the moment it is created. Aggregated discovery
 * is not served: clients that ask for it get the legacy APIGroupList and fall back.
 */
import type { ResourceRegistry, ResourceType } from './resources';

export const KUBE_VERSION = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.4-aviary-playground',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z',
  goVersion: 'go1.23.8',
  compiler: 'gc',
  platform: 'linux/amd64',
};

/** kube-apiserver's group order; kubectl resolves ambiguous short names by it. */
const GROUP_ORDER = [
  'apiregistration.k8s.io',
  'apps',
  'events.k8s.io',
  'authentication.k8s.io',
  'authorization.k8s.io',
  'autoscaling',
  'networking.k8s.io',
  'coordination.k8s.io',
  'apiextensions.k8s.io',
];

interface GroupVersion {
  groupVersion: string;
  version: string;
}

export function groupVersion(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}

/** Named groups with their versions, built-ins first in kube-apiserver's order, then CRD groups. */
export function apiGroups(registry: ResourceRegistry): { name: string; versions: string[] }[] {
  const versionsByGroup = new Map<string, string[]>();
  for (const type of registry.all()) {
    if (!type.group) continue;
    const versions = versionsByGroup.get(type.group) ?? [];
    for (const v of type.versions) if (!versions.includes(v)) versions.push(v);
    versionsByGroup.set(type.group, versions);
  }
  const rank = (g: string) => {
    const i = GROUP_ORDER.indexOf(g);
    return i >= 0 ? i : GROUP_ORDER.length;
  };
  return [...versionsByGroup.entries()]
    .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))
    .map(([name, versions]) => ({ name, versions: sortVersions(versions) }));
}

/** Kubernetes version priority: GA > beta > alpha, higher numbers first. */
function sortVersions(versions: string[]): string[] {
  const score = (v: string) => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return -1;
    const stability = m[2] === 'alpha' ? 0 : m[2] === 'beta' ? 1 : 2;
    return stability * 1e6 + Number(m[1]) * 1e3 + Number(m[3] ?? 0);
  };
  return [...versions].sort((a, b) => score(b) - score(a));
}

export function apiVersions(serverAddress: string): object {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function groupDoc(group: { name: string; versions: string[] }): object {
  const versions: GroupVersion[] = group.versions.map((v) => ({
    groupVersion: `${group.name}/${v}`,
    version: v,
  }));
  return { name: group.name, versions, preferredVersion: versions[0] };
}

export function apiGroupList(registry: ResourceRegistry): object {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: apiGroups(registry).map(groupDoc) };
}

export function apiGroup(registry: ResourceRegistry, name: string): object | undefined {
  const group = apiGroups(registry).find((g) => g.name === name);
  return group ? { kind: 'APIGroup', apiVersion: 'v1', ...groupDoc(group) } : undefined;
}

function resourceEntries(type: ResourceType): object[] {
  const base = {
    name: type.plural,
    singularName: type.singular,
    namespaced: type.namespaced,
    kind: type.kind,
    verbs: type.verbs,
    ...(type.shortNames.length ? { shortNames: type.shortNames } : {}),
    ...(type.categories.length ? { categories: type.categories } : {}),
  };
  const entries: object[] = [base];
  if (type.status) {
    entries.push({
      name: `${type.plural}/status`,
      singularName: '',
      namespaced: type.namespaced,
      kind: type.kind,
      verbs: ['get', 'patch', 'update'],
    });
  }
  if (type.scale) {
    entries.push({
      name: `${type.plural}/scale`,
      singularName: '',
      namespaced: type.namespaced,
      group: 'autoscaling',
      version: 'v1',
      kind: 'Scale',
      verbs: ['get', 'patch', 'update'],
    });
  }
  for (const sub of type.extraSubresources ?? []) {
    entries.push({
      name: `${type.plural}/${sub.name}`,
      singularName: '',
      namespaced: type.namespaced,
      kind: sub.kind,
      verbs: sub.verbs,
    });
  }
  return entries;
}

export function apiResourceList(
  registry: ResourceRegistry,
  group: string,
  version: string,
): object | undefined {
  const types = registry.all().filter((t) => t.group === group && t.versions.includes(version));
  if (types.length === 0) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: groupVersion(group, version),
    resources: types.flatMap(resourceEntries),
  };
}
