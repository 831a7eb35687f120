/**
 * Graphviz DOT text for an architecture graph: the overview (every stack as a cluster, without encryption,
 * logging and KMS keys) and one diagram per stack (its resources, and the resources of other stacks it is
 * connected to, greyed). Pure and deterministic: the input is sorted, nothing depends on time or paths.
 */
import type { Architecture, DiagramEdge, DiagramNode, EdgeKind, NodeKind } from './model';

const NODE_STYLE: Record<NodeKind, string> = {
  bucket: 'shape=cylinder, fillcolor="#e3f4e1", color="#3f8f3a"',
  queue: 'shape=box, style="filled", fillcolor="#fbe3ec", color="#b0416b"',
  topic: 'shape=box, style="rounded,filled", fillcolor="#fbe3ec", color="#b0416b"',
  function: 'shape=box, style="rounded,filled", fillcolor="#fff0dc", color="#d37c0d"',
  stateMachine: 'shape=box, style="rounded,filled", fillcolor="#f1e4f6", color="#8e44ad"',
  database: 'shape=folder, fillcolor="#e8e5f7", color="#5b4db3"',
  tables: 'shape=folder, fillcolor="#e8e5f7", color="#5b4db3"',
  workgroup: 'shape=box, style="rounded,filled", fillcolor="#e1eefb", color="#2f6db3"',
  alarm: 'shape=octagon, fillcolor="#fde2e0", color="#c0392b"',
  dashboard: 'shape=box, style="filled", fillcolor="#fde2e0", color="#c0392b"',
  secret: 'shape=component, fillcolor="#eceff1", color="#546e7a"',
  parameter: 'shape=component, fillcolor="#eceff1", color="#546e7a"',
  key: 'shape=component, fillcolor="#eceff1", color="#546e7a"',
  api: 'shape=hexagon, fillcolor="#dff5f7", color="#00838f"',
  rule: 'shape=box, style="rounded,filled", fillcolor="#f7e1f0", color="#ad1f7c"',
  custom: 'shape=box, style="filled,dashed", fillcolor="#f5f5f5", color="#616161"',
  external: 'shape=box, style="rounded,dashed", fillcolor="#ffffff", color="#424242"',
  other: 'shape=box, style="filled", fillcolor="#f5f5f5", color="#616161"',
};

const EDGE_STYLE: Record<EdgeKind, string> = {
  data: 'color="#2e7d32", penwidth=1.4',
  trigger: 'color="#c62828", penwidth=1.4',
  control: 'color="#6a1b9a", style=dashed',
  catalog: 'color="#5b4db3", style=dashed',
  config: 'color="#9e9e9e", style=dashed',
  monitoring: 'color="#c0392b", style=dotted, constraint=false',
  encryption: 'color="#78909c", style=dotted',
  logging: 'color="#78909c", style=dotted',
};

const LEGEND: readonly [EdgeKind, string][] = [
  ['data', 'data (read → reader, writer → written)'],
  ['trigger', 'event / trigger'],
  ['control', 'calls, provides, configures'],
  ['catalog', 'catalog (tables over data)'],
  ['config', 'name in configuration (per-stack diagrams)'],
  ['monitoring', 'metrics, alarms, notifications'],
  ['encryption', 'KMS key, logs (per-stack diagrams)'],
];

/** Kinds left out of the overview to keep it readable; the per-stack diagrams show them. */
const OVERVIEW_HIDDEN_EDGES = new Set<EdgeKind>(['encryption', 'logging', 'config']);
const OVERVIEW_HIDDEN_NODES = new Set<NodeKind>(['key']);

