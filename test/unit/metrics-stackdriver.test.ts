import { createVerify, generateKeyPairSync } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { isNoValuesFound } from '../../src/core/metrics';
import { createStackdriverProvider } from '../../src/core/metrics/stackdriver';
import { closedPort } from './engine-fixtures';
import {
  failure,
  providerContext,
  startFakeApi,
  thrown,
  type FakeAnswer,
  type FakeApi,
  type FakeRequest,
} from './metrics-support';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PRIVATE_PEM = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const KEY = {
  type: 'service_account',
  project_id: 'acme-prod',
  private_key_id: 'kid-0123',
  private_key: PRIVATE_PEM,
  client_email: 'flagger@acme-prod.iam.gserviceaccount.com',
  client_id: '1234',
  token_uri: 'http://127.0.0.1:1/token',
};
const credentials = { project: 'acme-prod', serviceAccountKey: JSON.stringify(KEY) };

let api: FakeApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

/** Checks the self-signed JWT: RS256 by the key, issued by the account, with the read scope. */
function jwtProblem(req: FakeRequest): string {
  const auth = String(req.headers.authorization ?? '');
  const token = /^Bearer (.+)$/.exec(auth)?.[1] ?? '';
  const [head = '', body = '', sig = ''] = token.split('.');
  const verifier = createVerify('RSA-SHA256');
  verifier.update(`${head}.${body}`);
  if (!verifier.verify(publicKey, Buffer.from(sig, 'base64url'))) return 'bad signature';
  const header = JSON.parse(Buffer.from(head, 'base64url').toString()) as { kid?: string };
  const claims = JSON.parse(Buffer.from(body, 'base64url').toString()) as Record<string, unknown>;
  if (header.kid !== KEY.private_key_id) return `kid ${header.kid}`;
  if (claims.iss !== KEY.client_email) return `iss ${String(claims.iss)}`;
  if (!String(claims.scope).includes('https://www.googleapis.com/auth/monitoring.read'))
    return `scope ${String(claims.scope)}`;
  return '';
}

const rpcError = (status: number, code: string, message: string): FakeAnswer => ({
  status,
  body: JSON.stringify({ error: { code: status, message, status: code } }),
});

/** Cloud Monitoring's timeSeries:query: JWT checked, the query answered by `answer`. */
async function monitoring(answer: (body: { query: string; pageToken?: string }) => FakeAnswer) {
  api = await startFakeApi((req) => {
    const problem = jwtProblem(req);
    if (problem)
      return rpcError(
        401,
        'UNAUTHENTICATED',
        `Request had invalid authentication credentials: ${problem}`,
      );
    if (req.method !== 'POST' || req.path !== '/v3/projects/acme-prod/timeSeries:query')
      return rpcError(404, 'NOT_FOUND', `no ${req.path}`);
    return answer(JSON.parse(req.body) as { query: string });
  });
  return api;
}

const provider = (address: string, creds: Record<string, string> = credentials) =>
  createStackdriverProvider(
    providerContext(
      { type: 'stackdriver', address, secretRef: { name: 'gcp' } },
      { credentials: creds },
    ),
  );

const MQL = `fetch k8s_container
| metric 'istio.io/service/server/request_count'
| filter resource.namespace_name == 'test'
| align delta(1m) | every 1m | group_by [], [v: sum(value.request_count)]`;

