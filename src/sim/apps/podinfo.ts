/**
 * podinfo (stefanprodan/podinfo), the app of Flagger's tutorials: the routes Flagger's
 * docs and hooks call, with the version taken from the image tag.
 */
import type { App, AppKind, AppRequest, AppResponse, AppContext } from './app';
import { argValue, json, text } from './app';
import { parseImage } from './behaviour';

function version(ctx: AppContext): string {
  return parseImage(ctx.container.image ?? '').tag.replace(/^v(?=\d)/, '');
}

function env(ctx: AppContext, name: string): string | undefined {
  return ctx.container.env?.find((e) => e.name === name)?.value;
}

function info(ctx: AppContext): Record<string, unknown> {
  const v = version(ctx);
  const args = [...(ctx.container.command ?? []), ...(ctx.container.args ?? [])];
  return {
    hostname: ctx.pod.metadata.name,
    version: v,
    revision: '',
    color: env(ctx, 'PODINFO_UI_COLOR') ?? argValue(args, 'ui-color') ?? '#34577c',
    logo:
      argValue(args, 'ui-logo') ??
      'https://raw.githubusercontent.com/stefanprodan/podinfo/gh-pages/cuddle_clap.gif',
    message:
      env(ctx, 'PODINFO_UI_MESSAGE') ??
      argValue(args, 'ui-message') ??
      `greetings from podinfo v${v}`,
    goos: 'linux',
    goarch: 'amd64',
    runtime: 'go1.22.5',
    num_goroutine: '8',
    num_cpu: '2',
  };
}

function randomToken(random: () => number): string {
  const part = (n: number) =>
    Array.from(
      { length: n },
      () =>
        'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'[Math.floor(random() * 62)],
    ).join('');
  return `eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.${part(64)}.${part(43)}`;
}

class Podinfo implements App {
  readonly userTraffic = true;

  handle(req: AppRequest, ctx: AppContext): AppResponse {
    const path = req.path.replace(/\/+$/, '') || '/';
    if (path === '/' || path === '/api/info') return json(200, info(ctx));
    if (path === '/healthz' || path === '/readyz') return json(200, { status: 'OK' });
    if (path === '/version') return json(200, { commit: '', version: version(ctx) });
    if (path === '/env') return json(200, [`HOSTNAME=${ctx.pod.metadata.name}`]);
    if (path === '/headers') {
      const headers: Record<string, string[]> = {};
      for (const [k, v] of Object.entries(req.headers))
        headers[k.replace(/(^|-)\w/g, (s) => s.toUpperCase())] = [v];
      return json(200, headers);
    }
    if (path === '/echo' || path === '/api/echo') {
      if (req.method !== 'POST' && req.method !== 'PUT') return text(405, '');
      return {
        status: 202,
        headers: { 'content-type': req.headers['content-type'] ?? 'text/plain' },
        body: req.body,
      };
    }
    const status = /^\/status\/(\d{3})$/.exec(path);
    if (status) return json(Number(status[1]), { status: Number(status[1]) });
    const delay = /^\/delay\/(\d+)$/.exec(path);
    if (delay)
      return { ...json(200, { delay: Number(delay[1]) }), extraLatencyMs: Number(delay[1]) * 1000 };
    if (path === '/token') {
      if (req.method !== 'POST') return text(405, '');
      const expires = new Date(ctx.clock.now() + 60_000).toISOString();
      return json(200, { token: randomToken(ctx.random), expires_at: expires });
    }
    if (path === '/token/validate') {
      const auth = req.headers['authorization'] ?? '';
      if (!auth.startsWith('Bearer '))
        return json(401, { code: 401, message: 'Authorization bearer not found' });
      return json(200, {
        token_name: 'podinfo',
        expires_at: new Date(ctx.clock.now() + 60_000).toISOString(),
      });
    }
    return text(404, '404 page not found\n');
  }
}

export const podinfoApp: AppKind = {
  name: 'podinfo',
  matches: (repository) => /(^|\/)stefanprodan\/podinfo$/.test(repository),
  create: () => new Podinfo(),
};
