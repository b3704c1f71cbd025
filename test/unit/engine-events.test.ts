import { afterEach, describe, expect, it } from 'vitest';
import { createNotifier, type EmittedAlert } from '../../src/core/alerts/notifier';
import { alertAccepts, texts } from '../../src/core/canary';
import { createEventRecorder } from '../../src/core/controller/events';
import type { EngineLogRecord } from '../../src/core/controller/log';
import type { WebhookCaller } from '../../src/core/controller/ports';
import type { KubeApi, KubeObject } from '../../src/core/kube/api';
import { ManualClock } from '../../src/shared/clock';
import { storeKubeApi } from '../support/store-kube-api';
import { startTestCluster } from '../support/sim-cluster';
import { canaryOf, startReceiver } from './engine-fixtures';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

function setup() {
  const c = startTestCluster();
  cleanups.push(() => c.sim.stop());
  const api = storeKubeApi(c.store, { context: 'kind-staging' });
  const logs: EngineLogRecord[] = [];
  const hooks: Array<[string, string]> = [];
  const webhooks: WebhookCaller = {
    call: async () => undefined,
    callEventHooks: async (_c, message, type) => void hooks.push([message, type]),
  };
  const clock = new ManualClock(Date.parse('2026-03-01T10:00:00Z'));
  const events = createEventRecorder({ api, webhooks, log: (r) => logs.push(r), clock });
  const list = () => api.list<KubeObject & Record<string, unknown>>('v1', 'Event', 'test');
  return { api, logs, hooks, clock, events, list };
}

describe('event recorder', () => {
  it('writes a Synced Event on the Canary, a log record and the event webhooks', async () => {
    const { logs, hooks, events, list } = setup();
    const canary = canaryOf({});
    await events.info(canary, texts.initializationDone(canary));
    await events.warning(canary, texts.haltSuccessRateBelow(canary, 70.123, 99));
    await events.error(canary, texts.prometheusQueryFailed('boom'));
    const written = await list();
    expect(written.map((e) => [e.type, e.reason, e.message, e.count])).toEqual([
      ['Normal', 'Synced', 'Initialization done! podinfo.test', 1],
      ['Warning', 'Synced', 'Halt podinfo.test advancement success rate 70.12% < 99%', 1],
      ['Warning', 'Synced', 'Prometheus query failed: boom', 1],
    ]);
    expect(written[0]).toMatchObject({
      metadata: {
        name: expect.stringMatching(/^podinfo\.[0-9a-f]+$/) as string,
        namespace: 'test',
      },
      involvedObject: {
        kind: 'Canary',
        namespace: 'test',
        name: 'podinfo',
        uid: 'uid-1',
        apiVersion: 'flagger.app/v1beta1',
        resourceVersion: '7',
      },
      source: { component: 'flagger' },
      firstTimestamp: '2026-03-01T10:00:00Z',
      lastTimestamp: '2026-03-01T10:00:00Z',
    });
    expect(logs.map((l) => [l.level, l.canary, l.cluster, l.time])).toEqual([
      ['info', 'podinfo.test', 'kind-staging', '2026-03-01T10:00:00.000Z'],
      ['info', 'podinfo.test', 'kind-staging', '2026-03-01T10:00:00.000Z'],
      ['error', 'podinfo.test', 'kind-staging', '2026-03-01T10:00:00.000Z'],
    ]);
    expect(hooks.map((h) => h[1])).toEqual(['Normal', 'Warning', 'Warning']);
  });

  it('bumps count and lastTimestamp for a repeated message, as client-go does', async () => {
    const { events, list, clock } = setup();
    const canary = canaryOf({});
    const halt = texts.haltWaitingApproval(canary, 'gate');
    await events.warning(canary, halt);
    await clock.advance(10_000);
    await events.warning(canary, halt);
    await events.info(canary, 'Starting canary analysis for podinfo.test');
    await clock.advance(10_000);
    await events.warning(canary, halt);
    const written = await list();
    expect(written.map((e) => [e.message, e.count, e.firstTimestamp, e.lastTimestamp])).toEqual([
      [halt, 3, '2026-03-01T10:00:00Z', '2026-03-01T10:00:20Z'],
      [
        'Starting canary analysis for podinfo.test',
        1,
        '2026-03-01T10:00:10Z',
        '2026-03-01T10:00:10Z',
      ],
    ]);
  });

  it('folds the tenth distinct message within 10 minutes into "(combined from similar events)"', async () => {
    const { events, list } = setup();
    const canary = canaryOf({});
    for (let w = 1; w <= 12; w++) await events.info(canary, texts.advanceCanaryWeight(canary, w));
    const written = await list();
    expect(written).toHaveLength(10);
    expect(written.at(-1)).toMatchObject({
      message: '(combined from similar events): Advance podinfo.test canary weight 12',
      count: 3,
    });
  });

  it('logs a failed Event write and still calls the event webhooks', async () => {
    const { api, logs, hooks, clock } = setup();
    const broken: KubeApi = { ...api, create: () => Promise.reject(new Error('etcd is sad')) };
    const events = createEventRecorder({
      api: broken,
      webhooks: {
        call: async () => undefined,
        callEventHooks: async (_c, m, t) => void hooks.push([m, t]),
      },
      log: (r) => logs.push(r),
      clock,
    });
    await expect(events.info(canaryOf({}), 'hello')).resolves.toBeUndefined();
    expect(logs.map((l) => l.level)).toEqual(['info', 'error']);
    expect(logs[1]?.message).toContain('etcd is sad');
    expect(hooks).toEqual([['hello', 'Normal']]);
  });
});