describe('stackdriver provider', () => {
  it('runs MQL on the project with a JWT signed by the service account key; the first double', async () => {
    const a = await monitoring((body) =>
      body.pageToken === 'p2'
        ? {
            status: 200,
            body: JSON.stringify({
              timeSeriesData: [
                {
                  labelValues: [],
                  pointData: [{ values: [{ doubleValue: 0.75 }], timeInterval: {} }],
                },
                { pointData: [{ values: [{ doubleValue: 9 }] }] },
              ],
            }),
          }
        : // An empty first page: the Go iterator moves on to the next.
          { status: 200, body: JSON.stringify({ timeSeriesDescriptor: {}, nextPageToken: 'p2' }) },
    );
    expect(await provider(a.url).runQuery(MQL)).toBe(0.75);
    expect(a.requests).toHaveLength(2);
    expect(JSON.parse(a.requests[0]?.body ?? '{}')).toEqual({ query: MQL });
  });

  it('reports no series and no points as ErrNoValuesFound; an int64 value reads 0 (GetDoubleValue)', async () => {
    let answer: FakeAnswer = { status: 200 };
    const a = await monitoring(() => answer);
    const p = provider(a.url);
    answer = { status: 200, body: '{}' };
    let err = await p.runQuery(MQL).catch((e: unknown) => e);
    expect(isNoValuesFound(err)).toBe(true);
    expect((err as Error).message).toBe('invalid response: <nil>: no values found');
    answer = { status: 200, body: '{"timeSeriesData":[{"pointData":[]}]}' };
    err = await p.runQuery(MQL).catch((e: unknown) => e);
    expect((err as Error).message).toBe('invalid response: {"pointData":[]}: no values found');
    answer = {
      status: 200,
      body: '{"timeSeriesData":[{"pointData":[{"values":[{"int64Value":"12"}]}]}]}',
    };
    expect(await p.runQuery(MQL)).toBe(0);
  });

  it('prints API errors as gRPC statuses; online on InvalidArgument for the empty query', async () => {
    let answer: FakeAnswer = rpcError(400, 'INVALID_ARGUMENT', 'Query is empty.');
    const a = await monitoring(() => answer);
    const p = provider(a.url);
    expect(await p.isOnline()).toBe(true);
    expect(JSON.parse(a.requests[0]?.body ?? '{}')).toEqual({ query: '' });
    answer = rpcError(403, 'PERMISSION_DENIED', 'Permission monitoring.timeSeries.list denied');
    expect(await failure(p.isOnline())).toBe('unexpected status code: PermissionDenied');
    expect(await failure(p.runQuery(MQL))).toBe(
      'error requesting stackdriver: rpc error: code = PermissionDenied desc = Permission monitoring.timeSeries.list denied',
    );
    answer = { status: 502, body: '<html>Bad Gateway</html>' };
    expect(await failure(p.runQuery(MQL))).toBe(
      'error requesting stackdriver: rpc error: code = Internal desc = <html>Bad Gateway</html>',
    );
  });

  it('is offline with another key or no server, and never prints the key', async () => {
    const a = await monitoring(() => ({ status: 200, body: '{}' }));
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    const wrong = provider(a.url, {
      project: 'acme-prod',
      serviceAccountKey: JSON.stringify({ ...KEY, private_key: other }),
    });
    expect(await failure(wrong.isOnline())).toBe('unexpected status code: Unauthenticated');
    const rejected = await failure(wrong.runQuery(MQL));
    expect(rejected).toBe(
      'error requesting stackdriver: rpc error: code = Unauthenticated desc = Request had invalid authentication credentials: bad signature',
    );
    const port = await closedPort();
    const down = await failure(provider(`http://127.0.0.1:${port}`).runQuery(MQL));
    expect(down).toBe(
      `error requesting stackdriver: rpc error: code = Unavailable desc = Post "http://127.0.0.1:${port}/v3/projects/acme-prod/timeSeries:query": dial tcp 127.0.0.1:${port}: connect: connection refused`,
    );
    const body = PRIVATE_PEM.split('\n')[1] ?? '';
    for (const m of [rejected, down]) {
      expect(m).not.toContain(body);
      expect(m).not.toContain('PRIVATE KEY');
    }
  });

  it('refuses to build without a project; a key that is not JSON is named, not printed', () => {
    const build = (creds: Record<string, string>) =>
      thrown(() =>
        createStackdriverProvider(
          providerContext(
            { type: 'stackdriver', secretRef: { name: 'gcp' } },
            { credentials: creds },
          ),
        ),
      );
    expect(build({})).toBe('stackdriver credentials does not contain a project id');
    const message = build({ project: 'p', serviceAccountKey: 'secret-not-json' });
    expect(message).not.toContain('secret-not-json');
  });
});
