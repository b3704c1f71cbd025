/**
 * The three PATCH flavours kubectl and client libraries send: JSON merge patch (RFC 7386),
 * JSON patch (RFC 6902), and Kubernetes' strategic merge patch for built-in kinds (lists
 * merged by key, e.g. containers by name, plus the $patch/$retainKeys/$setElementOrder/
 * $deleteFromPrimitiveList directives that `kubectl apply` emits). The merge keys come
 * from a table of the k8s.io/api patchMergeKey tags rather than an OpenAPI schema.
 */
import { StoreError } from '../store';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function isObject(v: unknown): v is JsonObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function invalidPatch(message: string): StoreError {
  return new StoreError(422, 'Invalid', message);
}

// ---- JSON merge patch ---------------------------------------------------------------

export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const result: JsonObject = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value) as Json;
  }
  return result;
}

// ---- JSON patch ---------------------------------------------------------------------

interface JsonPatchOp {
  op: string;
  path: string;
  from?: string;
  value?: Json;
}

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw invalidPatch(`invalid JSON pointer "${pointer}"`);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(doc: Json, tokens: string[], pointer: string): { parent: Json; key: string } {
  let current = doc;
  for (const token of tokens.slice(0, -1)) {
    if (Array.isArray(current)) current = current[Number(token)] ?? null;
    else if (isObject(current)) current = current[token] ?? null;
    else current = null;
    if (current === null) throw invalidPatch(`doc is missing path: "${pointer}"`);
  }
  const key = tokens[tokens.length - 1];
  if (key === undefined) throw invalidPatch('cannot operate on the whole document');
  return { parent: current, key };
}

function getAt(doc: Json, pointer: string): Json {
  let current = doc;
  for (const token of parsePointer(pointer)) {
    if (Array.isArray(current)) current = current[Number(token)] as Json;
    else if (isObject(current)) current = current[token] as Json;
    else current = undefined as unknown as Json;
    if (current === undefined) throw invalidPatch(`doc is missing path: "${pointer}"`);
  }
  return current;
}

function arrayIndex(arr: Json[], key: string, forAdd: boolean, pointer: string): number {
  if (forAdd && key === '-') return arr.length;
  const index = Number(key);
  const max = forAdd ? arr.length : arr.length - 1;
  if (!/^\d+$/.test(key) || index > max)
    throw invalidPatch(`unable to access invalid index: ${key} in "${pointer}"`);
  return index;
}

function removeAt(doc: Json, pointer: string): Json {
  const { parent, key } = parentOf(doc, parsePointer(pointer), pointer);
  if (Array.isArray(parent)) {
    const [removed] = parent.splice(arrayIndex(parent, key, false, pointer), 1);
    return removed ?? null;
  }
  if (!isObject(parent) || !(key in parent))
    throw invalidPatch(`unable to remove nonexistent key: ${key}: missing value`);
  const removed = parent[key] ?? null;
  delete parent[key];
  return removed;
}

function addAt(doc: Json, pointer: string, value: Json): Json {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return value;
  const { parent, key } = parentOf(doc, tokens, pointer);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, true, pointer), 0, value);
  else if (isObject(parent)) parent[key] = value;
  else throw invalidPatch(`doc is missing path: "${pointer}"`);
  return doc;
}

export function applyJsonPatch(target: unknown, operations: unknown): unknown {
  if (!Array.isArray(operations))
    throw new StoreError(
      400,
      'BadRequest',
      'json: cannot unmarshal object into Go value of type jsonpatch.Patch',
    );
  let doc = structuredClone(target) as Json;
  for (const raw of operations as JsonPatchOp[]) {
    const op = raw.op;
    const value = structuredClone(raw.value ?? null);
    switch (op) {
      case 'add':
        doc = addAt(doc, raw.path, value);
        break;
      case 'remove':
        removeAt(doc, raw.path);
        break;
      case 'replace': {
        getAt(doc, raw.path);
        const tokens = parsePointer(raw.path);
        if (tokens.length === 0) doc = value;
        else {
          const { parent, key } = parentOf(doc, tokens, raw.path);
          if (Array.isArray(parent)) parent[arrayIndex(parent, key, false, raw.path)] = value;
          else if (isObject(parent)) parent[key] = value;
        }
        break;
      }
      case 'move': {
        const moved = removeAt(doc, raw.from ?? '');
        doc = addAt(doc, raw.path, moved);
        break;
      }
      case 'copy':
        doc = addAt(doc, raw.path, structuredClone(getAt(doc, raw.from ?? '')));
        break;
      case 'test':
        if (JSON.stringify(getAt(doc, raw.path)) !== JSON.stringify(value)) {
          throw invalidPatch(`testing value ${raw.path} failed: test failed`);
        }
        break;
      default:
        throw invalidPatch(`Unexpected kind: ${String(op)}`);
    }
  }
  return doc;
}

// ---- strategic merge patch ----------------------------------------------------------

