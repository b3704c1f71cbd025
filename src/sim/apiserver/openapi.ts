/**
 * Just enough OpenAPI for kubectl. kubectl apply/create validate by asking whether the
 * PATCH operation of a kind takes the `fieldValidation` query parameter in the OpenAPI v3
 * document of its group-version; when it does, validation happens server-side and kubectl
 * needs no schemas. The documents deliberately carry no component schemas, so kubectl
 * computes strategic merge patches from its compiled-in types (with the right merge keys).
 * /openapi/v2 is protobuf-only in client-go and is not served (404), which kubectl tolerates.
 */
import { createHash } from 'node:crypto';
import { groupVersion } from './discovery';
import type { ResourceRegistry, ResourceType } from './resources';

function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

function groupVersions(registry: ResourceRegistry): { group: string; version: string }[] {
  const seen = new Map<string, { group: string; version: string }>();
  for (const t of registry.all()) {
    for (const v of t.versions) seen.set(gvPath(t.group, v), { group: t.group, version: v });
  }
  return [...seen.values()];
}

const patchParameters = ['dryRun', 'fieldManager', 'fieldValidation', 'force', 'pretty'].map(
  (name) => ({
    name,
    in: 'query',
    schema: { type: name === 'force' ? 'boolean' : 'string' },
    uniqueItems: true,
  }),
);

function pathsFor(type: ResourceType, version: string): Record<string, object> {
  const gvk = { group: type.group, version, kind: type.kind };
  const base = `/${gvPath(type.group, version)}${type.namespaced ? '/namespaces/{namespace}' : ''}/${type.plural}`;
  const operation = (action: string) => ({
    operationId: `${action}${type.kind}`,
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk,
    responses: { '200': { description: 'OK' } },
  });
  if (type.virtual)
    return { [base]: { post: { ...operation('create'), parameters: patchParameters } } };
  return {
    [base]: {
      get: operation('list'),
      post: { ...operation('create'), parameters: patchParameters },
    },
    [`${base}/{name}`]: {
      get: operation('get'),
      put: { ...operation('put'), parameters: patchParameters },
      patch: { ...operation('patch'), parameters: patchParameters },
      delete: operation('delete'),
    },
  };
}

export function openApiV3Group(registry: ResourceRegistry, path: string): object | undefined {
  const gv = groupVersions(registry).find((g) => gvPath(g.group, g.version) === path);
  if (!gv) return undefined;
  const paths: Record<string, object> = {};
  for (const t of registry.all()) {
    if (t.group === gv.group && t.versions.includes(gv.version))
      Object.assign(paths, pathsFor(t, gv.version));
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.4' },
    paths,
    components: { schemas: {} },
  };
}

export function openApiV3Root(registry: ResourceRegistry): object {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const { group, version } of groupVersions(registry)) {
    const path = gvPath(group, version);
    // The hash changes with the served kinds, so clients' cached documents are refreshed after a CRD change.
    const kinds = registry
      .all()
      .filter((t) => t.group === group && t.versions.includes(version))
      .map((t) => `${t.plural}:${t.kind}:${t.namespaced}`)
      .sort()
      .join(',');
    const hash = createHash('sha256')
      .update(`${groupVersion(group, version)}|${kinds}`)
      .digest('hex')
      .toUpperCase();
    paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${hash}` };
  }
  return { paths };
}
