/**
 * The CloudWatch metrics provider (pkg/metrics/providers/cloudwatch.go): the template's query
 * is a JSON array of MetricDataQuery, sent as GetMetricData over the last 10 metric intervals
 * (MaxDatapoints 20); the value is the first value of the first result. IsOnline sends an
 * empty GetMetricData: a 400 (validation) means reachable and authorised.
 *
 * Credentials come from the AWS default chain (environment, shared config and SSO profiles,
 * web identity, instance roles), as Flagger's session does; the region from
 * `provider.region`. Aviary also honours `provider.address` as the endpoint (LocalStack, a
 * VPC endpoint, or a test server). The SDK v3 client speaks AWS JSON 1.0 to CloudWatch.
 */
import type {
  CloudWatchClient,
  GetMetricDataCommandInput,
  GetMetricDataCommandOutput,
  MetricDataQuery,
} from '@aws-sdk/client-cloudwatch';
import { systemClock } from '../../shared/clock';
import type { MetricsProvider, MetricsProviderContext } from './provider';
import { NoValuesFoundError, noValuesIn, wrapError } from './provider';
import { metricIntervalSeconds } from './support';

const START_DELTA_MULTIPLIER = 10;
/** aws.Config.WithMaxRetries(3): four attempts in all. */
const MAX_ATTEMPTS = 4;

/** The Go struct's fields; encoding/json matches JSON keys to them case-insensitively. */
type Shape = { [field: string]: Shape | 'value' | [Shape] };
const DIMENSION: Shape = { Name: 'value', Value: 'value' };
const METRIC_DATA_QUERY: Shape = {
  AccountId: 'value',
  Expression: 'value',
  Id: 'value',
  Label: 'value',
  MetricStat: {
    Metric: { Dimensions: [DIMENSION], MetricName: 'value', Namespace: 'value' },
    Period: 'value',
    Stat: 'value',
    Unit: 'value',
  },
  Period: 'value',
  ReturnData: 'value',
};

/** A decoded JSON value with its keys renamed to the struct's fields, unknown keys dropped. */
function conform(value: unknown, shape: Shape | 'value' | [Shape]): unknown {
  if (shape === 'value' || value === null || typeof value !== 'object') return value;
  if (Array.isArray(shape))
    return Array.isArray(value) ? value.map((v) => conform(v, shape[0])) : value;
  if (Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const name =
      key in shape ? key : Object.keys(shape).find((f) => f.toLowerCase() === key.toLowerCase());
    const inner = name === undefined ? undefined : shape[name];
    if (name !== undefined && inner !== undefined) out[name] = conform(v, inner);
  }
  return out;
}

/** `json.Unmarshal([]byte(query), &cq)` into []*cloudwatch.MetricDataQuery. */
function parseQueries(query: string): MetricDataQuery[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(query) as unknown;
  } catch (err) {
    throw new Error(`error unmarshaling query: ${(err as Error).message}`, { cause: err });
  }
  if (parsed === null) return [];
  if (!Array.isArray(parsed))
    throw new Error(
      `error unmarshaling query: json: cannot unmarshal ${typeof parsed} into Go value of type []*cloudwatch.MetricDataQuery`,
    );
  return parsed.map((q) => conform(q, METRIC_DATA_QUERY) as MetricDataQuery);
}

interface AwsError {
  name?: string;
  message?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number; requestId?: string };
}

/** The status code of an AWS service answer; undefined when the request got no answer. */
function statusOf(err: unknown): number | undefined {
  return (err as AwsError | null)?.$metadata?.httpStatusCode;
}

/** awserr.RequestFailure's text: "Code: message\n\tstatus code: 403, request id: ...". */
function awsErrorText(err: unknown): string {
  const e = (err ?? {}) as AwsError;
  const status = statusOf(err);
  const message = e.message ?? String(err);
  if (e.name === 'CredentialsProviderError') return `NoCredentialProviders: ${message}`;
  if (status === undefined) return `RequestError: send request failed\ncaused by: ${message}`;
  return `${e.Code ?? e.name ?? 'UnknownError'}: ${message}\n\tstatus code: ${status}, request id: ${e.$metadata?.requestId ?? ''}`;
}

/** awsutil.Prettify of the output, near enough: its fields as JSON. */
function outputText(output: GetMetricDataCommandOutput): string {
  const { $metadata: _metadata, ...fields } = output;
  return JSON.stringify(fields);
}

/**
 * One client per region and endpoint, so the credential chain resolves once, not per check.
 * The SDK loads on first use: most engines never talk to CloudWatch.
 */
const clients = new Map<string, Promise<CloudWatchClient>>();

function clientFor(region: string, endpoint: string | undefined): Promise<CloudWatchClient> {
  const key = `${region}\n${endpoint ?? ''}`;
  let client = clients.get(key);
  if (!client) {
    client = import('@aws-sdk/client-cloudwatch').then(
      (sdk) =>
        new sdk.CloudWatchClient({
          region,
          maxAttempts: MAX_ATTEMPTS,
          ...(endpoint ? { endpoint } : {}),
        }),
    );
    clients.set(key, client);
  }
  return client;
}

/** GetMetricData through the (lazily loaded) SDK. */
async function getMetricData(
  client: Promise<CloudWatchClient>,
  input: GetMetricDataCommandInput,
): Promise<GetMetricDataCommandOutput> {
  const [cw, { GetMetricDataCommand }] = await Promise.all([
    client,
    import('@aws-sdk/client-cloudwatch'),
  ]);
  return cw.send(new GetMetricDataCommand(input));
}

/** NewCloudWatchProvider: a region is required; the interval must be a Go duration. */
export function createCloudWatchProvider(context: MetricsProviderContext): MetricsProvider {
  const region = context.provider.region ?? '';
  if (region === '') throw new Error('region not specified');
  const startDeltaMs =
    START_DELTA_MULTIPLIER * metricIntervalSeconds(context.metricInterval) * 1000;
  const client = clientFor(region, context.provider.address || undefined);
  const clock = context.clock ?? systemClock;

  return {
    async runQuery(query) {
      const queries = parseQueries(query);
      const end = clock.now();
      let output: GetMetricDataCommandOutput;
      try {
        output = await getMetricData(client, {
          StartTime: new Date(end - startDeltaMs),
          EndTime: new Date(end),
          MaxDatapoints: 20,
          MetricDataQueries: queries,
        });
      } catch (err) {
        throw new Error(`error requesting cloudwatch: ${awsErrorText(err)}`, { cause: err });
      }
      const results = output.MetricDataResults ?? [];
      const first = results[0];
      if (!first) throw noValuesIn(outputText(output));
      const value = first.Values?.[0];
      // Flagger's own spelling ("reponse").
      if (value === undefined)
        throw wrapError(`invalid reponse ${outputText(output)}`, new NoValuesFoundError());
      return value;
    },
    async isOnline() {
      try {
        await getMetricData(client, {
          // Go's zero time.Time.
          StartTime: new Date(-62135596800000),
          EndTime: new Date(-62135596800000),
          MetricDataQueries: [],
        });
        return true;
      } catch (err) {
        const status = statusOf(err);
        if (status === undefined)
          throw new Error(`unexpected error: ${awsErrorText(err)}`, { cause: err });
        if (status !== 400)
          throw new Error(`unexpected status code: ${awsErrorText(err)}`, { cause: err });
        return true;
      }
    },
  };
}
