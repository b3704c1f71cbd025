import { describe, expect, it } from 'vitest';
import {
  applyPrimaryConfigs,
  configChecksum,
  configTrackingDisabled,
  findConfigReferences,
  goJsonMarshalStringMap,
  hasConfigChanged,
  trackConfigMap,
  trackConfigs,
  trackSecret,
} from '../../src/core/canary/config-tracker';
import type { ConfigObject, PodSpec } from '../../src/core/canary/config-tracker';

/** A pod spec in the shape of Flagger's deployment fixture: every kind of config reference. */
function podSpec(): PodSpec {
  return {
    containers: [
      {
        name: 'podinfo',
        image: 'podinfo:6.0.0',
        env: [
          { name: 'PLAIN', value: 'x' },
          {
            name: 'COLOR',
            valueFrom: { configMapKeyRef: { name: 'podinfo-config-env', key: 'color' } },
          },
          {
            name: 'API_KEY',
            valueFrom: { secretKeyRef: { name: 'podinfo-secret-env', key: 'apiKey' } },
          },
          { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        ],
        envFrom: [
          { configMapRef: { name: 'podinfo-config-all-env' } },
          { secretRef: { name: 'podinfo-secret-all-env' } },
        ],
      },
    ],
    initContainers: [
      {
        name: 'init',
        envFrom: [{ configMapRef: { name: 'podinfo-config-init', optional: true } }],
      },
    ],
    volumes: [
      { name: 'config', configMap: { name: 'podinfo-config-vol' } },
      { name: 'secret', secret: { secretName: 'podinfo-secret-vol' } },
      {
        name: 'projected',
        projected: {
          sources: [
            { configMap: { name: 'podinfo-config-projected' } },
            { secret: { name: 'podinfo-secret-projected', optional: true } },
            { serviceAccountToken: { path: 'token' } },
          ],
        },
      },
      { name: 'scratch', emptyDir: {} },
    ],
  };
}

const cm = (
  data: Record<string, string> | null,
  annotations?: Record<string, string>,
): ConfigObject => ({
  metadata: { annotations },
  data,
});

describe('findConfigReferences', () => {
  it('scans volumes, projected sources, env, envFrom and init containers', () => {
    expect(findConfigReferences(podSpec())).toEqual([
      { kind: 'configmap', name: 'podinfo-config-vol', required: true },
      { kind: 'secret', name: 'podinfo-secret-vol', required: true },
      { kind: 'configmap', name: 'podinfo-config-projected', required: true },
      { kind: 'secret', name: 'podinfo-secret-projected', required: false },
      { kind: 'configmap', name: 'podinfo-config-env', required: true },
      { kind: 'secret', name: 'podinfo-secret-env', required: true },
      { kind: 'configmap', name: 'podinfo-config-all-env', required: true },
      { kind: 'secret', name: 'podinfo-secret-all-env', required: true },
      { kind: 'configmap', name: 'podinfo-config-init', required: false },
    ]);
  });

  it('lets the last reference decide whether a config is required, as Flagger’s map does', () => {
    const spec: PodSpec = {
      volumes: [{ name: 'v', configMap: { name: 'c' } }],
      containers: [{ envFrom: [{ configMapRef: { name: 'c', optional: true } }] }],
    };
    expect(findConfigReferences(spec)).toEqual([{ kind: 'configmap', name: 'c', required: false }]);
  });
});

describe('checksums', () => {
  it("marshals like Go's json.Marshal (sorted keys, HTML escaping, nil → null)", () => {
    expect(goJsonMarshalStringMap({ output: 'console', color: 'red' })).toBe(
      '{"color":"red","output":"console"}',
    );
    expect(goJsonMarshalStringMap({ a: '<b> &' })).toBe('{"a":"\\u003cb\\u003e \\u0026"}');
    expect(goJsonMarshalStringMap(undefined)).toBe('null');
    expect(goJsonMarshalStringMap({})).toBe('{}');
  });

  it('is the hex of the first 8 bytes of sha256 (values computed independently)', () => {
    expect(configChecksum({ output: 'console', color: 'red' })).toBe('524d336c0d2f03e8');
    expect(configChecksum(null)).toBe('74234e98afe7498f');
    expect(configChecksum({ a: '<b> &' })).toBe('48a4c70f99cbecec');
    // Secret data is map[string][]byte: Go marshals it as the same base64 the API returns.
    expect(
      trackSecret('db', { type: 'Opaque', data: { password: 'cGFzc3dvcmQ=' } })?.checksum,
    ).toBe('65bd6be9c3b3eca1');
  });
});

describe('tracking', () => {
  it('skips configs annotated flagger.app/config-tracking: disabled (any "disable…" value)', () => {
    expect(configTrackingDisabled(cm({}, { 'flagger.app/config-tracking': 'disabled' }))).toBe(
      true,
    );
    expect(configTrackingDisabled(cm({}, { 'flagger.app/config-tracking': 'disable' }))).toBe(true);
    expect(configTrackingDisabled(cm({}, { 'flagger.app/config-tracking': 'enabled' }))).toBe(
      false,
    );
    expect(
      trackConfigMap('c', cm({ a: 'b' }, { 'flagger.app/config-tracking': 'disabled' })),
    ).toBeNull();
  });

  it('tracks only Opaque, basic-auth, ssh-auth and tls secrets', () => {
    for (const type of [
      'Opaque',
      'kubernetes.io/basic-auth',
      'kubernetes.io/ssh-auth',
      'kubernetes.io/tls',
    ]) {
      expect(trackSecret('s', { type, data: {} })).not.toBeNull();
    }
    for (const type of [
      'kubernetes.io/dockerconfigjson',
      'kubernetes.io/service-account-token',
      'bootstrap.kubernetes.io/token',
    ]) {
      expect(trackSecret('s', { type, data: {} })).toBeNull();
    }
  });

  it('builds trackedConfigs, skipping missing optional configs and failing on required ones', () => {
    const objects: Record<string, ConfigObject> = {
      'configmap/podinfo-config-vol': cm({ color: 'red' }),
      'secret/podinfo-secret-vol': { type: 'Opaque', data: { k: 'dg==' } },
      'configmap/podinfo-config-projected': cm(
        { a: '1' },
        { 'flagger.app/config-tracking': 'disabled' },
      ),
      'configmap/podinfo-config-env': cm({ color: 'blue' }),
      'secret/podinfo-secret-env': { type: 'kubernetes.io/dockerconfigjson', data: {} },
      'configmap/podinfo-config-all-env': cm(null),
      'secret/podinfo-secret-all-env': { type: 'kubernetes.io/tls', data: { 'tls.crt': 'eA==' } },
    };
    const result = trackConfigs(podSpec(), 'test', (kind, name) => objects[`${kind}/${name}`]);
    expect('trackedConfigs' in result && result.trackedConfigs).toEqual({
      'configmap/podinfo-config-vol': configChecksum({ color: 'red' }),
      'secret/podinfo-secret-vol': configChecksum({ k: 'dg==' }),
      'configmap/podinfo-config-env': configChecksum({ color: 'blue' }),
      'configmap/podinfo-config-all-env': configChecksum(null),
      'secret/podinfo-secret-all-env': configChecksum({ 'tls.crt': 'eA==' }),
    });
    delete objects['configmap/podinfo-config-env'];
    expect(trackConfigs(podSpec(), 'test', (kind, name) => objects[`${kind}/${name}`])).toEqual({
      error:
        'configmap podinfo-config-env.test get query error: configmaps "podinfo-config-env" not found',
    });
  });

  it.each([
    [undefined, {}, false],
    [undefined, { 'configmap/a': '1' }, true],
    [{}, {}, false],
    [{ 'configmap/a': '1' }, {}, true],
    [{ 'configmap/a': '1' }, { 'configmap/a': '1' }, false],
    [{ 'configmap/a': '1' }, { 'configmap/a': '2' }, true],
    [{ 'configmap/a': '1' }, { 'secret/a': '1' }, true],
    [{ 'configmap/a': '1' }, { 'configmap/a': '1', 'secret/b': '2' }, true],
  ])('hasConfigChanged(%j, %j) = %s', (tracked, current, changed) => {
    expect(hasConfigChanged(tracked, current)).toBe(changed);
  });
});

describe('applyPrimaryConfigs', () => {
  it('points tracked refs at the -primary copies and leaves the rest', () => {
    const original = podSpec();
    const tracked = {
      'configmap/podinfo-config-vol': 'x',
      'secret/podinfo-secret-vol': 'x',
      'configmap/podinfo-config-projected': 'x',
      'secret/podinfo-secret-projected': 'x',
      'configmap/podinfo-config-env': 'x',
      'secret/podinfo-secret-all-env': 'x',
      'configmap/podinfo-config-init': 'x',
    };
    const primary = applyPrimaryConfigs(original, tracked);
    expect(findConfigReferences(primary).map((r) => `${r.kind}/${r.name}`)).toEqual([
      'configmap/podinfo-config-vol-primary',
      'secret/podinfo-secret-vol-primary',
      'configmap/podinfo-config-projected-primary',
      'secret/podinfo-secret-projected-primary',
      'configmap/podinfo-config-env-primary',
      'secret/podinfo-secret-env',
      'configmap/podinfo-config-all-env',
      'secret/podinfo-secret-all-env-primary',
      'configmap/podinfo-config-init-primary',
    ]);
    // The input is not modified.
    expect(original).toEqual(podSpec());
    expect(
      applyPrimaryConfigs(original, ['secret/podinfo-secret-env']).containers?.[0]?.env?.[2],
    ).toEqual({
      name: 'API_KEY',
      valueFrom: { secretKeyRef: { name: 'podinfo-secret-env-primary', key: 'apiKey' } },
    });
  });
});
