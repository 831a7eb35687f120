/**
 * The overview graph: the architecture folded to one node per architectural role, so that it reads on one
 * screen. Derived from the model (never hand-drawn), so a new stack or resource shows up in it:
 *
 * - KMS keys and buckets that only receive access logs are left out;
 * - alarms, dashboards, the topics alarms notify and whoever those topics reach are one `Observability` node;
 * - Glue databases and tables are one `Glue Data Catalog` node;
 * - a custom resource's provider functions, the functions behind an API's integrations, the bucket of a
 *   workgroup's query results and a schedule or rule that starts one thing join the node they serve;
 * - everything else is one node per top-level construct of its stack (`BronzeNotifications`: queue, DLQ and
 *   key; `Transform`: function and secret; `GoldBuild`: state machine and its functions), so a new construct
 *   is a new node.
 *
 * Edges are the model's data, trigger, catalog and control relations between roles, merged per pair: one
 * edge with the strongest kind (trigger, data, catalog, control) and short labels. Monitoring, encryption,
 * logging and configuration relations are left to the per-stack diagrams.
 *
 * Pure and deterministic.
 */
import type { Architecture, DiagramEdge, DiagramNode, EdgeKind, NodeKind } from './model';

/** Where a role is drawn: the data flow, orchestration beside it, observability folded into one box. */
export type RoleGroup = 'flow' | 'orchestration' | 'observability';

export interface RoleNode {
  readonly id: string;
  readonly kind: NodeKind;
  readonly label: string;
  /** Short summary of what the role is made of, e.g. `Step Functions + 2 Lambda, schedule`. */
  readonly caption: string;
  readonly group: RoleGroup;
  /** Ids of the model nodes folded into this role, sorted. */
  readonly members: readonly string[];
}

export interface OverviewGraph {
  /** Sorted by id. */
  readonly nodes: readonly RoleNode[];
  /** Sorted by from, to. */
  readonly edges: readonly DiagramEdge[];
  /** Model nodes the overview leaves out (KMS keys, access-log buckets), sorted. */
  readonly hidden: readonly string[];
}

export const OBSERVABILITY_ROLE = 'role:observability';
export const CATALOG_ROLE = 'role:catalog';

/** Relations the overview leaves to the per-stack diagrams. */
const LEFT_OUT_EDGES = new Set<EdgeKind>(['monitoring', 'encryption', 'logging', 'config']);
/** Relations that alone make a node plumbing: a node with only these is left out. */
const PLUMBING_EDGES = new Set<EdgeKind>(['encryption', 'logging']);
/** The member whose kind comes first names the role's kind. */
const KIND_ORDER: readonly NodeKind[] = ['stateMachine', 'api', 'workgroup', 'custom', 'function', 'bucket', 'queue', 'topic', 'rule', 'database', 'tables', 'secret', 'parameter', 'dashboard', 'alarm', 'key', 'external', 'other'];
/** Strongest first: the kind a merged edge keeps. */
const EDGE_ORDER: readonly EdgeKind[] = ['trigger', 'data', 'catalog', 'control'];

/** Short names for captions: [one, many]. */
const SHORT: Record<NodeKind, readonly [string, string]> = {
  bucket: ['S3 bucket', 'S3 buckets'],
  queue: ['SQS queue', 'SQS queues'],
  topic: ['SNS topic', 'SNS topics'],
  function: ['Lambda', 'Lambdas'],
  stateMachine: ['Step Functions', 'Step Functions'],
  database: ['Glue database', 'Glue databases'],
  tables: ['Glue tables', 'Glue tables'],
  workgroup: ['Athena workgroup', 'Athena workgroups'],
  alarm: ['alarm', 'alarms'],
  dashboard: ['dashboard', 'dashboards'],
  secret: ['secret', 'secrets'],
  parameter: ['parameter', 'parameters'],
  key: ['KMS key', 'KMS keys'],
  api: ['API Gateway', 'API Gateways'],
  rule: ['schedule', 'schedules'],
  custom: ['custom resource', 'custom resources'],
  external: ['external', 'external'],
  other: ['resource', 'resources'],
};

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The top-level construct a node belongs to: `<stack>/<first construct id>`. */
function constructOf(node: DiagramNode): string {
  if (node.stack === undefined || !node.id.startsWith(`${node.stack}/`)) return node.id;
  return `${node.stack}/${node.id.slice(node.stack.length + 1).split('/')[0]}`;
}

