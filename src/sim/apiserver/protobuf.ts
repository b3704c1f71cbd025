/**
 * A small decoder for the Kubernetes protobuf encoding ("k8s\0" + runtime.Unknown), for
 * the few kinds kubectl's typed clients create with protobuf bodies: `kubectl create
 * namespace|configmap|secret|serviceaccount`. Field numbers follow k8s.io/api's
 * generated.proto; unknown fields are skipped. Other kinds answer 415 (use apply -f).
 */
import { ApiError } from './errors';

type FieldKind =
  'string' | 'bytes' | 'bool' | 'int' | { message: string } | { map: 'string' | 'bytes' };
interface Field {
  name: string;
  kind: FieldKind;
  repeated?: boolean;
}

const SCHEMAS: Record<string, Record<number, Field>> = {
  Unknown: {
    1: { name: 'typeMeta', kind: { message: 'TypeMeta' } },
    2: { name: 'raw', kind: 'bytes' },
    3: { name: 'contentEncoding', kind: 'string' },
    4: { name: 'contentType', kind: 'string' },
  },
  TypeMeta: { 1: { name: 'apiVersion', kind: 'string' }, 2: { name: 'kind', kind: 'string' } },
  ObjectMeta: {
    1: { name: 'name', kind: 'string' },
    2: { name: 'generateName', kind: 'string' },
    3: { name: 'namespace', kind: 'string' },
    11: { name: 'labels', kind: { map: 'string' } },
    12: { name: 'annotations', kind: { map: 'string' } },
    14: { name: 'finalizers', kind: 'string', repeated: true },
  },
  Namespace: { 1: { name: 'metadata', kind: { message: 'ObjectMeta' } } },
  ConfigMap: {
    1: { name: 'metadata', kind: { message: 'ObjectMeta' } },
    2: { name: 'data', kind: { map: 'string' } },
    3: { name: 'binaryData', kind: { map: 'bytes' } },
    4: { name: 'immutable', kind: 'bool' },
  },
  Secret: {
    1: { name: 'metadata', kind: { message: 'ObjectMeta' } },
    2: { name: 'data', kind: { map: 'bytes' } },
    3: { name: 'type', kind: 'string' },
    4: { name: 'stringData', kind: { map: 'string' } },
    5: { name: 'immutable', kind: 'bool' },
  },
  ServiceAccount: { 1: { name: 'metadata', kind: { message: 'ObjectMeta' } } },
};

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  get done(): boolean {
    return this.pos >= this.buf.length;
  }
  varint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const byte = this.buf[this.pos++];
      if (byte === undefined) throw new Error('truncated varint');
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7;
    }
  }
  bytes(): Buffer {
    const length = this.varint();
    const out = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }
  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.pos += 8;
    else if (wireType === 2) this.bytes();
    else if (wireType === 5) this.pos += 4;
    else throw new Error(`unsupported wire type ${wireType}`);
  }
}

function decodeMessage(buf: Buffer, schemaName: string): Record<string, unknown> {
  const schema = SCHEMAS[schemaName] ?? {};
  const out: Record<string, unknown> = {};
  const r = new Reader(buf);
  while (!r.done) {
    const tag = r.varint();
    const field = schema[Math.floor(tag / 8)];
    const wireType = tag & 7;
    if (!field) {
      r.skip(wireType);
      continue;
    }
    const kind = field.kind;
    let value: unknown;
    if (kind === 'string') value = r.bytes().toString('utf8');
    else if (kind === 'bytes') value = Buffer.from(r.bytes());
    else if (kind === 'bool') value = r.varint() !== 0;
    else if (kind === 'int') value = r.varint();
    else if ('message' in kind) value = decodeMessage(r.bytes(), kind.message);
    else {
      // A map entry: key = 1, value = 2.
      const entry = new Reader(r.bytes());
      let key = '';
      let v: string = '';
      while (!entry.done) {
        const t = entry.varint();
        const b = entry.bytes();
        if (t >> 3 === 1) key = b.toString('utf8');
        else if (t >> 3 === 2) v = kind.map === 'bytes' ? b.toString('base64') : b.toString('utf8');
      }
      const map = (out[field.name] ??= {}) as Record<string, string>;
      map[key] = v;
      continue;
    }
    if (field.repeated) ((out[field.name] ??= []) as unknown[]).push(value);
    else out[field.name] = value;
  }
  return out;
}

/** Decodes a Kubernetes protobuf request body into the JSON form of the object. */
export function decodeKubeProtobuf(body: Buffer): Record<string, unknown> {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) {
    throw new ApiError(
      400,
      'BadRequest',
      'the protobuf body does not start with the Kubernetes envelope',
    );
  }
  const unknown = decodeMessage(body.subarray(4), 'Unknown') as {
    typeMeta?: { apiVersion?: string; kind?: string };
    raw?: Buffer;
  };
  const kind = unknown.typeMeta?.kind ?? '';
  if (!SCHEMAS[kind] || kind === 'Unknown' || kind === 'TypeMeta' || kind === 'ObjectMeta') {
    throw new ApiError(
      415,
      'UnsupportedMediaType',
      `the playground decodes protobuf only for Namespace, ConfigMap, Secret and ServiceAccount (got ${kind || 'unknown'}); use kubectl apply -f or create -f`,
    );
  }
  const object = decodeMessage(unknown.raw ?? Buffer.alloc(0), kind);
  return { apiVersion: unknown.typeMeta?.apiVersion, kind, ...object };
}
