/**
 * The canary detail's engine side: which actions are allowed and why not (cluster, phase,
 * gates, RBAC through SelfSubjectAccessReview), the loadtester gate API, YAML error lines,
 * and the generated objects by provider.
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type {
  CanaryActionName,
  CanaryGateInfo,
  CanarySummary,
  ClusterControl,
} from '../../src/shared/api';
import { ManualClock } from '../../src/shared/clock';
import { parseCanary, type Canary } from '../../src/core/canary';
import {
  AccessReviewer,
  type AccessAnswer,
  type AccessCheck,
} from '../../src/core/kube/access-review';
import type { KubeApi, KubeObject } from '../../src/core/kube/api';
import type { ClusterHttp, ClusterHttpRequest } from '../../src/core/kube/cluster-address';
import {
  actionRules,
  errorLines,
  fieldPathSegments,
  objectYaml,
  resolveActions,
  type ActionContext,
} from '../../src/core/fleet/canary-detail';
import { generatedRefs, objectStatusLine } from '../../src/core/fleet/generated-objects';
import { NginxRouter } from '../../src/core/routers';
import { MemoryClusterStore } from '../../src/sim/apiserver/memory-store';
import { storeKubeApi } from '../support/store-kube-api';
import { canaryGates, gateUrl, operateGates } from '../../src/core/webhooks/gates';
import { ApiFaults } from '../../src/sim/apiserver/faults';
import { nginxYaml } from './canary-fixtures';

function summary(over: Partial<CanarySummary> = {}): CanarySummary {
  return {
    key: 'prod/test/podinfo',
    context: 'prod',
    namespace: 'test',
    name: 'podinfo',
    phase: 'Progressing',
    canaryWeight: 20,
    failedChecks: 0,
    threshold: 5,
    iterations: 0,
    maxWeight: 50,
    strategy: 'canary',
    provider: 'nginx',
    target: { kind: 'Deployment', name: 'podinfo' },
    suspended: false,
    controller: 'aviary',
    ...over,
  };
}

const gate: CanaryGateInfo = {
  name: 'ask',
  type: 'confirm-promotion',
  url: 'http://flagger-loadtester.test/gate/check',
  operable: true,
};

function ctx(over: Partial<ActionContext> = {}): ActionContext {
  return {
    summary: summary(),
    control: { context: 'prod', mode: 'controlling' },
    playground: true,
    gates: [gate],
    gateNamespaces: ['test'],
    ...over,
  };
}

const allow = async (): Promise<{ allowed: boolean }> => ({ allowed: true });

async function availability(
  c: ActionContext,
  can: (check: AccessCheck) => Promise<AccessAnswer> = allow,
) {
  return resolveActions(actionRules(c), can);
}

const reasons = (a: Record<CanaryActionName, { allowed: boolean; reason?: string }>) =>
  Object.fromEntries(Object.entries(a).map(([k, v]) => [k, v.allowed ? 'ok' : v.reason]));

describe('allowed actions and their reasons', () => {
  it('a Progressing canary on a controlled cluster: everything but retry and resume', async () => {
    const a = await availability(ctx());
    expect(reasons(a)).toEqual({
      promote: 'ok',
      rollback: 'ok',
      pause: 'ok',
      resume: 'podinfo.test is not paused',
      retry: 'cannot retry podinfo.test in phase Progressing: only while Failed',
      openGate: 'ok',
      closeGate: 'ok',
      release: 'ok',
    });
  });

  it('phases: promote only while Progressing or WaitingPromotion; retry only when Failed', async () => {
    const failed = await availability(ctx({ summary: summary({ phase: 'Failed' }) }));
    expect(failed.promote.reason).toBe(
      'cannot promote podinfo.test in phase Failed: only while Progressing or WaitingPromotion',
    );
    expect(failed.rollback.reason).toBe(
      'cannot roll back podinfo.test in phase Failed: only while Progressing, Waiting or WaitingPromotion',
    );
    expect(failed.retry.allowed).toBe(true);
    const waiting = await availability(ctx({ summary: summary({ phase: 'WaitingPromotion' }) }));
    expect(waiting.promote.allowed).toBe(true);
    expect(waiting.rollback.allowed).toBe(true);
  });

  it('an observed or offline cluster allows nothing, and says so', async () => {
    for (const control of [
      { context: 'prod', mode: 'observing' },
      { context: 'prod', mode: 'offline', message: 'connect ECONNREFUSED' },
    ] satisfies ClusterControl[]) {
      const a = await availability(ctx({ control }));
      expect(Object.values(a).every((v) => !v.allowed)).toBe(true);
      expect(a.pause.reason).toBe(
        control.mode === 'observing'
          ? 'prod is observed only: turn control on for this cluster to act on its canaries'
          : 'prod is not connected: connect ECONNREFUSED',
      );
    }
  });

  it('standby names who holds the Lease', async () => {
    const a = await availability(
      ctx({ control: { context: 'prod', mode: 'standby', holder: 'bob@desk_ab12' } }),
    );
    expect(a.rollback.reason).toBe("bob@desk_ab12 controls prod (it holds the cluster's Lease)");
    expect(a.openGate.allowed).toBe(false);
  });

  it('Flagger drives it: only pause/resume and the gates', async () => {
    const a = await availability(
      ctx({
        control: { context: 'prod', mode: 'flagger', message: 'Flagger runs in flagger-system' },
        playground: false,
      }),
    );
    expect(a.promote.reason).toMatch(/^an in-cluster Flagger drives podinfo\.test/);
    expect(a.rollback.allowed).toBe(false);
    expect(a.retry.allowed).toBe(false);
    expect(a.pause.allowed).toBe(true);
    expect(a.openGate.allowed).toBe(true);
    expect(a.closeGate.allowed).toBe(true);
    expect(a.release.reason).toBe(
      'prod is not a playground cluster: release through your own pipeline',
    );
  });

  it('gates need a confirm webhook on the gate API', async () => {
    expect((await availability(ctx({ gates: [] }))).openGate.reason).toBe(
      'podinfo.test has no confirm-rollout, confirm-traffic-increase or confirm-promotion webhook',
    );
    const custom = await availability(ctx({ gates: [{ ...gate, operable: false }] }));
    expect(custom.closeGate.reason).toMatch(/do not use the loadtester's gate API/);
  });

  it('an invalid canary may still be paused, nothing else', async () => {
    const a = await availability(
      ctx({ summary: summary({ errors: [{ path: 'spec.analysis', message: 'x' }] }) }),
    );
    expect(a.promote.reason).toBe('podinfo.test is invalid: fix its spec first (see the YAML)');
    expect(a.pause.allowed).toBe(true);
  });

  it('RBAC: each action asks about its own writes, and says which one is denied', async () => {
    const asked: AccessCheck[] = [];
    const can = async (check: AccessCheck) => {
      asked.push(check);
      const denied = check.resource === 'canaries' && check.subresource === 'status';
      return denied ? { allowed: false, reason: 'no RoleBinding' } : { allowed: true };
    };
    const a = await availability(ctx(), can);
    expect(a.rollback.reason).toBe(
      'RBAC denies update canaries/status.flagger.app in test (no RoleBinding)',
    );
    expect(a.promote.allowed).toBe(false);
    expect(a.pause.allowed).toBe(true);
    expect(a.openGate.allowed).toBe(true);
    expect(asked).toContainEqual({
      verb: 'create',
      group: '',
      resource: 'services',
      subresource: 'proxy',
      namespace: 'test',
    });
    expect(asked).toContainEqual({
      verb: 'patch',
      group: 'flagger.app',
      resource: 'canaries',
      namespace: 'test',
    });
    // Actions already refused for another reason ask nothing.
    expect(asked.some((c) => c.verb === 'update' && c.resource === 'deployments')).toBe(true);
  });
});

describe('AccessReviewer (SelfSubjectAccessReview)', () => {
  function fakeApi(answer: (attrs: Record<string, unknown>) => boolean | Error) {
    const sent: KubeObject[] = [];
    const api = {
      context: 'prod',
      create: async (object: KubeObject) => {
        sent.push(object);
        const attrs = (object.spec as { resourceAttributes: Record<string, unknown> })
          .resourceAttributes;
        const result = answer(attrs);
        if (result instanceof Error) throw result;
        return { ...object, status: { allowed: result, ...(result ? {} : { reason: 'nope' }) } };
      },
    } as unknown as KubeApi;
    return { api, sent };
  }
  const check: AccessCheck = {
    verb: 'update',
    group: 'flagger.app',
    resource: 'canaries',
    subresource: 'status',
    namespace: 'test',
  };

  it('sends authorization.k8s.io/v1 reviews and remembers answers for a minute', async () => {
    const clock = new ManualClock(0);
    const { api, sent } = fakeApi((attrs) => attrs.verb !== 'update');
    const reviewer = new AccessReviewer(api, { clock });
    expect(await reviewer.can(check)).toEqual({ allowed: false, reason: 'nope' });
    expect(sent[0]).toMatchObject({
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: { resourceAttributes: { ...check } },
    });
    await reviewer.can(check);
    expect(sent).toHaveLength(1);
    await clock.advance(61_000);
    await reviewer.can(check);
    expect(sent).toHaveLength(2);
    expect(await reviewer.can({ ...check, verb: 'get' })).toEqual({ allowed: true });
  });

  it('a review that fails is not a denial (the action itself will tell)', async () => {
    const { api, sent } = fakeApi(() => new Error('forbidden'));
    const reviewer = new AccessReviewer(api, { clock: new ManualClock(0) });
    expect(await reviewer.can(check)).toEqual({ allowed: true, unknown: true });
    await new Promise((r) => setTimeout(r, 0));
    await reviewer.can(check);
    expect(sent).toHaveLength(2);
  });
});

describe('the playground answers SelfSubjectAccessReviews', () => {
  it('allows everything unless a test denies a verb on a resource', async () => {
    const faults = new ApiFaults({ dropWatches: () => 0, setReachable: async () => undefined });
    const attrs = { verb: 'update', group: 'apps', resource: 'deployments', namespace: 'test' };
    expect(faults.deniedAccess(attrs)).toBeUndefined();
    faults.denyAccess([{ verb: 'update', resource: 'deployments' }]);
    expect(faults.deniedAccess(attrs)).toBeDefined();
    expect(faults.deniedAccess({ ...attrs, verb: 'get' })).toBeUndefined();
    expect(faults.deniedAccess({ ...attrs, resource: 'canaries' })).toBeUndefined();
    faults.denyAccess([{ namespace: 'other' }]);
    expect(faults.deniedAccess(attrs)).toBeUndefined();
    await faults.reset();
    expect(faults.deniedAccess(attrs)).toBeUndefined();
  });
});

function canaryWith(webhooks: unknown[]): Canary {
  const raw = parse(nginxYaml) as KubeObject;
  (raw.spec as { analysis: { webhooks: unknown[] } }).analysis.webhooks = webhooks;
  const parsed = parseCanary(raw);
  if (!('canary' in parsed)) throw new Error(JSON.stringify(parsed.errors));
  return parsed.canary;
}

describe('loadtester gates', () => {
  it('maps /gate/check to /gate/open and /gate/close; other URLs are not gates it can operate', () => {
    expect(gateUrl('http://flagger-loadtester.test/gate/check', 'open')).toBe(
      'http://flagger-loadtester.test/gate/open',
    );
    expect(gateUrl('http://lt.ops:8080/gate/check?x=1', 'close')).toBe(
      'http://lt.ops:8080/gate/close',
    );
    expect(gateUrl('http://flagger-loadtester.test/gate/approve', 'open')).toBeUndefined();
    expect(gateUrl('http://approvals.example.com/ok', 'open')).toBeUndefined();
  });

  it('lists confirm webhooks only, and POSTs {name, namespace} once per loadtester', async () => {
    const canary = canaryWith([
      { name: 'load', url: 'http://flagger-loadtester.test/', metadata: { cmd: 'hey' } },
      { name: 'go', type: 'confirm-rollout', url: 'http://flagger-loadtester.test/gate/check' },
      { name: 'ok', type: 'confirm-promotion', url: 'http://flagger-loadtester.test/gate/check' },
      { name: 'ext', type: 'confirm-promotion', url: 'http://approvals.example.com/ok' },
    ]);
    expect(canaryGates(canary).map((g) => [g.name, g.type, g.operable])).toEqual([
      ['go', 'confirm-rollout', true],
      ['ok', 'confirm-promotion', true],
      ['ext', 'confirm-promotion', false],
    ]);
    const sent: ClusterHttpRequest[] = [];
    const http: ClusterHttp = {
      request: async (req) => {
        sent.push(req);
        return { status: 202, headers: {}, body: '' };
      },
    };
    expect(await operateGates(http, canary, 'open')).toEqual([
      'http://flagger-loadtester.test/gate/open',
    ]);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ method: 'POST', namespace: 'test' });
    expect(JSON.parse(sent[0]?.body ?? '')).toEqual({ name: 'podinfo', namespace: 'test' });
  });

  it('a refused POST is an error with the status', async () => {
    const canary = canaryWith([
      { name: 'go', type: 'confirm-rollout', url: 'http://flagger-loadtester.test/gate/check' },
    ]);
    const http: ClusterHttp = {
      request: async () => ({ status: 400, headers: {}, body: '' }),
    };
    await expect(operateGates(http, canary, 'close')).rejects.toThrow(
      'POST http://flagger-loadtester.test/gate/close answered 400',
    );
  });
});

describe('YAML and error lines', () => {
  it('splits field paths with indexes', () => {
    expect(fieldPathSegments('spec.analysis.metrics[1].thresholdRange')).toEqual([
      'spec',
      'analysis',
      'metrics',
      1,
      'thresholdRange',
    ]);
  });

  it('drops managedFields and points each error at its line (or the nearest parent)', () => {
    const object = parse(nginxYaml) as KubeObject;
    object.metadata.managedFields = [{ manager: 'kubectl' }];
    const yaml = objectYaml(object);
    expect(yaml).not.toContain('managedFields');
    const lines = yaml.split('\n');
    const [step, metric, missing] = errorLines(yaml, [
      { path: 'spec.analysis.stepWeight', message: 'too big' },
      { path: 'spec.analysis.metrics[0].thresholdRange', message: 'bad' },
      { path: 'spec.analysis.nothingHere', message: 'required' },
    ]);
    expect(lines[(step?.line ?? 0) - 1]).toMatch(/^\s+stepWeight: 5$/);
    expect(lines[(metric?.line ?? 0) - 1]).toMatch(/^\s+thresholdRange:$/);
    expect(lines[(missing?.line ?? 0) - 1]).toMatch(/^\s+analysis:$/);
  });
});

describe('generated objects', () => {
  it("names Flagger's objects for an NGINX canary with an HPA", () => {
    const canary = canaryWith([]);
    const router = new NginxRouter(storeKubeApi(new MemoryClusterStore()));
    expect(generatedRefs(canary, router).map((r) => `${r.kind}/${r.name} (${r.role})`)).toEqual([
      'Deployment/podinfo-primary (primary)',
      'Service/podinfo (apex service)',
      'Service/podinfo-primary (primary service)',
      'Service/podinfo-canary (canary service)',
      'Ingress/podinfo-canary (canary ingress)',
      'HorizontalPodAutoscaler/podinfo-primary (primary autoscaler)',
    ]);
  });

  it('says each one in a line', () => {
    expect(objectStatusLine(undefined)).toBe('not created yet');
    expect(
      objectStatusLine({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'podinfo-primary' },
        spec: {
          replicas: 2,
          template: { spec: { containers: [{ image: 'ghcr.io/stefanprodan/podinfo:6.0.1' }] } },
        },
        status: { readyReplicas: 2 },
      }),
    ).toBe('2/2 ready · podinfo:6.0.1');
    expect(
      objectStatusLine({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: {
          name: 'podinfo-canary',
          annotations: { 'nginx.ingress.kubernetes.io/canary-weight': '20' },
        },
      }),
    ).toBe('canary-weight 20');
  });
});