/** Folds the architecture into one node per architectural role. */
export function overviewGraph(arch: Architecture): OverviewGraph {
  const byId = new Map(arch.nodes.map((n) => [n.id, n]));
  const edgesOf = new Map<string, DiagramEdge[]>();
  for (const e of arch.edges) for (const id of [e.from, e.to]) edgesOf.set(id, [...(edgesOf.get(id) ?? []), e]);
  const incoming = (id: string) => (edgesOf.get(id) ?? []).filter((e) => e.to === id);
  const outgoing = (id: string) => (edgesOf.get(id) ?? []).filter((e) => e.from === id);

  const hidden = new Set<string>();
  for (const n of arch.nodes) {
    const relations = edgesOf.get(n.id) ?? [];
    if (n.kind === 'key' || (relations.length > 0 && relations.every((e) => PLUMBING_EDGES.has(e.kind)))) hidden.add(n.id);
  }

  // A node joins a role that is no construct (observability, the catalog) on its own; a construct joins
  // another construct whole (a function and its secret join the API that routes to the function).
  const roleOfNode = new Map<string, string>();
  const joins = new Map<string, string>();
  const join = (id: string, into: string) => {
    const from = constructOf(byId.get(id)!);
    const to = constructOf(byId.get(into)!);
    if (!hidden.has(id) && !roleOfNode.has(id) && !joins.has(from) && from !== to) joins.set(from, to);
  };
  const observe = (id: string) => {
    if (!hidden.has(id)) roleOfNode.set(id, OBSERVABILITY_ROLE);
  };
  for (const n of arch.nodes) if (n.kind === 'alarm' || n.kind === 'dashboard') observe(n.id);
  for (const e of arch.edges) if (e.kind === 'monitoring' && roleOfNode.get(e.from) === OBSERVABILITY_ROLE && byId.get(e.to)?.kind === 'topic') observe(e.to);
  for (const n of arch.nodes) {
    const into = incoming(n.id);
    if (n.kind === 'external' && into.length > 0 && into.every((e) => e.kind === 'monitoring' && roleOfNode.get(e.from) === OBSERVABILITY_ROLE)) observe(n.id);
  }
  // The Glue catalog and the Athena workgroup that queries it are one query layer when the app has one workgroup.
  const workgroups = arch.nodes.filter((n) => n.kind === 'workgroup');
  const catalogRole = workgroups.length === 1 ? constructOf(workgroups[0]) : CATALOG_ROLE;
  for (const n of arch.nodes) if (n.kind === 'database' || n.kind === 'tables') roleOfNode.set(n.id, catalogRole);
  for (const e of arch.edges) if (e.kind === 'control' && e.labels.includes('provider')) join(e.to, e.from);
  for (const n of arch.nodes) {
    if (n.kind !== 'function') continue;
    const triggers = incoming(n.id).filter((e) => e.kind === 'trigger');
    const apis = [...new Set(triggers.map((e) => e.from))];
    if (apis.length === 1 && triggers.every((e) => byId.get(e.from)?.kind === 'api' && e.labels.includes('integration'))) join(n.id, apis[0]);
  }
  for (const e of arch.edges) {
    if (e.kind === 'data' && e.labels.includes('query results') && byId.get(e.from)?.kind === 'workgroup' && byId.get(e.to)?.kind === 'bucket') join(e.to, e.from);
  }
  for (const n of arch.nodes) {
    if (n.kind !== 'rule') continue;
    const targets = [...new Set(outgoing(n.id).filter((e) => e.kind === 'trigger').map((e) => e.to))];
    if (targets.length === 1) join(n.id, targets[0]);
  }

  const roleOf = (id: string): string | undefined => {
    if (hidden.has(id)) return undefined;
    const role = roleOfNode.get(id);
    if (role !== undefined) return role;
    let at = constructOf(byId.get(id)!);
    for (let i = 0; i < arch.nodes.length && joins.has(at); i++) at = joins.get(at)!;
    return at;
  };

  const members = new Map<string, DiagramNode[]>();
  for (const n of arch.nodes) {
    const role = roleOf(n.id);
    if (role !== undefined) members.set(role, [...(members.get(role) ?? []), n]);
  }
  let nodes = [...members.entries()].map(([id, ms]) => roleNode(id, ms, arch)).sort((a, b) => cmp(a.id, b.id));

  const groupOf = new Map(nodes.map((n) => [n.id, n.group]));
  const merged = new Map<string, { from: string; to: string; kinds: Set<EdgeKind>; labels: Set<string>; both: boolean }>();
  for (const e of arch.edges) {
    if (LEFT_OUT_EDGES.has(e.kind)) continue;
    const from = roleOf(e.from);
    const to = roleOf(e.to);
    if (from === undefined || to === undefined || from === to || groupOf.get(from) === 'observability' || groupOf.get(to) === 'observability') continue;
    // Orchestration is drawn beside the flow with what it drives (starts, invokes, sends); its own reads and
    // writes are in its stack's diagram.
    const drives = e.kind === 'trigger' || e.labels.some((l) => DRIVES.has(l));
    if ((groupOf.get(from) === 'orchestration' || groupOf.get(to) === 'orchestration') && !drives) continue;
    const [a, b] = from < to ? [from, to] : [to, from];
    const key = `${a}\u0000${b}`;
    const m = merged.get(key) ?? { from, to, kinds: new Set<EdgeKind>(), labels: new Set<string>(), both: false };
    m.kinds.add(e.kind);
    if (e.kind !== 'control' || !e.labels.includes('provider')) for (const l of e.labels) m.labels.add(l);
    // Two directions between the same roles: the edge points the way the active side acts (queries, writes).
    if (m.from !== from) {
      if (e.labels.some((l) => ACTIVE.has(l)) && ![...m.labels].some((l) => ACTIVE.has(l) && !e.labels.includes(l))) {
        [m.from, m.to] = [from, to];
      }
      m.both = true;
    }
    m.both = m.both || e.both;
    merged.set(key, m);
  }
  const edges: DiagramEdge[] = [];
  // Tables over a bucket are a line of the catalog's caption, not an edge across the picture.
  const over = new Map<string, string[]>();
  const labelOf = new Map(nodes.map((n) => [n.id, n.label]));
  for (const m of merged.values()) {
    const kind = EDGE_ORDER.find((k) => m.kinds.has(k))!;
    if (kind === 'catalog' && m.labels.has('catalogued')) {
      over.set(m.to, [...(over.get(m.to) ?? []), labelOf.get(m.from)!]);
      continue;
    }
    const labels = shortLabels(kind, [...m.labels], m.both);
    edges.push({ from: m.from, to: m.to, kind, labels, both: labels.includes('read/write') });
  }
  edges.sort((a, b) => cmp(a.from, b.from) || cmp(a.to, b.to));
  // Two roles named alike (a function and a state machine both called GoldBuild) are told apart by their stack.
  const named = new Map<string, number>();
  for (const n of nodes) named.set(n.label, (named.get(n.label) ?? 0) + 1);
  const shortName = new Map(arch.stacks.map((st) => [st.stackName, st.shortName]));
  nodes = nodes.map((n) => {
    const stack = arch.nodes.find((x) => x.id === n.members[0])?.stack;
    const label = named.get(n.label)! > 1 && stack !== undefined ? `${n.label} (${shortName.get(stack) ?? stack})` : n.label;
    const tables = over.get(n.id);
    return { ...n, label, caption: tables ? `${n.caption}\ntables over ${tables.sort(cmp).join(', ')}` : n.caption };
  });
  return { nodes, edges, hidden: [...hidden].sort(cmp) };
}

