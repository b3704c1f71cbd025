/**
 * Kubernetes label and field selectors, parsed once and matched many times (a list or a
 * watch with a selector evaluates it per object per event).
 */
import type { KubeObject } from '../store';
import { StoreError } from '../store';

export type Matcher = (object: KubeObject) => boolean;

type LabelRequirement =
  | { op: 'eq' | 'neq'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'exists' | 'notexists'; key: string };

function badSelector(message: string): StoreError {
  return new StoreError(400, 'BadRequest', message);
}

/** Splits on commas that are not inside parentheses. */
function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      terms.push(current);
      current = '';
    } else current += ch;
  }
  terms.push(current);
  return terms.map((t) => t.trim()).filter((t) => t !== '');
}

export function parseLabelSelector(selector: string): LabelRequirement[] {
  const requirements: LabelRequirement[] = [];
  for (const term of splitTerms(selector)) {
    const setMatch = /^([^\s!=()]+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(term);
    if (setMatch) {
      const values = (setMatch[3] ?? '')
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v !== '');
      requirements.push({
        op: setMatch[2] === 'in' ? 'in' : 'notin',
        key: setMatch[1] ?? '',
        values,
      });
      continue;
    }
    const cmp = /^([^\s!=()]+)\s*(==|!=|=)\s*([^\s!=()]*)$/.exec(term);
    if (cmp) {
      requirements.push({
        op: cmp[2] === '!=' ? 'neq' : 'eq',
        key: cmp[1] ?? '',
        value: cmp[3] ?? '',
      });
      continue;
    }
    const exists = /^(!?)\s*([^\s!=()]+)$/.exec(term);
    if (exists) {
      requirements.push({ op: exists[1] ? 'notexists' : 'exists', key: exists[2] ?? '' });
      continue;
    }
    throw badSelector(
      `unable to parse requirement: found '${term}', expected: valid label selector`,
    );
  }
  return requirements;
}

export function labelsMatch(
  requirements: LabelRequirement[],
  labels: Record<string, string> | undefined,
): boolean {
  const l = labels ?? {};
  return requirements.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    const v = l[r.key];
    switch (r.op) {
      case 'eq':
        return has && v === r.value;
      case 'neq':
        return !has || v !== r.value;
      case 'in':
        return has && r.values.includes(v ?? '');
      case 'notin':
        return !has || !r.values.includes(v ?? '');
      case 'exists':
        return has;
      case 'notexists':
        return !has;
    }
    return false;
  });
}

/** A label selector as written in spec.selector ({matchLabels, matchExpressions}) → string form. */
export function formatLabelSelector(selector: unknown): string {
  if (!selector || typeof selector !== 'object') return '';
  const s = selector as {
    matchLabels?: Record<string, string>;
    matchExpressions?: { key: string; operator: string; values?: string[] }[];
  };
  const parts: string[] = Object.entries(s.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of s.matchExpressions ?? []) {
    const values = (e.values ?? []).join(',');
    if (e.operator === 'In') parts.push(`${e.key} in (${values})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${values})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.join(',');
}

/** Reads a dotted path (status.phase, involvedObject.name) from an object. */
export function getPath(object: unknown, path: string): unknown {
  let current: unknown = object;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

interface FieldRequirement {
  path: string;
  value: string;
  negate: boolean;
}

export function parseFieldSelector(selector: string): FieldRequirement[] {
  const requirements: FieldRequirement[] = [];
  // Terms are separated by unescaped commas; values may escape ',' '=' '!' with '\'.
  for (const raw of selector.split(/(?<!\\),/)) {
    const term = raw.trim();
    if (!term) continue;
    const m = /^([^=!]+?)\s*(==|!=|=)\s*(.*)$/.exec(term);
    if (!m) throw badSelector(`invalid selector: '${selector}'; can't understand '${term}'`);
    requirements.push({
      path: (m[1] ?? '').trim(),
      value: (m[3] ?? '').replace(/\\(.)/g, '$1'),
      negate: m[2] === '!=',
    });
  }
  return requirements;
}

function fieldValue(object: KubeObject, path: string): string {
  const v = getPath(object, path);
  if (v === undefined || v === null) return '';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

export function fieldsMatch(requirements: FieldRequirement[], object: KubeObject): boolean {
  return requirements.every((r) => (fieldValue(object, r.path) === r.value) !== r.negate);
}

/** One matcher for both selectors; undefined/empty selectors match everything. */
export function compileSelectors(labelSelector?: string, fieldSelector?: string): Matcher {
  const labels = labelSelector ? parseLabelSelector(labelSelector) : [];
  const fields = fieldSelector ? parseFieldSelector(fieldSelector) : [];
  if (labels.length === 0 && fields.length === 0) return () => true;
  return (o) => labelsMatch(labels, o.metadata.labels) && fieldsMatch(fields, o);
}
