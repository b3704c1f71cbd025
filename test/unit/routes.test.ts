import { describe, expect, it } from 'vitest';
import {
  canaryKeyOf,
  canaryRoute,
  formatRoute,
  holdsToken,
  parseRoute,
  type Route,
} from '../../src/renderer/src/lib/routes';

describe('routes', () => {
  it('reads the three places', () => {
    expect(parseRoute('')).toEqual({ view: 'fleet' });
    expect(parseRoute('#/')).toEqual({ view: 'fleet' });
    expect(parseRoute('#/cluster/prod')).toEqual({ view: 'cluster', context: 'prod' });
    expect(parseRoute('#/cluster/prod/test/podinfo')).toEqual({
      view: 'canary',
      context: 'prod',
      namespace: 'test',
      name: 'podinfo',
    });
  });

  it('round-trips context names holding / : and @', () => {
    const names = [
      'arn:aws:eks:eu-west-1:123456789012:cluster/prod',
      'alice@kind-dev',
      'gke_project_europe-west1_a b',
      'weird%name?#x',
    ];
    for (const context of names) {
      const routes: Route[] = [
        { view: 'cluster', context },
        { view: 'canary', context, namespace: 'test', name: 'podinfo' },
        { view: 'fleet', cluster: context, namespace: 'test' },
      ];
      for (const route of routes) {
        const hash = formatRoute(route);
        expect(hash.slice(2)).not.toMatch(/[:@#]/);
        expect(parseRoute(hash)).toEqual(route);
      }
    }
    expect(formatRoute({ view: 'cluster', context: 'a/b' })).toBe('#/cluster/a%2Fb');
  });

  it('keeps fleet filters in the query, dropping unknown phases', () => {
    const route: Route = { view: 'fleet', phase: 'failed', q: 'pod info', namespace: 'test' };
    expect(parseRoute(formatRoute(route))).toEqual(route);
    expect(parseRoute('#/?phase=bogus&q=x')).toEqual({ view: 'fleet', q: 'x' });
  });

  it("never treats web mode's token as a route", () => {
    expect(holdsToken('#token=abc')).toBe(true);
    expect(parseRoute('#token=abc')).toEqual({ view: 'fleet' });
    expect(parseRoute('#/cluster/x&token=abc')).toEqual({ view: 'fleet' });
    expect(parseRoute('#/?token=abc')).toEqual({ view: 'fleet' });
    expect(holdsToken('#/cluster/tokens')).toBe(false);
    expect(parseRoute('#/cluster/token%3Dx')).toEqual({ view: 'cluster', context: 'token=x' });
  });

  it('falls back to the fleet for anything else', () => {
    for (const hash of ['#/cluster', '#/cluster/a/b', '#/nope', '#/cluster/%E0%A4%A', '#x'])
      expect(parseRoute(hash)).toEqual({ view: 'fleet' });
  });

  it('splits canary keys on their last two slashes', () => {
    const route = canaryRoute('arn:aws:eks:x:1:cluster/prod/test/podinfo');
    expect(route).toEqual({
      view: 'canary',
      context: 'arn:aws:eks:x:1:cluster/prod',
      namespace: 'test',
      name: 'podinfo',
    });
    expect(canaryKeyOf(route as { context: string; namespace: string; name: string })).toBe(
      'arn:aws:eks:x:1:cluster/prod/test/podinfo',
    );
    expect(canaryRoute('no-slashes')).toBeUndefined();
    expect(canaryRoute('/ns/name')).toBeUndefined();
  });
});