/** Labels that say one role drives another. */
const DRIVES = new Set(['start', 'invoke', 'send', 'triggers']);
/** Labels that say which side of a two-way relation acts. */
const ACTIVE = new Set(['start', 'invoke', 'send', 'query', 'write', 'files', 'HTTP', 'SQL', 'query results', 'integration']);

/** An edge label of a word or two: what moves or happens, not every IAM action. */
function shortLabels(kind: EdgeKind, labels: readonly string[], both: boolean): string[] {
  const set = new Set(labels);
  if (kind === 'trigger') {
    if (set.has('integration')) return ['routes'];
    if (set.has('event source')) return ['events'];
    const events = [...set].filter((l) => /^[A-Z]/.test(l));
    if (events.length > 0) return events.sort(cmp);
    return set.has('start') || set.has('triggers') ? ['starts'] : [...set].sort(cmp);
  }
  if (kind === 'data') {
    for (const special of ['files', 'HTTP', 'SQL', 'query results', 'dead letters']) if (set.has(special)) return [special];
    for (const [verb, label] of [['start', 'starts'], ['invoke', 'invokes'], ['query', 'queries'], ['send', 'sends']] as const) if (set.has(verb)) return [label];
    if (both || (set.has('write') && set.has('read'))) return ['read/write'];
    if (set.has('write')) return ['writes'];
    return ['reads'];
  }
  if (kind === 'catalog') return set.has('catalogued') ? ['tables'] : [...set].sort(cmp).slice(0, 1);
  return [...set].sort(cmp).slice(0, 1);
}

