import { createServer as createHttpServer, request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect as netConnect, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createPostMessage } from '../../src/core/alerts/client';
import { discordSlackUrl } from '../../src/core/alerts/discord';
import {
  ALERT_POSTERS,
  createNotifier,
  globalNotifierFromFlags,
  type AlertTarget,
} from '../../src/core/alerts/notifier';
import type { CanaryAlert } from '../../src/core/canary';
import { texts } from '../../src/core/canary';
import type { EngineLogRecord } from '../../src/core/controller/log';
import { createClusterHttp } from '../../src/core/kube/cluster-address';
import { ManualClock } from '../../src/shared/clock';
import { playgroundCertificates } from '../../src/sim/apiserver/tls';
import { startTestCluster } from '../support/sim-cluster';
import { storeKubeApi } from '../support/store-kube-api';
import { canaryOf, startReceiver } from './engine-fixtures';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const b64 = (s: string): string => Buffer.from(s).toString('base64');

/** The canary's alert fields with a cluster name: Cluster, then the metadata. */
const FIELDS = [
  ['Cluster', 'staging'],
  ['Target', 'Deployment/podinfo.test'],
  ['Failed checks threshold', '5'],
  ['Progress deadline', '600s'],
  ['Traffic routing', 'Weight step: 20 max: 50'],
] as const;

async function receiver(status = 200, body = 'ok') {
  const r = await startReceiver(() => ({ status, body }));
  cleanups.push(() => r.close());
  return r;
}

/** A notifier over a simulated cluster holding `providers` (AlertProvider specs by name). */
async function setup(
  providers: Record<string, Record<string, unknown>>,
  secrets: Record<string, Record<string, string>> = {},
  alerts: CanaryAlert[] = Object.keys(providers).map((name) => ({
    name,
    severity: 'info',
    providerRef: { name },
  })),
  post: { proxyCa?: string } = {},
) {
  const c = startTestCluster();
  cleanups.push(() => c.sim.stop());
  const api = storeKubeApi(c.store, { context: 'kind-staging' });
  for (const [name, data] of Object.entries(secrets)) {
    const encoded = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)]));
    await api.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace: 'test' },
      data: encoded,
    });
  }
  for (const [name, spec] of Object.entries(providers)) {
    await api.create({
      apiVersion: 'flagger.app/v1beta1',
      kind: 'AlertProvider',
      metadata: { name, namespace: 'test' },
      spec,
    });
  }
  const logs: EngineLogRecord[] = [];
  const notifier = createNotifier({
    api,
    log: (r) => logs.push(r),
    clusterName: 'staging',
    post,
  });
  const canary = canaryOf({ analysis: { stepWeight: 20, maxWeight: 50, alerts } });
  const send = async (severity: 'info' | 'error' = 'info') => {
    const a =
      severity === 'info'
        ? texts.alertInitialized('Deployment')
        : texts.alertFailedChecksThreshold(5);
    await notifier.alert(canary, a.message, true, severity);
  };
  return { logs, send, api };
}

const INIT = 'New Deployment detected, initialization completed.';

function slackBody(color: string, message: string, channel = 'general'): string {
  return JSON.stringify({
    channel,
    username: 'flagger',
    icon_url: '',
    icon_emoji: ':rocket:',
    attachments: [
      {
        color,
        author_name: 'podinfo.test',
        text: message,
        mrkdwn_in: ['text'],
        fields: FIELDS.map(([title, value]) => ({ title, value, short: false })),
      },
    ],
  });
}