/** patchMergeKey per list field name (k8s.io/api types), for lists merged item by item. */
const MERGE_KEYS: Record<string, string | ((items: JsonObject[]) => string)> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  imagePullSecrets: 'name',
  hostAliases: 'ip',
  topologySpreadConstraints: 'topologyKey',
  resourceClaims: 'name',
  schedulingGates: 'name',
  conditions: 'type',
  ownerReferences: 'uid',
  // Container ports merge by containerPort, Service ports by port.
  ports: (items) => (items.some((i) => 'containerPort' in i) ? 'containerPort' : 'port'),
};

/** Lists of scalars with patchStrategy "merge" (a union instead of a replacement). */
const MERGED_PRIMITIVE_LISTS = new Set(['finalizers']);

const SET_ORDER = '$setElementOrder/';
const DELETE_FROM_PRIMITIVE = '$deleteFromPrimitiveList/';

export function applyStrategicMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch))
    throw new StoreError(400, 'BadRequest', 'strategic merge patch must be a JSON object');
  return mergeMap(isObject(target) ? target : {}, patch);
}

function mergeMap(original: JsonObject, patch: JsonObject): Json | undefined {
  const directive = patch.$patch;
  if (directive === 'delete') return undefined;
  if (directive === 'replace') {
    const { $patch: _p, ...rest } = patch;
    return stripDirectives(rest);
  }
  const result: JsonObject = { ...original };
  const orders: Record<string, Json[]> = {};
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$patch' || key === '$retainKeys') continue;
    if (key.startsWith(SET_ORDER)) {
      if (Array.isArray(value)) orders[key.slice(SET_ORDER.length)] = value;
      continue;
    }
    if (key.startsWith(DELETE_FROM_PRIMITIVE)) {
      const field = key.slice(DELETE_FROM_PRIMITIVE.length);
      const current = result[field];
      if (Array.isArray(current) && Array.isArray(value)) {
        const remove = new Set(value.map((v) => JSON.stringify(v)));
        result[field] = current.filter((v) => !remove.has(JSON.stringify(v)));
      }
      continue;
    }
    if (value === null) {
      delete result[key];
      continue;
    }
    const current = result[key];
    if (isObject(value)) {
      const merged = mergeMap(isObject(current) ? current : {}, value);
      if (merged === undefined) delete result[key];
      else result[key] = merged;
    } else if (Array.isArray(value)) {
      result[key] = mergeList(key, Array.isArray(current) ? current : [], value);
    } else {
      result[key] = value;
    }
  }
  for (const [field, order] of Object.entries(orders)) {
    const list = result[field];
    if (Array.isArray(list)) result[field] = applyOrder(field, list, order);
  }
  const retain = patch.$retainKeys;
  if (Array.isArray(retain)) {
    for (const key of Object.keys(result)) if (!retain.includes(key)) delete result[key];
  }
  return result;
}

function mergeKeyFor(field: string, items: JsonObject[]): string | undefined {
  const k = MERGE_KEYS[field];
  return typeof k === 'function' ? k(items) : k;
}

function mergeList(field: string, original: Json[], patch: Json[]): Json[] {
  const patchMaps = patch.filter(isObject);
  if (patchMaps.some((p) => p.$patch === 'replace')) {
    return stripDirectives(patchMaps.filter((p) => p.$patch !== 'replace')) as Json[];
  }
  if (MERGED_PRIMITIVE_LISTS.has(field)) {
    const seen = new Set(original.map((v) => JSON.stringify(v)));
    return [...original, ...patch.filter((v) => !seen.has(JSON.stringify(v)))];
  }
  const key =
    patchMaps.length === patch.length
      ? mergeKeyFor(field, [...patchMaps, ...original.filter(isObject)])
      : undefined;
  if (!key) return stripDirectives(patch) as Json[];
  const result: Json[] = original.map((v) => v);
  for (const item of patchMaps) {
    const id = item[key];
    const index = result.findIndex(
      (o) => isObject(o) && JSON.stringify(o[key]) === JSON.stringify(id),
    );
    if (item.$patch === 'delete') {
      if (index >= 0) result.splice(index, 1);
      continue;
    }
    const existing = index >= 0 ? result[index] : undefined;
    const merged = mergeMap(isObject(existing) ? existing : {}, item);
    if (merged === undefined) continue;
    if (index >= 0) result[index] = merged;
    else result.push(merged);
  }
  return result;
}

/** $setElementOrder: listed items first in the given order, the others after in their order. */
function applyOrder(field: string, list: Json[], order: Json[]): Json[] {
  const maps = list.filter(isObject);
  const key = maps.length === list.length ? mergeKeyFor(field, maps) : undefined;
  const identity = (v: Json) => JSON.stringify(key && isObject(v) ? v[key] : v);
  const rank = new Map(order.map((v, i) => [identity(v), i] as const));
  return [...list].sort(
    (a, b) => (rank.get(identity(a)) ?? order.length) - (rank.get(identity(b)) ?? order.length),
  );
}

function stripDirectives(value: Json): Json {
  if (Array.isArray(value)) return value.map(stripDirectives);
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value)) {
    if (k.startsWith('$')) continue;
    out[k] = stripDirectives(v);
  }
  return out;
}