describe('notifier', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');

  async function slackSetup(alerts: unknown[], clusterName?: string) {
    const receiver = await startReceiver(() => ({ status: 200, body: 'ok' }));
    cleanups.push(() => receiver.close());
    const { api } = setup();
    await api.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'slack', namespace: 'test' },
      data: { address: b64(`${receiver.url}/services/T0/B0/s3cret`), token: b64('xoxb-tok') },
    });
    await api.create({
      apiVersion: 'flagger.app/v1beta1',
      kind: 'AlertProvider',
      metadata: { name: 'on-call', namespace: 'test' },
      spec: { type: 'slack', channel: 'on-call', secretRef: { name: 'slack' } },
    });
    await api.create({
      apiVersion: 'flagger.app/v1beta1',
      kind: 'AlertProvider',
      metadata: { name: 'pager', namespace: 'test' },
      spec: { type: 'pagerduty', address: `${receiver.url}/pager` },
    });
    const logs: EngineLogRecord[] = [];
    const emitted: EmittedAlert[] = [];
    const notifier = createNotifier({
      api,
      log: (r) => logs.push(r),
      onAlert: (a) => emitted.push(a),
      ...(clusterName ? { clusterName } : {}),
    });
    const canary = canaryOf({ analysis: { stepWeight: 20, maxWeight: 50, alerts } });
    return { receiver, logs, emitted, notifier, canary };
  }

  it("posts Slack's payload with the token as Bearer and the Cluster and metadata fields", async () => {
    const { receiver, logs, emitted, notifier, canary } = await slackSetup(
      [{ name: 'on-call', severity: 'info', providerRef: { name: 'on-call' } }],
      'staging',
    );
    const a = texts.alertInitialized('Deployment');
    await notifier.alert(canary, a.message, a.metadata, a.severity);
    expect(logs).toEqual([]);
    expect(receiver.received).toHaveLength(1);
    const post = receiver.received[0];
    expect(post?.url).toBe('/services/T0/B0/s3cret');
    expect(post?.headers.authorization).toBe('Bearer xoxb-tok');
    expect(post?.headers['content-type']).toBe('application/json');
    expect(post?.body).toBe(
      JSON.stringify({
        channel: 'on-call',
        username: 'flagger',
        icon_url: '',
        icon_emoji: ':rocket:',
        attachments: [
          {
            color: 'good',
            author_name: 'podinfo.test',
            text: 'New Deployment detected, initialization completed.',
            mrkdwn_in: ['text'],
            fields: [
              { title: 'Cluster', value: 'staging', short: false },
              { title: 'Target', value: 'Deployment/podinfo.test', short: false },
              { title: 'Failed checks threshold', value: '5', short: false },
              { title: 'Progress deadline', value: '600s', short: false },
              { title: 'Traffic routing', value: 'Weight step: 20 max: 50', short: false },
            ],
          },
        ],
      }),
    );
    expect(emitted).toMatchObject([
      { canary: 'podinfo.test', severity: 'info', message: a.message, cluster: 'staging' },
    ]);
    const failed = texts.alertFailedChecksThreshold(5);
    await notifier.alert(canary, failed.message, failed.metadata, failed.severity);
    expect(JSON.parse(receiver.received[1]?.body ?? '{}')).toMatchObject({
      attachments: [
        { color: 'danger', fields: [{ title: 'Cluster', value: 'staging', short: false }] },
      ],
    });
  });

  it.each([
    // alert severity, event severity, sent?
    ['info', 'info', true],
    ['info', 'warn', true],
    ['info', 'error', true],
    ['warn', 'info', false],
    ['warn', 'warn', true],
    ['warn', 'error', true],
    ['error', 'info', false],
    ['error', 'warn', false],
    ['error', 'error', true],
    [undefined, 'error', false],
  ] as const)(
    'an alert with severity %s receives %s events: %s',
    async (alertSeverity, severity, sent) => {
      expect(alertAccepts(alertSeverity, severity)).toBe(sent);
      const { receiver, notifier, canary } = await slackSetup([
        {
          name: 'on-call',
          ...(alertSeverity ? { severity: alertSeverity } : {}),
          providerRef: { name: 'on-call' },
        },
      ]);
      await notifier.alert(canary, 'message', false, severity);
      expect(receiver.received).toHaveLength(sent ? 1 : 0);
    },
  );

  it('logs missing providers, unsupported types and failed posts without secrets', async () => {
    const { logs, notifier, canary, receiver } = await slackSetup([
      { name: 'a', severity: 'info', providerRef: { name: 'missing' } },
      { name: 'b', severity: 'info', providerRef: { name: 'pager' } },
      { name: 'c', severity: 'info', providerRef: { name: 'on-call', namespace: 'prod' } },
    ]);
    await notifier.alert(canary, 'hello', false, 'info');
    expect(logs.map((l) => l.message)).toEqual([
      'alert provider missing.test error: alertprovider.flagger.app "missing" not found',
      'alert provider pager.test error: provider pagerduty not supported',
      'alert provider on-call.prod error: alertprovider.flagger.app "on-call" not found',
    ]);
    expect(receiver.received).toHaveLength(0);

    await receiver.close();
    const again = await slackSetup([
      { name: 'x', severity: 'info', providerRef: { name: 'on-call' } },
    ]);
    await again.receiver.close();
    await again.notifier.alert(again.canary, 'hello', false, 'info');
    expect(again.logs).toHaveLength(1);
    expect(again.logs[0]?.message).toMatch(
      /^alert provider on-call\.test send error: postMessage failed: sending notification failed to send: Post "http:\/\/127\.0\.0\.1:\d+\/\*\*\*": dial tcp 127\.0\.0\.1:\d+: connect: connection refused$/,
    );
    expect(again.logs[0]?.message).not.toContain('s3cret');
  });

  it('uses the global notifier when the canary has no alerts', async () => {
    const receiver = await startReceiver(() => ({ status: 500, body: 'invalid_payload' }));
    cleanups.push(() => receiver.close());
    const { api } = setup();
    const logs: EngineLogRecord[] = [];
    const notifier = createNotifier({
      api,
      log: (r) => logs.push(r),
      global: { type: 'slack', url: `${receiver.url}/hook`, channel: 'general' },
    });
    await notifier.alert(canaryOf({}), 'hi', false, 'warn');
    expect(receiver.received).toHaveLength(1);
    expect(logs.map((l) => l.message)).toEqual([
      "alert can't be sent: postMessage failed: sending notification bad response 500: invalid_payload",
    ]);
  });
});