describe('notifier payloads (pkg/notifier), byte for byte', () => {
  it('sends each provider type its payload, with its colours for info and error', async () => {
    const r = await receiver();
    const { logs, send } = await setup(
      {
        slack: { type: 'slack', channel: 'ops', secretRef: { name: 'slack-hook' } },
        discord: { type: 'discord', address: `${r.url}/api/webhooks/1/d1sc0rd` },
        rocket: { type: 'rocket', username: 'canary-bot', address: `${r.url}/hooks/r0ck3t` },
        msteams: { type: 'msteams', address: `${r.url}/webhookb2/t3ams` },
        gchat: { type: 'gchat', address: `${r.url}/v1/spaces/AAA/messages?key=k3y` },
      },
      { 'slack-hook': { address: `${r.url}/services/T0/B0/s3cret`, token: 'xoxb-tok' } },
    );
    await send('info');
    await send('error');
    expect(logs.map((l) => l.message)).toEqual([]);
    const got = r.received.map((p) => ({
      url: p.url,
      auth: p.headers.authorization,
      body: p.body,
    }));
    const failedMessage = texts.alertFailedChecksThreshold(5).message;

    // Only Slack sends the secret's token; Discord's Slack-compatible endpoint gets "/slack".
    expect(got.map((g) => [g.url, g.auth])).toEqual([
      ['/services/T0/B0/s3cret', 'Bearer xoxb-tok'],
      ['/api/webhooks/1/d1sc0rd/slack', undefined],
      ['/hooks/r0ck3t', undefined],
      ['/webhookb2/t3ams', undefined],
      ['/v1/spaces/AAA/messages?key=k3y', undefined],
      ['/services/T0/B0/s3cret', 'Bearer xoxb-tok'],
      ['/api/webhooks/1/d1sc0rd/slack', undefined],
      ['/hooks/r0ck3t', undefined],
      ['/webhookb2/t3ams', undefined],
      ['/v1/spaces/AAA/messages?key=k3y', undefined],
    ]);
    for (const p of r.received) expect(p.headers['content-type']).toBe('application/json');

    const bodies = got.map((g) => g.body);
    expect(bodies[0]).toBe(slackBody('good', INIT, 'ops'));
    expect(bodies[5]).toBe(slackBody('danger', failedMessage, 'ops'));
    expect(bodies[1]).toBe(slackBody('good', INIT));
    expect(bodies[6]).toBe(slackBody('danger', failedMessage));
    expect(bodies[2]).toBe(slackBody('#0076D7', INIT).replace('"flagger"', '"canary-bot"'));
    expect(bodies[7]).toBe(
      slackBody('#FF0000', failedMessage).replace('"flagger"', '"canary-bot"'),
    );

    const teams = (color: string, message: string): string =>
      JSON.stringify({
        '@type': 'MessageCard',
        '@context': 'http://schema.org/extensions',
        themeColor: color,
        summary: 'podinfo.test',
        sections: [
          {
            activityTitle: message,
            activitySubtitle: 'podinfo.test',
            facts: FIELDS.map(([name, value]) => ({ name, value })),
          },
        ],
      });
    expect(bodies[3]).toBe(teams('0076D7', INIT));
    expect(bodies[8]).toBe(teams('FF0000', failedMessage));

    // json.Marshal escapes <, > and & as \u003c, \u003e, \u0026.
    const gchat = (message: string): string =>
      JSON.stringify({
        cards: [
          {
            header: {
              title: 'Flagger',
              subtitle: 'podinfo.test',
              imageUrl: 'https://flagger.app/favicon.png',
            },
            sections: [
              {
                widgets: [
                  {
                    textParagraph: {
                      text: `<font color=#848484><strong>${message}</strong></font>`,
                    },
                  },
                ],
              },
              ...FIELDS.map(([name, value]) => ({
                widgets: [
                  {
                    textParagraph: {
                      text: `${name}<br><font color=#848484><strong>${value}</strong></font>`,
                    },
                  },
                ],
              })),
            ],
          },
        ],
      })
        .replace(/</g, '\\u003c')
        .replace(/>/g, '\\u003e');
    expect(bodies[4]).toBe(gchat(INIT));
    expect(bodies[9]).toBe(gchat(failedMessage));
    expect(bodies[4]).toContain('"text":"\\u003cfont color=#848484\\u003e\\u003cstrong\\u003eNew');
  });

  it('appends /slack to Discord hooks once, as path.Join does', () => {
    expect(discordSlackUrl('https://discord.com/api/webhooks/1/abc')).toBe(
      'https://discord.com/api/webhooks/1/abc/slack',
    );
    expect(discordSlackUrl('https://discord.com/api/webhooks/1/abc/')).toBe(
      'https://discord.com/api/webhooks/1/abc/slack',
    );
    expect(discordSlackUrl('https://discord.com/api/webhooks/1/abc/slack')).toBe(
      'https://discord.com/api/webhooks/1/abc/slack',
    );
    expect(discordSlackUrl('https://discord.com/api/webhooks/1/abc?wait=true')).toBe(
      'https://discord.com/api/webhooks/1/abc/slack?wait=true',
    );
    expect(discordSlackUrl('https://h')).toBe('https://h/slack');
    expect(discordSlackUrl('/hooks/x?a=1')).toBe('/hooks/x/slack?a=1');
  });
});

