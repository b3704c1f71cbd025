import { createHash, createHmac } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isNoValuesFound } from '../../src/core/metrics';
import { createCloudWatchProvider } from '../../src/core/metrics/cloudwatch';
import { closedPort } from './engine-fixtures';
import {
  NOW,
  failure,
  providerContext,
  startFakeApi,
  thrown,
  type FakeAnswer,
  type FakeApi,
  type FakeRequest,
} from './metrics-support';

const ACCESS_KEY = 'AKIAAVIARYTEST000001';
const SECRET_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYAVIARYKEY';
const REGION = 'eu-west-1';
const JSON_10 = { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'req-1' };

// The AWS default credential chain reads the environment first, as Flagger's session does.
const saved = { ...process.env };
beforeAll(() => {
  process.env.AWS_ACCESS_KEY_ID = ACCESS_KEY;
  process.env.AWS_SECRET_ACCESS_KEY = SECRET_KEY;
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_SESSION_TOKEN;
});
afterAll(() => {
  process.env = saved;
});

let api: FakeApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const hmac = (key: Buffer | string, s: string) => createHmac('sha256', key).update(s).digest();

/** Recomputes the request's SigV4 signature with the test secret: the reason it fails, or ''. */
function sigV4Problem(req: FakeRequest): string {
  const auth = String(req.headers.authorization ?? '');
  const m =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
      auth,
    );
  if (!m) return `no SigV4 Authorization header: ${auth}`;
  const [, key, date = '', region = '', service = '', signed = '', signature] = m;
  if (key !== ACCESS_KEY) return `access key ${key}`;
  if (region !== REGION || service !== 'monitoring') return `scope ${region}/${service}`;
  const names = signed.split(';');
  if (!names.includes('host') || !names.includes('x-amz-date')) return `signed headers ${signed}`;
  const canonical = [
    req.method,
    req.path,
    req.rawQuery,
    ...names.map((n) => `${n}:${String(req.headers[n] ?? '').trim()}`),
    '',
    signed,
    sha256(req.body),
  ].join('\n');
  const amzDate = String(req.headers['x-amz-date']);
  const scope = `${date}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  let k = hmac(`AWS4${SECRET_KEY}`, date);
  for (const part of [region, service, 'aws4_request']) k = hmac(k, part);
  const expected = createHmac('sha256', k).update(toSign).digest('hex');
  return expected === signature ? '' : 'signature mismatch';
}

/** CloudWatch's AWS JSON 1.0 endpoint: SigV4 checked, GetMetricData answered by `answer`. */
async function cloudwatch(answer: (input: Record<string, unknown>) => FakeAnswer) {
  api = await startFakeApi((req) => {
    const problem = sigV4Problem(req);
    if (problem)
      return {
        status: 403,
        headers: { ...JSON_10, 'x-amzn-query-error': 'SignatureDoesNotMatch;Sender' },
        body: JSON.stringify({ __type: 'SignatureDoesNotMatch', message: problem }),
      };
    if (req.headers['x-amz-target'] !== 'GraniteServiceVersion20100801.GetMetricData')
      return { status: 400, headers: JSON_10, body: '{"__type":"UnknownOperationException"}' };
    return answer(JSON.parse(req.body) as Record<string, unknown>);
  });
  return api;
}

const provider = (address: string, interval = '1m') =>
  createCloudWatchProvider(
    providerContext({ type: 'cloudwatch', region: REGION, address }, { metricInterval: interval }),
  );

const QUERY = `[
  { "Id": "e1", "Expression": "m1 / m2", "Label": "ErrorRate" },
  { "id": "m1", "metricStat": { "metric": { "namespace": "MyKubernetesCluster", "metricName": "ErrorCount",
      "dimensions": [{ "name": "service", "value": "podinfo" }] }, "period": 60, "stat": "Sum", "unit": "Count" },
    "returnData": false, "ignored": 1 },
  { "Id": "m2", "MetricStat": { "Metric": { "Namespace": "MyKubernetesCluster", "MetricName": "RequestCount" },
      "Period": 60, "Stat": "Sum", "Unit": "Count" }, "ReturnData": false }
]`;

describe('cloudwatch provider', () => {
  it('sends a signed GetMetricData over 10 intervals and returns the first value of the first result', async () => {
    const a = await cloudwatch(() => ({
      status: 200,
      headers: JSON_10,
      body: JSON.stringify({
        MetricDataResults: [
          {
            Id: 'e1',
            Label: 'ErrorRate',
            Timestamps: [1767225540, 1767225480],
            Values: [0.02, 0.5],
            StatusCode: 'Complete',
          },
        ],
        Messages: [],
      }),
    }));
    expect(await provider(a.url, '2m').runQuery(QUERY)).toBe(0.02);
    const [req] = a.requests;
    expect(req?.method).toBe('POST');
    expect(sigV4Problem(req as FakeRequest)).toBe('');
    const input = JSON.parse(req?.body ?? '{}') as Record<string, unknown>;
    expect(input.StartTime).toBe(NOW / 1000 - 1200);
    expect(input.EndTime).toBe(NOW / 1000);
    expect(input.MaxDatapoints).toBe(20);
    // encoding/json matches keys case-insensitively and drops unknown ones: so does Aviary.
    expect(input.MetricDataQueries).toEqual([
      { Id: 'e1', Expression: 'm1 / m2', Label: 'ErrorRate' },
      {
        Id: 'm1',
        MetricStat: {
          Metric: {
            Namespace: 'MyKubernetesCluster',
            MetricName: 'ErrorCount',
            Dimensions: [{ Name: 'service', Value: 'podinfo' }],
          },
          Period: 60,
          Stat: 'Sum',
          Unit: 'Count',
        },
        ReturnData: false,
      },
      {
        Id: 'm2',
        MetricStat: {
          Metric: { Namespace: 'MyKubernetesCluster', MetricName: 'RequestCount' },
          Period: 60,
          Stat: 'Sum',
          Unit: 'Count',
        },
        ReturnData: false,
      },
    ]);
  });

  it('reports no results and no values as ErrNoValuesFound, and AWS errors as awserr prints them', async () => {
    let answer: FakeAnswer = { status: 200 };
    const a = await cloudwatch(() => answer);
    const p = provider(a.url);
    answer = { status: 200, headers: JSON_10, body: '{"MetricDataResults":[],"Messages":[]}' };
    let err = await p.runQuery(QUERY).catch((e: unknown) => e);
    expect(isNoValuesFound(err)).toBe(true);
    expect((err as Error).message).toBe(
      'invalid response: {"MetricDataResults":[],"Messages":[]}: no values found',
    );
    answer = {
      status: 200,
      headers: JSON_10,
      body: '{"MetricDataResults":[{"Id":"e1","Values":[],"Timestamps":[]}]}',
    };
    err = await p.runQuery(QUERY).catch((e: unknown) => e);
    expect(isNoValuesFound(err)).toBe(true);
    expect((err as Error).message).toMatch(
      /^invalid reponse \{"MetricDataResults":\[\{"Id":"e1".*: no values found$/,
    );

    answer = {
      status: 400,
      headers: { ...JSON_10, 'x-amzn-query-error': 'InvalidParameterValue;Sender' },
      body: '{"__type":"com.amazonaws.cloudwatch#InvalidParameterValueException","message":"The parameter MetricDataQueries.member.1.Id must be a valid id"}',
    };
    expect(await failure(p.runQuery(QUERY))).toBe(
      'error requesting cloudwatch: InvalidParameterValue: The parameter MetricDataQueries.member.1.Id must be a valid id\n\tstatus code: 400, request id: req-1',
    );
    expect(await failure(p.runQuery('{"Id":"e1"}'))).toBe(
      'error unmarshaling query: json: cannot unmarshal object into Go value of type []*cloudwatch.MetricDataQuery',
    );
    expect(await failure(p.runQuery('[{'))).toMatch(/^error unmarshaling query: /);
  });

  it('is online when an empty GetMetricData is refused as invalid (400), offline otherwise', async () => {
    let answer: FakeAnswer = {
      status: 400,
      headers: { ...JSON_10, 'x-amzn-query-error': 'InvalidParameterValue;Sender' },
      body: '{"__type":"InvalidParameterValueException","message":"MetricDataQueries must not be empty"}',
    };
    const a = await cloudwatch(() => answer);
    const p = provider(a.url);
    expect(await p.isOnline()).toBe(true);
    expect(JSON.parse(a.requests[0]?.body ?? '{}')).toEqual({
      MetricDataQueries: [],
      StartTime: -62135596800,
      EndTime: -62135596800,
    });
    answer = {
      status: 403,
      headers: { ...JSON_10, 'x-amzn-query-error': 'AccessDenied;Sender' },
      body: '{"__type":"AccessDeniedException","message":"User is not authorized to perform: cloudwatch:GetMetricData"}',
    };
    const denied = await failure(p.isOnline());
    expect(denied).toBe(
      'unexpected status code: AccessDenied: User is not authorized to perform: cloudwatch:GetMetricData\n\tstatus code: 403, request id: req-1',
    );
    const port = await closedPort();
    const down = await failure(provider(`http://127.0.0.1:${port}`).isOnline());
    expect(down).toMatch(
      /^unexpected error: RequestError: send request failed\ncaused by: .*ECONNREFUSED/,
    );
    for (const m of [denied, down]) expect(m).not.toContain(SECRET_KEY);
  });

  it("refuses to build without a region or with a bad interval (Flagger's texts)", () => {
    expect(thrown(() => createCloudWatchProvider(providerContext({ type: 'cloudwatch' })))).toBe(
      'region not specified',
    );
    expect(
      thrown(() =>
        createCloudWatchProvider(
          providerContext({ type: 'cloudwatch', region: REGION }, { metricInterval: 'soon' }),
        ),
      ),
    ).toBe('error parsing metric interval: time: invalid duration "soon"');
  });
});