function q(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

function nodeLine(node: DiagramNode, greyed: boolean): string {
  const style = greyed ? 'shape=box, style="rounded,filled,dashed", fillcolor="#fafafa", color="#9e9e9e", fontcolor="#616161"' : NODE_STYLE[node.kind];
  const withFill = /style=/.test(style) ? style : `${style}, style="filled"`;
  return `${q(node.id)} [label=${q(`${node.label}\n${node.caption}`)}, ${withFill}];`;
}

function edgeLine(edge: DiagramEdge): string {
  const label = edge.labels.join(', ');
  const attrs = [EDGE_STYLE[edge.kind], label ? `label=${q(label)}` : '', edge.both ? 'dir=both' : ''].filter(Boolean).join(', ');
  return `${q(edge.from)} -> ${q(edge.to)} [${attrs}];`;
}

function header(name: string, title: string): string[] {
  return [
    `digraph ${q(name)} {`,
    `  graph [rankdir=LR, fontname="Helvetica", fontsize=12, labelloc=t, nodesep=0.35, ranksep=0.9, newrank=true, label=${q(title)}];`,
    '  node [fontname="Helvetica", fontsize=10, margin="0.12,0.06"];',
    '  edge [fontname="Helvetica", fontsize=9, arrowsize=0.7];',
  ];
}

function legend(kinds: readonly EdgeKind[]): string[] {
  const shown = LEGEND.filter(([k]) => kinds.includes(k));
  if (shown.length === 0) return [];
  const lines = ['  subgraph "cluster_legend" {', '    label="edges"; style="rounded"; color="#bdbdbd"; fontsize=10;', '    node [shape=point, width=0.05, label=""];'];
  shown.forEach(([kind, text], i) => {
    lines.push(`    "legend_${i}_a" -> "legend_${i}_b" [${EDGE_STYLE[kind].replace(', constraint=false', '')}, label=${q(text)}];`);
  });
  lines.push('  }');
  return lines;
}

function clusters(arch: Architecture, nodes: readonly DiagramNode[], focus: string | undefined): string[] {
  const lines: string[] = [];
  for (const stack of arch.stacks) {
    const members = nodes.filter((n) => n.stack === stack.stackName);
    if (members.length === 0) continue;
    const greyed = focus !== undefined && stack.stackName !== focus;
    lines.push(`  subgraph ${q(`cluster_${stack.stackName}`)} {`);
    lines.push(`    label=${q(`${stack.shortName} (${stack.stackName})`)}; style=${greyed ? '"rounded,dashed"' : '"rounded"'}; color=${greyed ? '"#bdbdbd"' : '"#455a64"'}; fontsize=11;`);
    for (const n of members) lines.push(`    ${nodeLine(n, greyed)}`);
    lines.push('  }');
  }
  for (const n of nodes.filter((n) => n.stack === undefined)) lines.push(`  ${nodeLine(n, false)}`);
  return lines;
}

/**
 * The overview: every stack, every relation but encryption, logging and names in configuration. The functions behind a custom
 * resource are drawn as part of it (their grants become its edges), and the alarms of a stack are one
 * node, so that neither a provider's plumbing nor a row of alarms crowds out the data flow.
 */
export function overviewDot(arch: Architecture, title: string): string {
  const providerOf = new Map<string, string>();
  for (const e of arch.edges) if (e.kind === 'control' && e.labels.includes('provider')) providerOf.set(e.to, e.from);
  // The alarms of a stack are one node: each watches one thing, and together they would fill the page.
  const alarmsOf = new Map<string, DiagramNode[]>();
  for (const n of arch.nodes.filter((x) => x.kind === 'alarm' && x.stack !== undefined)) alarmsOf.set(n.stack!, [...(alarmsOf.get(n.stack!) ?? []), n]);
  const foldedAlarms = new Map<string, string>();
  const alarmNodes: DiagramNode[] = [];
  for (const [stack, alarms] of alarmsOf) {
    if (alarms.length < 2) continue;
    const id = `${stack}/alarms`;
    for (const a of alarms) foldedAlarms.set(a.id, id);
    alarmNodes.push({ id, stack, kind: 'alarm', label: 'Alarms', caption: `CloudWatch alarm ×${alarms.length}` });
  }
  const at = (id: string) => foldedAlarms.get(id) ?? providerOf.get(id) ?? id;
  const nodes = [
    ...arch.nodes
      .filter((n) => !OVERVIEW_HIDDEN_NODES.has(n.kind) && !providerOf.has(n.id) && !foldedAlarms.has(n.id))
      .map((n) => {
        const providers = [...providerOf.entries()].filter(([, owner]) => owner === n.id).map(([fn]) => arch.nodes.find((x) => x.id === fn)?.label ?? fn);
        return providers.length > 0 ? { ...n, caption: `${n.caption}\nprovider: ${providers.join(', ')}` } : n;
      }),
    ...alarmNodes,
  ];
  const ids = new Set(nodes.map((n) => n.id));
  const merged = new Map<string, { from: string; to: string; kind: EdgeKind; labels: Set<string>; both: boolean }>();
  for (const e of arch.edges) {
    const from = at(e.from);
    const to = at(e.to);
    if (from === to || OVERVIEW_HIDDEN_EDGES.has(e.kind) || !ids.has(from) || !ids.has(to)) continue;
    const key = `${from}\u0000${to}\u0000${e.kind}`;
    const m = merged.get(key) ?? { from, to, kind: e.kind, labels: new Set<string>(), both: false };
    for (const l of e.labels) m.labels.add(l);
    m.both = m.both || e.both;
    merged.set(key, m);
  }
  const edges: DiagramEdge[] = [...merged.values()].map((m) => ({ ...m, labels: [...m.labels].sort() }));
  const kinds = [...new Set(edges.map((e) => e.kind))];
  return [...header('overview', title), ...clusters(arch, nodes, undefined), ...edges.map((e) => `  ${edgeLine(e)}`), ...legend(kinds), '}', ''].join('\n');
}

/** One stack: its resources with every relation, and the resources of other stacks they touch (greyed). */
export function stackDot(arch: Architecture, stackName: string, title: string): string {
  const own = new Set(arch.nodes.filter((n) => n.stack === stackName).map((n) => n.id));
  const edges = arch.edges.filter((e) => own.has(e.from) || own.has(e.to));
  const ids = new Set([...own, ...edges.flatMap((e) => [e.from, e.to])]);
  const nodes = arch.nodes.filter((n) => ids.has(n.id));
  const kinds = [...new Set(edges.map((e) => e.kind))];
  return [...header(stackName, title), ...clusters(arch, nodes, stackName), ...edges.map((e) => `  ${edgeLine(e)}`), ...legend(kinds), '}', ''].join('\n');
}
