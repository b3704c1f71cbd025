import { describe, expect, it } from 'vitest';
import {
  SAFE_ENCODE_ALPHABET,
  canaryChecksum,
  canonicalJson,
  computeHash,
  fnv32a,
  hasSpecChanged,
  podTemplateHash,
  safeEncodeString,
} from '../../src/core/canary/hash';

const template = (image: string, extra: Record<string, unknown> = {}) => ({
  metadata: { labels: { app: 'podinfo' }, annotations: { 'prometheus.io/scrape': 'true' } },
  spec: {
    containers: [
      { name: 'podinfod', image, ports: [{ containerPort: 9898, name: 'http' }], ...extra },
    ],
  },
});

describe('FNV-32a and SafeEncodeString', () => {
  it('matches the FNV-1a 32-bit reference values', () => {
    const enc = new TextEncoder();
    expect(fnv32a(enc.encode(''))).toBe(0x811c9dc5);
    expect(fnv32a(enc.encode('a'))).toBe(0xe40c292c);
    expect(fnv32a(enc.encode('foobar'))).toBe(0xbf9cf968);
  });

  it("maps each decimal digit as Go's rand.SafeEncodeString does", () => {
    expect(SAFE_ENCODE_ALPHABET).toBe('bcdfghjklmnpqrstvwxz2456789');
    // '0' is 48, 48 % 27 = 21 → '4'; ... '9' is 57, 57 % 27 = 3 → 'f'.
    expect(safeEncodeString('0123456789')).toBe('456789bcdf');
    expect(safeEncodeString('4294967295')).toBe('86f8fbc6f9');
  });

  it('encodes the decimal FNV-32a of the canonical JSON', () => {
    const value = { b: 1, a: 'x' };
    const json = canonicalJson(value);
    expect(json).toBe('{"a":"x","b":1}');
    expect(computeHash(value)).toBe(
      safeEncodeString(String(fnv32a(new TextEncoder().encode(json)))),
    );
    expect(computeHash(value)).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
  });
});

describe('revision hash', () => {
  it('does not depend on key order or undefined members', () => {
    const a = { spec: { template: template('ghcr.io/stefanprodan/podinfo:6.0.0') } };
    const b = {
      spec: {
        template: {
          spec: {
            containers: [
              {
                ports: [{ name: 'http', containerPort: 9898 }],
                image: 'ghcr.io/stefanprodan/podinfo:6.0.0',
                name: 'podinfod',
                args: undefined,
              },
            ],
          },
          metadata: { annotations: { 'prometheus.io/scrape': 'true' }, labels: { app: 'podinfo' } },
        },
      },
    };
    expect(podTemplateHash(a)).toBe(podTemplateHash(b));
    expect(podTemplateHash(a)).toBe(computeHash(template('ghcr.io/stefanprodan/podinfo:6.0.0')));
  });

  it('changes when the image or the env changes', () => {
    const h1 = computeHash(template('podinfo:6.0.0'));
    expect(computeHash(template('podinfo:6.0.1'))).not.toBe(h1);
    expect(computeHash(template('podinfo:6.0.0', { env: [{ name: 'A', value: '1' }] }))).not.toBe(
      h1,
    );
    expect(computeHash(template('podinfo:6.0.0'))).toBe(h1);
  });

  it('keeps array order significant', () => {
    expect(computeHash({ a: [1, 2] })).not.toBe(computeHash({ a: [2, 1] }));
  });

  it("applies hasSpecChanged's rules", () => {
    expect(hasSpecChanged(undefined, 'x')).toBe(true);
    expect(hasSpecChanged({ lastAppliedSpec: '' }, 'x')).toBe(true);
    expect(hasSpecChanged({ lastAppliedSpec: 'a', lastPromotedSpec: 'x' }, 'x')).toBe(false);
    expect(hasSpecChanged({ lastAppliedSpec: 'a', lastPromotedSpec: 'p' }, 'x')).toBe(true);
    expect(hasSpecChanged({ lastAppliedSpec: 'x', lastPromotedSpec: 'p' }, 'x')).toBe(false);
  });

  it('gives webhooks a checksum of tracked configs and last applied spec', () => {
    const s1 = canaryChecksum({ lastAppliedSpec: 'abc', trackedConfigs: { 'configmap/a': '1' } });
    expect(canaryChecksum({ lastAppliedSpec: 'abc', trackedConfigs: { 'configmap/a': '1' } })).toBe(
      s1,
    );
    expect(
      canaryChecksum({ lastAppliedSpec: 'abc', trackedConfigs: { 'configmap/a': '2' } }),
    ).not.toBe(s1);
    expect(
      canaryChecksum({ lastAppliedSpec: 'abd', trackedConfigs: { 'configmap/a': '1' } }),
    ).not.toBe(s1);
  });
});
