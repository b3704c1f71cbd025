/**
 * meta.k8s.io/v1 Table output: what `kubectl get` asks for (Accept: ...;as=Table). The
 * columns follow kube-apiserver's printers for the built-in kinds (pkg/printers/internalversion)
 * and a CRD's additionalPrinterColumns for custom resources, so kubectl's output looks as
 * it does against a real cluster.
 */
import type { KubeObject } from '../store';
import type { PrinterColumn, ResourceType } from './resources';
import { formatLabelSelector } from './selectors';

export interface TableColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

export type Cell = string | number | boolean | null;

export interface TableRow {
  cells: Cell[];
  object: unknown;
}

export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  columnDefinitions: TableColumnDefinition[];
  rows: TableRow[];
}

/** k8s.io/apimachinery/pkg/util/duration.HumanDuration: "45s", "3m20s", "5h2m", "12d". */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const dy = Math.floor(hours / 24) % 365;
    const y = Math.floor(hours / 24 / 365);
    return dy === 0 ? `${y}y` : `${y}y${dy}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}

// ---- JSONPath subset for printer columns ---------------------------------------------

/** Evaluates a printer-column JSONPath: .a.b, [n], ['key'], [*], [?(@.k=="v")]. */
export function evalJsonPath(object: unknown, path: string): unknown[] {
  let p = path.trim();
  if (p.startsWith('{') && p.endsWith('}')) p = p.slice(1, -1);
  if (p.startsWith('$')) p = p.slice(1);
  const tokens: string[] = [];
  const re = /\.([^.[\]]+)|\[([^\]]+)\]/g;
  for (let m = re.exec(p); m; m = re.exec(p))
    tokens.push(m[1] !== undefined ? `.${m[1]}` : `[${m[2] ?? ''}]`);
  let values: unknown[] = [object];
  for (const token of tokens) {
    const next: unknown[] = [];
    for (const v of values) {
      if (v === null || v === undefined) continue;
      if (token.startsWith('.')) {
        if (typeof v === 'object' && !Array.isArray(v))
          next.push((v as Record<string, unknown>)[token.slice(1)]);
        continue;
      }
      const inner = token.slice(1, -1).trim();
      const filter = /^\?\(@\.([\w.-]+)\s*==\s*["']?([^"']*)["']?\)$/.exec(inner);
      if (filter && Array.isArray(v)) {
        const [, field = '', want = ''] = filter;
        for (const item of v) {
          const got = field
            .split('.')
            .reduce<unknown>(
              (acc, k) =>
                acc && typeof acc === 'object' ? (acc as Record<string, unknown>)[k] : undefined,
              item,
            );
          if (String(got) === want) next.push(item);
        }
      } else if (inner === '*') {
        if (Array.isArray(v)) next.push(...v);
        else if (typeof v === 'object') next.push(...Object.values(v));
      } else if (/^-?\d+$/.test(inner) && Array.isArray(v)) {
        const i = Number(inner);
        next.push(v[i < 0 ? v.length + i : i]);
      } else if (typeof v === 'object' && !Array.isArray(v)) {
        // A quoted key may escape its dots ('serving\.knative\.dev/configuration').
        const key = inner.replace(/^['"]|['"]$/g, '').replace(/\\(.)/g, '$1');
        next.push((v as Record<string, unknown>)[key]);
      }
    }
    values = next.filter((x) => x !== undefined);
  }
  return values;
}

/** apiextensions-apiserver's tableconvertor: string columns print any value, others need the type. */
function crdCell(column: PrinterColumn, object: KubeObject, now: number): Cell {
  const values = evalJsonPath(object, column.jsonPath);
  if (values.length === 0) return null;
  const value = values[0];
  if (value === null || value === undefined) return null;
  switch (column.type) {
    case 'string':
      return values.map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v))).join(' ');
    case 'integer':
      return typeof value === 'number' ? Math.trunc(value) : null;
    case 'number':
      return typeof value === 'number' ? value : null;
    case 'boolean':
      return typeof value === 'boolean' ? value : null;
    case 'date': {
      if (typeof value !== 'string') return null;
      const t = Date.parse(value);
      return Number.isNaN(t) ? '<invalid>' : humanDuration(now - t);
    }
    default:
      return null;
  }
}

// ---- built-in printers -------------------------------------------------------------

type Printer = { columns: [string, string, number?][]; cells: (o: Obj, now: number) => Cell[] };
type Obj = KubeObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> };

const NAME_DESCRIPTION =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';
const AGE_DESCRIPTION =
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.';

function age(o: KubeObject, now: number): string {
  const t = o.metadata.creationTimestamp ? Date.parse(o.metadata.creationTimestamp) : NaN;
  return Number.isNaN(t) ? '<unknown>' : humanDuration(now - t);
}

function num(v: unknown): number {
  return typeof v === 'number' ? v : 0;
}

function rec(v: unknown): Record<string, unknown> {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function arr(v: unknown): Record<string, unknown>[] {
  return Array.isArray(v) ? v.map(rec) : [];
}

function orNone(s: string): string {
  return s === '' ? '<none>' : s;
}

function containerColumns(spec: Record<string, unknown> | undefined): [string, string] {
  const containers = arr(rec(rec(spec?.template).spec).containers);
  return [
    containers.map((c) => String(c.name ?? '')).join(','),
    containers.map((c) => String(c.image ?? '')).join(','),
  ];
}

function podReadyAndStatus(o: Obj): { ready: string; status: string; restarts: string } {
  const containers = arr(o.spec?.containers);
  const statuses = arr(o.status?.containerStatuses);
  const ready = statuses.filter((s) => s.ready === true).length;
  const restarts = statuses.reduce((n, s) => n + num(s.restartCount), 0);
  let status = String(o.status?.reason ?? o.status?.phase ?? 'Pending');
  for (const s of statuses) {
    const state = rec(s.state);
    const waiting = rec(state.waiting);
    const terminated = rec(state.terminated);
    if (typeof waiting.reason === 'string' && waiting.reason) status = waiting.reason;
    else if (typeof terminated.reason === 'string' && terminated.reason) status = terminated.reason;
  }
  if (o.metadata.deletionTimestamp) status = 'Terminating';
  return { ready: `${ready}/${containers.length}`, status, restarts: String(restarts) };
}

function servicePorts(spec: Record<string, unknown> | undefined): string {
  const ports = arr(spec?.ports).map(
    (p) =>
      `${String(p.port)}${p.nodePort ? `:${String(p.nodePort)}` : ''}/${String(p.protocol ?? 'TCP')}`,
  );
  return orNone(ports.join(','));
}

function externalIP(
  spec: Record<string, unknown> | undefined,
  status: Record<string, unknown> | undefined,
): string {
  const type = spec?.type ?? 'ClusterIP';
  const external = Array.isArray(spec?.externalIPs) ? (spec.externalIPs as string[]) : [];
  if (type === 'ExternalName') return String(spec?.externalName ?? '<none>');
  if (type === 'LoadBalancer') {
    const ingress = arr(rec(status?.loadBalancer).ingress).map((i) =>
      String(i.ip ?? i.hostname ?? ''),
    );
    const all = [...ingress, ...external].filter((s) => s);
    return all.length ? all.join(',') : '<pending>';
  }
  return external.length ? external.join(',') : '<none>';
}

function endpointsSummary(o: Obj): string {
  const list: string[] = [];
  for (const subset of arr((o as Record<string, unknown>).subsets)) {
    const ports = arr(subset.ports);
    for (const a of arr(subset.addresses)) {
      if (ports.length === 0) list.push(String(a.ip));
      for (const p of ports) list.push(`${String(a.ip)}:${String(p.port)}`);
    }
  }
  if (list.length === 0) return '<none>';
  return list.length > 3
    ? `${list.slice(0, 3).join(',')} + ${list.length - 3} more...`
    : list.join(',');
}

function eventTime(o: Record<string, unknown>, now: number, ...fields: string[]): string {
  for (const f of fields) {
    const v = o[f];
    if (typeof v === 'string' && v) return humanDuration(now - Date.parse(v));
  }
  return '<unknown>';
}

function hpaTargets(o: Obj): string {
  const current = arr(o.status?.currentMetrics);
  const parts = arr(o.spec?.metrics).map((m, i) => {
    const resource = rec(m.resource);
    const target = rec(resource.target);
    const cur = rec(rec(current[i]).resource).current;
    const curText =
      rec(cur).averageUtilization !== undefined
        ? `${String(rec(cur).averageUtilization)}%`
        : '<unknown>';
    if (m.type === 'Resource' && target.averageUtilization !== undefined) {
      return `${String(resource.name)}: ${curText}/${String(target.averageUtilization)}%`;
    }
    return `<unknown>/${String(target.averageValue ?? target.value ?? '')}`;
  });
  return parts.length ? parts.join(', ') : '<none>';
}

const PRINTERS: Record<string, Printer> = {
  '/namespaces': {
    columns: [
      ['Status', 'string'],
      ['Age', 'string'],
    ],
    cells: (o, now) => [String(o.status?.phase ?? 'Active'), age(o, now)],
  },
  '/pods': {
    columns: [
      ['Ready', 'string'],
      ['Status', 'string'],
      ['Restarts', 'string'],
      ['Age', 'string'],
      ['IP', 'string', 1],
      ['Node', 'string', 1],
      ['Nominated Node', 'string', 1],
      ['Readiness Gates', 'string', 1],
    ],
    cells: (o, now) => {
      const p = podReadyAndStatus(o);
      return [
        p.ready,
        p.status,
        p.restarts,
        age(o, now),
        orNone(String(o.status?.podIP ?? '')),
        orNone(String(o.spec?.nodeName ?? '')),
        '<none>',
        '<none>',
      ];
    },
  },
  '/services': {
    columns: [
      ['Type', 'string'],
      ['Cluster-IP', 'string'],
      ['External-IP', 'string'],
      ['Port(s)', 'string'],
      ['Age', 'string'],
      ['Selector', 'string', 1],
    ],
    cells: (o, now) => [
      String(o.spec?.type ?? 'ClusterIP'),
      orNone(String(o.spec?.clusterIP ?? '')),
      externalIP(o.spec, o.status),
      servicePorts(o.spec),
      age(o, now),
      orNone(
        Object.entries(rec(o.spec?.selector))
          .map(([k, v]) => `${k}=${String(v)}`)
          .join(','),
      ),
    ],
  },
  '/endpoints': {
    columns: [
      ['Endpoints', 'string'],
      ['Age', 'string'],
    ],
    cells: (o, now) => [endpointsSummary(o), age(o, now)],
  },
  '/configmaps': {
    columns: [
      ['Data', 'integer'],
      ['Age', 'string'],
    ],
    cells: (o, now) => [
      Object.keys(rec(o.data)).length + Object.keys(rec(o.binaryData)).length,
      age(o, now),
    ],
  },
  '/secrets': {
    columns: [
      ['Type', 'string'],
      ['Data', 'integer'],
      ['Age', 'string'],
    ],
    cells: (o, now) => [
      String(o.type ?? 'Opaque'),
      Object.keys(rec(o.data)).length + Object.keys(rec(o.stringData)).length,
      age(o, now),
    ],
  },
  '/serviceaccounts': {
    columns: [
      ['Secrets', 'integer'],
      ['Age', 'string'],
    ],
    cells: (o, now) => [Array.isArray(o.secrets) ? o.secrets.length : 0, age(o, now)],
  },
  '/nodes': {
    columns: [
      ['Status', 'string'],
      ['Roles', 'string'],
      ['Age', 'string'],
      ['Version', 'string'],
      ['Internal-IP', 'string', 1],
      ['External-IP', 'string', 1],
      ['OS-Image', 'string', 1],
      ['Kernel-Version', 'string', 1],
      ['Container-Runtime', 'string', 1],
    ],
    cells: (o, now) => {
      const ready = arr(o.status?.conditions).find((c) => c.type === 'Ready');
      const roles = Object.keys(o.metadata.labels ?? {})
        .filter((k) => k.startsWith('node-role.kubernetes.io/'))
        .map((k) => k.slice('node-role.kubernetes.io/'.length));
      const info = rec(o.status?.nodeInfo);
      const internal = arr(o.status?.addresses).find((a) => a.type === 'InternalIP');
      return [
        ready?.status === 'True' ? 'Ready' : 'NotReady',
        orNone(roles.join(',')),
        age(o, now),
        String(info.kubeletVersion ?? ''),
        orNone(String(internal?.address ?? '')),
        '<none>',
        String(info.osImage ?? '<unknown>'),
        String(info.kernelVersion ?? '<unknown>'),
        String(info.containerRuntimeVersion ?? '<unknown>'),
      ];
    },
  },
  'apps/deployments': {
    columns: [
      ['Ready', 'string'],
      ['Up-to-date', 'integer'],
      ['Available', 'integer'],
      ['Age', 'string'],
      ['Containers', 'string', 1],
      ['Images', 'string', 1],
      ['Selector', 'string', 1],
    ],
    cells: (o, now) => {
      const [names, images] = containerColumns(o.spec);
      return [
        `${num(o.status?.readyReplicas)}/${num(o.spec?.replicas)}`,
        num(o.status?.updatedReplicas),
        num(o.status?.availableReplicas),
        age(o, now),
        names,
        images,
        orNone(formatLabelSelector(o.spec?.selector)),
      ];
    },
  },
  'apps/replicasets': {
    columns: [
      ['Desired', 'integer'],
      ['Current', 'integer'],
      ['Ready', 'integer'],
      ['Age', 'string'],
      ['Containers', 'string', 1],
      ['Images', 'string', 1],
      ['Selector', 'string', 1],
    ],
    cells: (o, now) => {
      const [names, images] = containerColumns(o.spec);
      return [
        num(o.spec?.replicas),
        num(o.status?.replicas),
        num(o.status?.readyReplicas),
        age(o, now),
        names,
        images,
        orNone(formatLabelSelector(o.spec?.selector)),
      ];
    },
  },
  'apps/statefulsets': {
    columns: [
      ['Ready', 'string'],
      ['Age', 'string'],
      ['Containers', 'string', 1],
      ['Images', 'string', 1],
    ],
    cells: (o, now) => {
      const [names, images] = containerColumns(o.spec);
      return [
        `${num(o.status?.readyReplicas)}/${num(o.spec?.replicas)}`,
        age(o, now),
        names,
        images,
      ];
    },
  },
  'apps/daemonsets': {
    columns: [
      ['Desired', 'integer'],
      ['Current', 'integer'],
      ['Ready', 'integer'],
      ['Up-to-date', 'integer'],
      ['Available', 'integer'],
      ['Node Selector', 'string'],
      ['Age', 'string'],
      ['Containers', 'string', 1],
      ['Images', 'string', 1],
      ['Selector', 'string', 1],
    ],
    cells: (o, now) => {
      const [names, images] = containerColumns(o.spec);
      const s = o.status ?? {};
      const nodeSelector = rec(rec(rec(o.spec?.template).spec).nodeSelector);
      return [
        num(s.desiredNumberScheduled),
        num(s.currentNumberScheduled),
        num(s.numberReady),
        num(s.updatedNumberScheduled),
        num(s.numberAvailable),
        orNone(
          Object.entries(nodeSelector)
            .map(([k, v]) => `${k}=${String(v)}`)
            .join(','),
        ),
        age(o, now),
        names,
        images,
        orNone(formatLabelSelector(o.spec?.selector)),
      ];
    },
  },
  'autoscaling/horizontalpodautoscalers': {
    columns: [
      ['Reference', 'string'],
      ['Targets', 'string'],
      ['MinPods', 'string'],
      ['MaxPods', 'integer'],
      ['Replicas', 'integer'],
      ['Age', 'string'],
    ],
    cells: (o, now) => {
      const target = rec(o.spec?.scaleTargetRef);
      return [
        `${String(target.kind ?? '')}/${String(target.name ?? '')}`,
        hpaTargets(o),
        String(o.spec?.minReplicas ?? '<unset>'),
        num(o.spec?.maxReplicas),
        num(o.status?.currentReplicas),
        age(o, now),
      ];
    },
  },
  'networking.k8s.io/ingresses': {
    columns: [
      ['Class', 'string'],
      ['Hosts', 'string'],
      ['Address', 'string'],
      ['Ports', 'string'],
      ['Age', 'string'],
    ],
    cells: (o, now) => {
      const hosts = arr(o.spec?.rules).map((r) => String(r.host ?? '*'));
      const address = arr(rec(rec(o.status?.loadBalancer)).ingress).map((i) =>
        String(i.ip ?? i.hostname ?? ''),
      );
      return [
        String(o.spec?.ingressClassName ?? '<none>'),
        hosts.length ? hosts.join(',') : '*',
        address.join(','),
        Array.isArray(o.spec?.tls) && o.spec.tls.length ? '80, 443' : '80',
        age(o, now),
      ];
    },
  },
  'networking.k8s.io/ingressclasses': {
    columns: [
      ['Controller', 'string'],
      ['Parameters', 'string'],
      ['Age', 'string'],
    ],
    cells: (o, now) => [String(o.spec?.controller ?? ''), '<none>', age(o, now)],
  },
  'coordination.k8s.io/leases': {
    columns: [
      ['Holder', 'string'],
      ['Age', 'string'],
    ],
    cells: (o, now) => [String(o.spec?.holderIdentity ?? ''), age(o, now)],
  },
  'apiextensions.k8s.io/customresourcedefinitions': {
    columns: [['Created At', 'date']],
    cells: (o) => [String(o.metadata.creationTimestamp ?? '')],
  },
};

const EVENT_COLUMNS: [string, string, number?][] = [
  ['Last Seen', 'string'],
  ['Type', 'string'],
  ['Reason', 'string'],
  ['Object', 'string'],
  ['Message', 'string'],
  ['Subobject', 'string', 1],
  ['Source', 'string', 1],
  ['First Seen', 'string', 1],
  ['Count', 'string', 1],
  ['Name', 'string', 1],
];

function eventCells(o: Obj, now: number): Cell[] {
  const e = o as Record<string, unknown>;
  const involved = rec(e.involvedObject);
  const source = rec(e.source);
  return [
    eventTime(e, now, 'lastTimestamp', 'eventTime', 'firstTimestamp'),
    String(e.type ?? ''),
    String(e.reason ?? ''),
    `${String(involved.kind ?? '').toLowerCase()}/${String(involved.name ?? '')}`,
    String(e.message ?? ''),
    String(involved.fieldPath ?? ''),
    String(source.component ?? e.reportingComponent ?? ''),
    eventTime(e, now, 'firstTimestamp', 'eventTime'),
    String(e.count ?? 1),
    o.metadata.name,
  ];
}

function columnDefinition(
  name: string,
  type: string,
  priority = 0,
  format = '',
  description = '',
): TableColumnDefinition {
  return { name, type, format, description, priority };
}

function partialMetadata(o: KubeObject): unknown {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
}

export interface TableOptions {
  version: string;
  now: number;
  /** includeObject=Object sends whole objects in rows; the default is PartialObjectMetadata. */
  includeObject?: 'None' | 'Object' | 'Metadata';
  noHeaders?: boolean;
}

/** Builds the Table for objects of one type (core/v1 events use their own layout). */
export function toTable(type: ResourceType, objects: KubeObject[], options: TableOptions): Table {
  const key = `${type.storedAs?.group ?? type.group}/${type.storedAs?.resource ?? type.plural}`;
  let columns: TableColumnDefinition[];
  let cellsFor: (o: Obj) => Cell[];
  const nameColumn = columnDefinition('Name', 'string', 0, 'name', NAME_DESCRIPTION);
  if (type.printerColumns) {
    const defined = type.printerColumns[options.version] ?? [];
    const list: PrinterColumn[] = defined.length
      ? defined
      : [{ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' }];
    columns = [
      nameColumn,
      ...list.map((c) =>
        columnDefinition(c.name, c.type, c.priority ?? 0, c.format ?? '', c.description ?? ''),
      ),
    ];
    cellsFor = (o) => [o.metadata.name, ...list.map((c) => crdCell(c, o, options.now))];
  } else if (key === '/events') {
    columns = EVENT_COLUMNS.map(([n, t, p]) =>
      columnDefinition(n, t, p ?? 0, n === 'Name' ? 'name' : ''),
    );
    cellsFor = (o) => eventCells(o, options.now);
  } else {
    const printer = PRINTERS[key];
    if (printer) {
      columns = [
        nameColumn,
        ...printer.columns.map(([n, t, p]) =>
          columnDefinition(n, t, p ?? 0, '', n === 'Age' ? AGE_DESCRIPTION : ''),
        ),
      ];
      cellsFor = (o) => [o.metadata.name, ...printer.cells(o, options.now)];
    } else {
      // rest.DefaultTableConvertor, for kinds without a printer.
      columns = [nameColumn, columnDefinition('Created At', 'date', 0, '', AGE_DESCRIPTION)];
      cellsFor = (o) => [o.metadata.name, String(o.metadata.creationTimestamp ?? '')];
    }
  }
  const include = options.includeObject ?? 'Metadata';
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: {},
    columnDefinitions: options.noHeaders ? [] : columns,
    rows: objects.map((o) => ({
      cells: cellsFor(o as Obj),
      object: include === 'Object' ? o : include === 'None' ? null : partialMetadata(o),
    })),
  };
}