describe('notifier validation and errors', () => {
  const target = (over: Partial<AlertTarget>): AlertTarget => ({
    url: 'https://hooks.example.com/services/s3cret',
    token: '',
    proxy: '',
    username: 'flagger',
    channel: 'general',
    ...over,
  });

  it("has Flagger's constructor errors, without printing the hook URL", () => {
    const v = (type: string, over: Partial<AlertTarget>) =>
      ALERT_POSTERS[type]?.validate(target(over));
    expect(Object.keys(ALERT_POSTERS).sort()).toEqual([
      'discord',
      'gchat',
      'msteams',
      'rocket',
      'slack',
    ]);
    for (const type of Object.keys(ALERT_POSTERS)) expect(v(type, {})).toBeUndefined();
    expect(v('slack', { url: 'not a url/s3cret' })).toBe('invalid Slack hook URL ***');
    expect(v('discord', { url: 'hooks s3cret' })).toBe('invalid Discord hook URL ***');
    expect(v('rocket', { url: 's3cret' })).toBe('invalid Rocket hook URL ***');
    expect(v('msteams', { url: 's3cret' })).toBe('invalid MS Teams webhook URL ***');
    expect(v('gchat', { url: 's3cret' })).toBe('invalid Google Chat webhook URL ***');
    expect(v('slack', { username: '' })).toBe('empty Slack username');
    expect(v('discord', { username: '' })).toBe('empty Discord username');
    expect(v('rocket', { username: '' })).toBe('empty Rocket username');
    expect(v('slack', { channel: '' })).toBe('empty Slack channel');
    expect(v('discord', { channel: '' })).toBe('empty Discord channel');
    expect(v('rocket', { channel: '' })).toBe('empty Rocket channel');
    // Teams and Google Chat take no username or channel.
    expect(v('msteams', { username: '', channel: '' })).toBeUndefined();
    expect(v('gchat', { username: '', channel: '' })).toBeUndefined();
    // An absolute path is a request URI too (url.ParseRequestURI).
    expect(v('msteams', { url: '/hook' })).toBeUndefined();
  });

  it('logs bad responses, unsupported types and send failures; an empty address is a Nop', async () => {
    const bad = await receiver(400, 'invalid_payload');
    const gone = await receiver();
    await gone.close();
    const { logs, send } = await setup(
      {
        teams: { type: 'msteams', address: `${bad.url}/webhookb2/t3ams` },
        pager: { type: 'pagerduty', address: `${bad.url}/pd` },
        empty: { type: 'slack', secretRef: { name: 'empty' } },
        blank: { type: 'gchat', address: '' },
        down: { type: 'rocket', secretRef: { name: 'down' } },
        nosecret: { type: 'slack', secretRef: { name: 'missing' } },
      },
      {
        empty: { address: '' },
        down: { address: `${gone.url}/hooks/r0ck3t`, token: 'tok3n' },
      },
    );
    await send('info');
    expect(bad.received.map((p) => p.url)).toEqual(['/webhookb2/t3ams']);
    const messages = logs.map((l) => l.message);
    expect(messages).toHaveLength(4);
    expect(messages[0]).toBe(
      'alert provider teams.test send error: postMessage failed: sending notification bad response 400: invalid_payload',
    );
    expect(messages[1]).toBe('alert provider pager.test error: provider pagerduty not supported');
    expect(messages[2]).toMatch(
      /^alert provider down\.test send error: postMessage failed: sending notification failed to send: Post "http:\/\/127\.0\.0\.1:\d+\/\*\*\*": dial tcp 127\.0\.0\.1:\d+: connect: connection refused$/,
    );
    expect(messages[3]).toBe(
      'alert provider nosecret.test secretRef error: secrets "missing" not found',
    );
    for (const l of logs) expect(l.level).toBe('error');
    const all = messages.join('\n');
    for (const secret of ['t3ams', 'r0ck3t', 'tok3n', 'hooks', 'webhookb2'])
      expect(all).not.toContain(secret);
  });

  it('routes by the alert severity filter', async () => {
    const r = await receiver();
    const { send } = await setup(
      {
        all: { type: 'msteams', address: `${r.url}/all` },
        errors: { type: 'msteams', address: `${r.url}/errors` },
        warns: { type: 'msteams', address: `${r.url}/warns` },
      },
      {},
      [
        { name: 'a', severity: 'info', providerRef: { name: 'all' } },
        { name: 'e', severity: 'error', providerRef: { name: 'errors' } },
        { name: 'w', severity: 'warn', providerRef: { name: 'warns' } },
      ],
    );
    await send('info');
    expect(r.received.map((p) => p.url)).toEqual(['/all']);
    await send('error');
    expect(r.received.map((p) => p.url)).toEqual(['/all', '/all', '/errors', '/warns']);
  });
});

