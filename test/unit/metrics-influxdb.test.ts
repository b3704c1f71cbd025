import { afterEach, describe, expect, it } from 'vitest';
import { isNoValuesFound } from '../../src/core/metrics';
import { createInfluxdbProvider } from '../../src/core/metrics/influxdb';
import { closedPort } from './engine-fixtures';
import {
  failure,
  providerContext,
  startFakeApi,
  thrown,
  type FakeAnswer,
  type FakeApi,
} from './metrics-support';

const TOKEN = 'influx-token-s3cr3t==';
const CSV = { 'content-type': 'text/csv; charset=utf-8' };

/** An annotated CSV answer with one `_value` column of the given type. */
function table(type: string, values: string[]): string {
  return [
    `#datatype,string,long,dateTime:RFC3339,${type},string,string`,
    '#group,false,false,false,false,true,true',
    '#default,_result,,,,,',
    ',result,table,_time,_value,_field,_measurement',
    ...values.map((v) => `,,0,2026-01-01T00:04:00Z,${v},rate,http`),
    '',
  ].join('\r\n');
}

let api: FakeApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

/** InfluxDB 2's query API: checks the token, answers per query. */
async function influx(answer: (query: string) => FakeAnswer) {
  api = await startFakeApi((req) => {
    if (req.method !== 'POST' || req.path !== '/api/v2/query')
      return { status: 404, body: '{"code":"not found","message":"path not found"}' };
    if (req.headers.authorization !== `Token ${TOKEN}`)
      return { status: 401, body: '{"code":"unauthorized","message":"unauthorized access"}' };
    return answer((JSON.parse(req.body) as { query: string }).query);
  });
  return api;
}

const provider = (address: string, credentials = { token: TOKEN, org: 'acme' }) =>
  createInfluxdbProvider(
    providerContext({ type: 'influxdb', address, secretRef: { name: 'influx' } }, { credentials }),
  );

const FLUX = `from(bucket: "metrics")
  |> range(start: -5m)
  |> filter(fn: (r) => r._measurement == "http" and r._field == "rate")
  |> mean()`;

describe('influxdb provider', () => {
  it("posts the Flux query for the secret's org with the token; the first record's float _value", async () => {
    const a = await influx(() => ({
      status: 200,
      headers: CSV,
      body: table('double', ['0.42', '9']),
    }));
    expect(await provider(a.url).runQuery(FLUX)).toBe(0.42);
    const [req] = a.requests;
    expect(req?.query.get('org')).toBe('acme');
    expect(req?.headers['content-type']).toMatch(/^application\/json/);
    const body = JSON.parse(req?.body ?? '{}') as {
      query: string;
      dialect: { annotations: string[] };
    };
    expect(body.query).toBe(FLUX);
    expect(body.dialect.annotations).toEqual(['datatype', 'group', 'default']);
  });

  it('is online when the default bucket query answers; offline on the API error', async () => {
    const a = await influx((q) =>
      q === 'from(bucket: "default") |> range(start: -2h)'
        ? { status: 200, headers: CSV, body: '' }
        : { status: 400, body: '{"code":"invalid","message":"bad"}' },
    );
    expect(await provider(a.url).isOnline()).toBe(true);
    const wrong = provider(a.url, { token: 'not-the-token', org: 'acme' });
    expect(await failure(wrong.isOnline())).toBe(
      'error accessing influxdb query api: unauthorized: unauthorized access',
    );
  });

  it("reports a null value as no values, a non-float as Flagger's invalid response", async () => {
    let answer: FakeAnswer = { status: 200 };
    const a = await influx(() => answer);
    const p = provider(a.url);

    answer = { status: 200, headers: CSV, body: table('double', ['']) };
    const empty = await p.runQuery(FLUX).catch((e: unknown) => e);
    expect(isNoValuesFound(empty)).toBe(true);
    expect((empty as Error).message).toBe(
      'invalid response: _field:rate,_measurement:http,_time:2026-01-01 00:04:00 +0000 UTC,_value:<nil>,result:_result,table:0: no values found',
    );

    answer = { status: 200, headers: CSV, body: table('long', ['12']) };
    expect(await failure(p.runQuery(FLUX))).toBe(
      'invalid response: _field:rate,_measurement:http,_time:2026-01-01 00:04:00 +0000 UTC,_value:12,result:_result,table:0',
    );

    // No records at all: Flagger returns 0; Aviary says so instead (see influxdb.ts).
    answer = { status: 200, headers: CSV, body: '' };
    expect(isNoValuesFound(await p.runQuery(FLUX).catch((e: unknown) => e))).toBe(true);

    answer = {
      status: 200,
      headers: CSV,
      body: '#datatype,string,string\r\n#group,true,true\r\n#default,,\r\n,error,reference\r\n,"compilation failed: undefined identifier x",\r\n',
    };
    expect(await failure(p.runQuery(FLUX))).toBe(
      'query error: compilation failed: undefined identifier x',
    );

    answer = {
      status: 400,
      body: '{"code":"invalid","message":"error @1:1-1:2: undefined identifier x"}',
    };
    expect(await failure(p.runQuery('x'))).toBe(
      'error accessing influxdb query api: invalid: error @1:1-1:2: undefined identifier x',
    );
  });

  it('is offline when the server is down, without the token in the text', async () => {
    const port = await closedPort();
    const message = await failure(provider(`http://127.0.0.1:${port}`).isOnline());
    expect(message).toBe(
      `error accessing influxdb query api: Post "http://127.0.0.1:${port}/api/v2/query?org=acme": dial tcp 127.0.0.1:${port}: connect: connection refused`,
    );
    expect(message).not.toContain(TOKEN);
  });

  it("refuses to build with a bad address or without token and org (Flagger's texts)", () => {
    const build = (address: string, credentials: Record<string, string>) =>
      thrown(() =>
        createInfluxdbProvider(
          providerContext({ type: 'influxdb', address, secretRef: { name: 's' } }, { credentials }),
        ),
      );
    expect(build('', {})).toBe('influxdb address  is not a valid URL');
    expect(build('http://i:8086', {})).toBe(
      'influxdb credentials does not contain an authentication token',
    );
    expect(build('http://i:8086', { token: 't' })).toBe(
      'influxdb credentials does not contain an organisation',
    );
  });
});