function roleNode(id: string, ms: readonly DiagramNode[], arch: Architecture): RoleNode {
  const deadLetterQueues = new Set(arch.edges.filter((e) => e.labels.includes('dead letters')).map((e) => e.to));
  const rank = (n: DiagramNode) => KIND_ORDER.indexOf(n.kind) + (deadLetterQueues.has(n.id) ? 0.5 : 0);
  const sorted = [...ms].sort((a, b) => rank(a) - rank(b) || cmp(a.id, b.id));
  const memberIds = ms.map((m) => m.id).sort(cmp);
  // Glue databases and tables are counted, not listed: `Glue: 4 databases, 20 tables`.
  const catalog = ms.filter((m) => m.kind === 'database' || m.kind === 'tables');
  const databases = catalog.filter((m) => m.kind === 'database').length;
  const tables = catalog.reduce((sum, m) => sum + Number((/(\d+) tables?$/.exec(m.caption) ?? /×(\d+)$/.exec(m.caption) ?? [0, 0])[1]), 0);
  const glue = catalog.length === 0 ? [] : [`Glue: ${databases} database${databases === 1 ? '' : 's'}, ${tables} table${tables === 1 ? '' : 's'}`];
  const others = sorted.filter((m) => !catalog.includes(m));
  if (id === OBSERVABILITY_ROLE) {
    return { id, kind: 'alarm', label: 'Observability', caption: summary(others, deadLetterQueues, []), group: 'observability', members: memberIds };
  }
  if (others.length === 0) return { id, kind: 'database', label: 'Glue Data Catalog', caption: glue[0], group: 'flow', members: memberIds };
  const main = others[0];
  if (main.kind === 'external') return { id, kind: 'external', label: main.label, caption: main.caption, group: 'flow', members: memberIds };
  const label = main.stack !== undefined && id.startsWith(`${main.stack}/`) ? id.slice(main.stack.length + 1) : main.label;
  const group: RoleGroup = main.kind === 'stateMachine' ? 'orchestration' : 'flow';
  return { id, kind: main.kind, label, caption: [summary(others, deadLetterQueues, [main]), ...glue].join('\n'), group, members: memberIds };
}

/** `Step Functions + 2 Lambdas, schedule`: the first member's kind, then the others counted by kind. */
function summary(sorted: readonly DiagramNode[], deadLetterQueues: ReadonlySet<string>, first: readonly DiagramNode[]): string {
  const name = (n: DiagramNode): readonly [string, string] =>
    n.kind === 'custom' || n.kind === 'external' ? [n.caption, n.caption] : n.kind === 'queue' && deadLetterQueues.has(n.id) ? ['DLQ', 'DLQs'] : SHORT[n.kind];
  const counts = new Map<string, { names: readonly [string, string]; count: number }>();
  for (const n of sorted.filter((m) => !first.includes(m))) {
    const names = name(n);
    const c = counts.get(names[0]) ?? { names, count: 0 };
    c.count += 1;
    counts.set(names[0], c);
  }
  const rest = [...counts.values()].map(({ names, count }) => (count === 1 ? names[0] : `${count} ${names[1]}`));
  if (first.length === 0) return rest.join(', ');
  const head = name(first[0])[0];
  return rest.length === 0 ? head : `${head} + ${rest.join(', ')}`;
}