describe('the global notifier', () => {
  it('maps the -slack-* and -msteams-* flags as initNotifier does', () => {
    expect(globalNotifierFromFlags({})).toBeUndefined();
    expect(globalNotifierFromFlags({ slackUrl: 'https://s', slackChannel: 'c' })).toEqual({
      type: 'slack',
      url: 'https://s',
      proxy: '',
      token: '',
      username: 'flagger',
      channel: 'c',
    });
    expect(
      globalNotifierFromFlags({
        slackUrl: 'https://s',
        slackProxyUrl: 'http://p',
        msteamsUrl: 'https://t',
        msteamsProxyUrl: 'http://tp',
      }),
    ).toMatchObject({ type: 'msteams', url: 'https://t', proxy: 'http://tp' });
  });

  it('reads settings at each alert when given a function, and is a Nop without a URL', async () => {
    const r = await receiver();
    const c = startTestCluster();
    cleanups.push(() => c.sim.stop());
    const api = storeKubeApi(c.store, { context: 'kind-staging' });
    let url = '';
    const logs: EngineLogRecord[] = [];
    const notifier = createNotifier({
      api,
      log: (l) => logs.push(l),
      global: async () => ({ type: 'msteams', url }),
    });
    await notifier.alert(canaryOf({}), 'hello', false, 'warn');
    expect(r.received).toHaveLength(0);
    url = `${r.url}/personal`;
    await notifier.alert(canaryOf({}), 'hello', false, 'error');
    expect(r.received.map((p) => p.url)).toEqual(['/personal']);
    expect(JSON.parse(r.received[0]?.body ?? '{}')).toMatchObject({ themeColor: 'FF0000' });
    expect(logs).toEqual([]);
  });
});

// --- proxy ----------------------------------------------------------------------------------

interface ProxySeen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

