/**
 * HTTP echo servers: mendhak/http-https-echo answers with a JSON description of the
 * request; hashicorp/http-echo answers with its -text argument.
 */
import type { App, AppContext, AppKind, AppRequest, AppResponse } from './app';
import { argValue, json, text } from './app';

class RequestEcho implements App {
  readonly userTraffic = true;

  handle(req: AppRequest, ctx: AppContext): AppResponse {
    const query = Object.fromEntries(new URLSearchParams(req.query));
    const cookies = Object.fromEntries(
      (req.headers['cookie'] ?? '')
        .split(';')
        .map((c) => c.trim().split('='))
        .filter(([k]) => k)
        .map(([k, ...v]) => [k, v.join('=')]),
    );
    let parsedBody: unknown = req.body;
    try {
      if (req.body && (req.headers['content-type'] ?? '').includes('json'))
        parsedBody = JSON.parse(req.body) as unknown;
    } catch {
      // Keeps the raw text, as the echo server does for bodies it cannot parse.
    }
    return json(200, {
      path: req.path,
      headers: req.headers,
      method: req.method,
      body: req.body,
      ...(parsedBody !== req.body ? { json: parsedBody } : {}),
      cookies,
      fresh: false,
      hostname: req.host,
      ip: '::ffff:10.244.0.1',
      ips: [],
      protocol: 'http',
      query,
      subdomains: [],
      xhr: false,
      os: { hostname: ctx.pod.metadata.name },
      connection: {},
    });
  }
}

class TextEcho implements App {
  readonly userTraffic = true;

  handle(_req: AppRequest, ctx: AppContext): AppResponse {
    const args = ctx.container.args ?? [];
    const status = Number(argValue(args, 'status-code') ?? 200) || 200;
    return text(status, `${argValue(args, 'text') ?? ''}\n`);
  }
}

export const httpsEchoApp: AppKind = {
  name: 'http-https-echo',
  matches: (repository) => /(^|\/)mendhak\/http-https-echo$/.test(repository),
  create: () => new RequestEcho(),
};

export const httpEchoApp: AppKind = {
  name: 'http-echo',
  matches: (repository) => /(^|\/)hashicorp\/http-echo$/.test(repository),
  create: () => new TextEcho(),
};

/** Any other image: a web app that answers every request with 200 "ok". */
export const genericApp: AppKind = {
  name: 'generic',
  matches: () => true,
  create: () => ({ userTraffic: true, handle: () => text(200, 'ok') }),
};