/** A forward proxy on 127.0.0.1: absolute-form requests and CONNECT tunnels. */
async function startProxy(options: { refuseConnect?: boolean } = {}) {
  const seen: ProxySeen[] = [];
  const server = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    const upstream = httpRequest(
      req.url ?? '',
      { method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      res.writeHead(502);
      res.end('bad gateway');
    });
    req.pipe(upstream);
  });
  const tunnels = new Set<Socket>();
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    if (options.refuseConnect) {
      client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    const at = (req.url ?? '').lastIndexOf(':');
    const upstream = netConnect(
      Number((req.url ?? '').slice(at + 1)),
      (req.url ?? '').slice(0, at),
      () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      },
    );
    tunnels.add(upstream).add(client);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const s of tunnels) s.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${port}`, port, seen };
}

async function startHttpsReceiver() {
  const certs = await playgroundCertificates();
  const received: { url: string; body: string; headers: IncomingHttpHeaders }[] = [];
  const server = createHttpsServer({ cert: certs.certPem, key: certs.keyPem }, (req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      received.push({ url: req.url ?? '', body, headers: req.headers });
      res.writeHead(200);
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    ca: certs.caPem,
  };
}

describe('posting through a proxy (AlertProvider.spec.proxy)', () => {
  it('sends http hooks to the proxy in absolute form, with the proxy credentials', async () => {
    const r = await receiver();
    const proxy = await startProxy();
    const { logs, send } = await setup({
      slack: {
        type: 'slack',
        address: `${r.url}/services/s3cret`,
        proxy: `http://user:pa55@127.0.0.1:${proxy.port}`,
      },
    });
    await send('info');
    expect(logs).toEqual([]);
    expect(proxy.seen.map((s) => [s.method, s.url])).toEqual([
      ['POST', `${r.url}/services/s3cret`],
    ]);
    expect(proxy.seen[0]?.headers['proxy-authorization']).toBe(`Basic ${b64('user:pa55')}`);
    expect(r.received.map((p) => p.url)).toEqual(['/services/s3cret']);
    expect(r.received[0]?.body).toBe(slackBody('good', INIT));
  });

  it('tunnels https hooks with CONNECT and verifies the hook certificate', async () => {
    const hook = await startHttpsReceiver();
    const proxy = await startProxy();
    const providers = {
      teams: { type: 'msteams', address: `${hook.url}/webhookb2/t3ams`, proxy: proxy.url },
    };
    const trusted = await setup(providers, {}, undefined, { proxyCa: hook.ca });
    await trusted.send('error');
    expect(trusted.logs).toEqual([]);
    expect(proxy.seen.map((s) => [s.method, s.url])).toEqual([
      ['CONNECT', hook.url.replace('https://', '')],
    ]);
    expect(hook.received.map((p) => p.url)).toEqual(['/webhookb2/t3ams']);
    expect(JSON.parse(hook.received[0]?.body ?? '{}')).toMatchObject({ themeColor: 'FF0000' });

    // Without the playground CA the hook's certificate is refused, as Go refuses it.
    const untrusted = await setup(providers);
    await untrusted.send('info');
    expect(untrusted.logs.map((l) => l.message)).toEqual([
      `alert provider teams.test send error: postMessage failed: sending notification failed to send: Post "${hook.url}/***": tls: failed to verify certificate: x509: certificate signed by unknown authority`,
    ]);
    expect(hook.received).toHaveLength(1);
  });

  it("reports the proxy's refusals in Go's words, with no secret", async () => {
    const refusing = await startProxy({ refuseConnect: true });
    const closed = await startProxy();
    const closedPort = closed.port;
    await (cleanups.pop() as () => Promise<void>)();
    const { logs, send } = await setup({
      refused: {
        type: 'slack',
        address: 'https://hooks.slack.com/services/T0/B0/s3cret',
        proxy: refusing.url,
      },
      down: {
        type: 'discord',
        address: 'http://discord.example/api/webhooks/1/d1sc0rd',
        proxy: `http://u:pr0xypass@127.0.0.1:${closedPort}`,
      },
      badproxy: {
        type: 'gchat',
        address: 'https://chat.googleapis.com/v1/spaces/A/messages?key=k3y',
        proxy: 'http://[::1',
      },
      socks: {
        type: 'rocket',
        address: 'https://rocket.example/hooks/r0ck3t',
        proxy: 'socks5://127.0.0.1:1080',
      },
    });
    await send('info');
    expect(logs.map((l) => l.message)).toEqual([
      'alert provider refused.test send error: postMessage failed: sending notification failed to send: Post "https://hooks.slack.com/***": Forbidden',
      `alert provider down.test send error: postMessage failed: sending notification failed to send: Post "http://discord.example/***": proxyconnect tcp: dial tcp 127.0.0.1:${closedPort}: connect: connection refused`,
      `alert provider badproxy.test send error: postMessage failed: unable to parse proxy URL 'http://[::1', error: parse "http://[::1": invalid URL`,
      'alert provider socks.test send error: postMessage failed: sending notification failed to send: Post "https://rocket.example/***": proxyconnect tcp: proxy scheme "socks5" is not supported (Aviary supports http:// proxies)',
    ]);
    const all = logs.map((l) => l.message).join('\n');
    for (const secret of ['s3cret', 'd1sc0rd', 'k3y', 'r0ck3t', 'pr0xypass'])
      expect(all).not.toContain(secret);
  });

  it('times out after 5 s on the injected clock', async () => {
    const hang = await startReceiver(() => 'hang');
    cleanups.push(() => hang.close());
    const proxy = await startProxy();
    const clock = new ManualClock();
    const c = startTestCluster();
    cleanups.push(() => c.sim.stop());
    const api = storeKubeApi(c.store, { context: 'kind-staging' });
    const post = createPostMessage(createClusterHttp({ api, clock }), 'test', { clock });
    const sent = post(`${hang.url}/hooks/s3cret`, 'tok', proxy.url, { a: 1 }).then(
      () => 'sent',
      (err: Error) => err.message,
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(hang.received).toHaveLength(1);
    expect(hang.received[0]?.headers.authorization).toBe('Bearer tok');
    await clock.advance(5_000);
    expect(await sent).toBe(
      `sending notification failed to send: Post "${hang.url}/***": context deadline exceeded`,
    );
  });
});
