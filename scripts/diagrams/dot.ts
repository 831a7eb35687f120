/**
 * Graphviz DOT text for an architecture graph: the overview (one node per architectural role, see
 * overview.ts, sized to read on one screen) and one diagram per stack (its resources, and the resources of
 * other stacks it is connected to, greyed; alarms and plumbing folded). Pure and deterministic: the input is
 * sorted, nothing depends on time or paths.
 */
import type { Architecture, DiagramEdge, DiagramNode, EdgeKind, NodeKind } from './model';
import { overviewGraph, type OverviewGraph, type RoleNode } from './overview';

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

function q(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

function nodeLine(node: DiagramNode, greyed: boolean): string {
  const style = greyed ? 'shape=box, style="rounded,filled,dashed", fillcolor="#fafafa", color="#9e9e9e", fontcolor="#616161"' : NODE_STYLE[node.kind];
  const withFill = /style=/.test(style) ? style : `${style}, style="filled"`;
  return `${q(node.id)} [label=${q(`${node.label}\n${node.caption}`)}, ${withFill}];`;
}

function edgeLine(edge: DiagramEdge, extra = ''): string {
  const label = edge.labels.join(', ');
  const attrs = [EDGE_STYLE[edge.kind], label ? `label=${q(label)}` : '', edge.both ? 'dir=both' : '', extra].filter(Boolean).join(', ');
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

function clusters(arch: Architecture, nodes: readonly DiagramNode[], focus: string | undefined, plumbing: ReadonlySet<string> = new Set()): string[] {
  const lines: string[] = [];
  for (const stack of arch.stacks) {
    const members = nodes.filter((n) => n.stack === stack.stackName);
    if (members.length === 0) continue;
    const greyed = focus !== undefined && stack.stackName !== focus;
    lines.push(`  subgraph ${q(`cluster_${stack.stackName}`)} {`);
    lines.push(`    label=${q(`${stack.shortName} (${stack.stackName})`)}; style=${greyed ? '"rounded,dashed"' : '"rounded"'}; color=${greyed ? '"#bdbdbd"' : '"#455a64"'}; fontsize=11;`);
    for (const n of members.filter((m) => greyed || !plumbing.has(m.id))) lines.push(`    ${nodeLine(n, greyed)}`);
    const folded = greyed ? [] : members.filter((m) => plumbing.has(m.id));
    if (folded.length > 0) {
      lines.push(`    subgraph ${q(`cluster_${stack.stackName}_plumbing`)} {`, '      label="alarms and plumbing"; style="rounded,dotted"; color="#9e9e9e"; fontsize=10;');
      for (const n of folded) lines.push(`      ${nodeLine(n, false)}`);
      lines.push('    }');
    }
    lines.push('  }');
  }
  for (const n of nodes.filter((n) => n.stack === undefined)) lines.push(`  ${nodeLine(n, false)}`);
  return lines;
}

/** Font sizes of the overview, in points: at 1600 px wide its smallest text stays ≥ 11 px (test/diagrams). */
const OVERVIEW_FONT = { title: 16, node: 15, caption: 13, edge: 13 } as const;

/** Breaks a caption after a comma or before a `+` so that no line is much longer than `width` characters. */
function wrap(text: string, width: number): string {
  return text
    .split('\n')
    .map((line) => {
      const words = line.split(/(?<=, )|(?= \+ )/);
      const lines: string[] = [];
      for (const w of words) {
        const last = lines.length - 1;
        if (last >= 0 && (lines[last] + w).length <= width) lines[last] += w;
        else lines.push(last >= 0 ? w.trimStart() : w);
      }
      return lines.map((l) => l.trimEnd()).join('\n');
    })
    .join('\n');
}

function html(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function roleLine(node: RoleNode): string {
  const caption = wrap(node.caption, 24)
    .split('\n')
    .map((l) => `<font point-size="${OVERVIEW_FONT.caption}" color="#424242">${html(l)}</font>`)
    .join('<br/>');
  // A padded cell: Graphviz measures text with built-in metrics a little narrower than the fonts that draw it.
  const label = `<<table border="0" cellborder="0" cellspacing="0" cellpadding="8"><tr><td><b>${html(node.label)}</b><br/>${caption}</td></tr></table>>`;
  // Boxes, not wide hexagons and octagons: the overview's width is what keeps its text readable.
  const style =
    node.group === 'observability' ? NODE_STYLE.dashboard.replace('style="filled"', 'style="rounded,filled"') : node.kind === 'api' ? NODE_STYLE.api.replace('shape=hexagon', 'shape=box, style="rounded,filled"') : NODE_STYLE[node.kind];
  const withFill = /style=/.test(style) ? style : `${style}, style="filled"`;
  return `${q(node.id)} [label=${label}, ${withFill}, tooltip=${q(node.members.join('\n'))}];`;
}

/**
 * The overview: one node per architectural role (see overview.ts), the data flow left to right, orchestration
 * in a cluster beside it, observability one box; a legend of the edge kinds drawn.
 */
export function overviewDot(arch: Architecture, title: string): string {
  const graph = overviewGraph(arch);
  const lines = [
    'digraph "overview" {',
    `  graph [rankdir=LR, fontname="Helvetica", fontsize=${OVERVIEW_FONT.title}, labelloc=t, nodesep=0.6, ranksep=0.7, newrank=true, forcelabels=true, label=${q(title)}];`,
    `  node [fontname="Helvetica", fontsize=${OVERVIEW_FONT.node}, margin="0.05,0.02"];`,
    `  edge [fontname="Helvetica", fontsize=${OVERVIEW_FONT.edge}, arrowsize=0.8];`,
  ];
  // The data flow is folded into rows of a few ranks each, so that the picture is a slide, not a ribbon. An
  // edge to another row ends at a dashed copy of the far node in this row (a connector), not across the page.
  const grid = flowGrid(graph, OVERVIEW_RANKS_PER_ROW);
  const rowCount = Math.max(0, ...[...grid.values()].map((g) => g.row)) + 1;
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const connectors = new Map<string, { id: string; of: RoleNode; row: number }>();
  const connector = (of: string, row: number) => {
    const id = `${of} (row ${row + 1})`;
    if (!connectors.has(id)) connectors.set(id, { id, of: byId.get(of)!, row });
    return id;
  };
  const edges = graph.edges.map((e) => {
    const [from, to] = [grid.get(e.from), grid.get(e.to)];
    if (!from || !to || from.row === to.row) return e;
    return from.row < to.row ? { ...e, from: connector(e.from, to.row) } : { ...e, to: connector(e.to, from.row) };
  });
  for (let r = 0; r < rowCount; r++) {
    lines.push(`  // row ${r + 1}`);
    for (const n of graph.nodes.filter((x) => grid.get(x.id)?.row === r)) lines.push(`    ${roleLine(n)}`);
    for (const c of [...connectors.values()].filter((x) => x.row === r)) {
      const where = grid.get(c.of.id)!.row < r ? 'above' : 'below';
      lines.push(`    ${q(c.id)} [label=<<b>${html(c.of.label)}</b><br/><font point-size="${OVERVIEW_FONT.caption}">(${where})</font>>, shape=box, style="rounded,dashed", color="#9e9e9e", fontcolor="#616161"];`);
    }
  }
  // Columns line up across rows; an orchestrator stands in the column of the first role it drives.
  const column = new Map([...grid.entries()].map(([id, g]) => [id, g.column]));
  for (const n of graph.nodes.filter((x) => x.group === 'orchestration')) {
    const driven = graph.edges.filter((e) => e.from === n.id && column.has(e.to)).map((e) => column.get(e.to)!);
    if (driven.length > 0) column.set(n.id, Math.min(...driven));
  }
  // In each column, an invisible edge between neighbours keeps the rows in order, orchestration below them.
  const columns = Math.max(-1, ...column.values()) + 1;
  const rowRank = (id: string) => grid.get(id)?.row ?? rowCount;
  for (let c = 0; c < columns; c++) {
    const ids = [...column.entries()].filter(([, col]) => col === c).map(([id]) => id).sort((x, y) => rowRank(x) - rowRank(y) || (x < y ? -1 : x > y ? 1 : 0));
    if (ids.length < 2) continue;
    lines.push(`  { rank=same; ${ids.map(q).join('; ')}; }`);
    for (const above of ids) for (const below of ids) if (rowRank(above) < rowRank(below)) lines.push(`  ${q(above)} -> ${q(below)} [style=invis];`);
  }
  // Beside the flow, below it: orchestration, then observability and the legend.
  lines.push('  subgraph "cluster_beside" {', '    style=invis;');
  const orchestration = graph.nodes.filter((x) => x.group === 'orchestration');
  if (orchestration.length > 0) {
    lines.push('    subgraph "cluster_orchestration" {', `      label="orchestration"; style="rounded,dashed"; color="#8e44ad"; fontsize=${OVERVIEW_FONT.node};`);
    for (const n of orchestration) lines.push(`      ${roleLine(n)}`);
    lines.push('    }');
  }
  for (const n of graph.nodes.filter((x) => !grid.has(x.id) && x.group !== 'orchestration')) lines.push(`    ${roleLine(n)}`);
  const kinds = new Set(graph.edges.map((e) => e.kind));
  const shown = OVERVIEW_LEGEND.filter(([k]) => kinds.has(k));
  if (shown.length > 0) {
    const rows = shown.map(([k, text]) => `<tr><td align="left"><font color="${EDGE_COLOR[k]}">${EDGE_GLYPH[k]}</font> ${html(text)}</td></tr>`).join('');
    lines.push(`    "legend" [shape=plaintext, fontsize=${OVERVIEW_FONT.caption}, label=<<table border="0" cellborder="0" cellspacing="1">${rows}</table>>];`);
  }
  lines.push('  }');
  const rowOf = (id: string) => grid.get(id)?.row ?? connectors.get(id)?.row;
  for (const e of edges) {
    // Only edges within a row place nodes; the others (to orchestration) are drawn over.
    const sameRow = rowOf(e.from) !== undefined && rowOf(e.from) === rowOf(e.to);
    // Edge labels beside the edge (xlabel): a label in an LR layout would take a rank of its own.
    const line = edgeLine(e, sameRow ? '' : 'constraint=false').replace(/\blabel=/, 'xlabel=');
    lines.push(`  ${line}`);
  }
  lines.push('}', '');
  return lines.join('\n');
}

const OVERVIEW_RANKS_PER_ROW = 5;

/**
 * The row of each data-flow role: its rank on the longest path from the flow's start (edges that close a
 * cycle left out, in id order), cut into rows of at most `perRow` ranks: its row and its column in the row.
 */
function flowGrid(graph: OverviewGraph, perRow: number): Map<string, { row: number; column: number }> {
  const flow = graph.nodes.filter((n) => n.group === 'flow').map((n) => n.id);
  const inFlow = new Set(flow);
  const out = new Map<string, string[]>(flow.map((id) => [id, []]));
  for (const e of graph.edges) if (inFlow.has(e.from) && inFlow.has(e.to)) out.get(e.from)!.push(e.to);
  // Depth-first from the nodes nothing flows into: an edge back to a node on the current path closes a cycle.
  const indegree = new Map(flow.map((id) => [id, 0]));
  for (const targets of out.values()) for (const t of targets) indegree.set(t, indegree.get(t)! + 1);
  const order: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const forward = new Map<string, string[]>(flow.map((id) => [id, []]));
  const visit = (id: string) => {
    state.set(id, 'open');
    for (const t of out.get(id)!) {
      if (state.get(t) === 'open') continue;
      forward.get(id)!.push(t);
      if (!state.has(t)) visit(t);
    }
    state.set(id, 'done');
    order.push(id);
  };
  for (const id of [...flow.filter((x) => indegree.get(x) === 0), ...flow]) if (!state.has(id)) visit(id);
  const rank = new Map(flow.map((id) => [id, 0]));
  for (const id of order.reverse()) for (const t of forward.get(id)!) rank.set(t, Math.max(rank.get(t)!, rank.get(id)! + 1));
  // What consumers read from (an API, a workgroup) is one serving column, even where one calls the other.
  const sinks = flow.filter((id) => out.get(id)!.length === 0 && graph.nodes.find((n) => n.id === id)?.kind === 'external');
  const serving = flow.filter((id) => out.get(id)!.some((t) => sinks.includes(t)));
  const servingRank = Math.max(0, ...serving.map((id) => rank.get(id)!));
  for (const id of serving) rank.set(id, servingRank);
  for (const id of sinks) rank.set(id, Math.max(rank.get(id)!, servingRank + 1));
  const last = Math.max(0, ...rank.values());
  const rows = Math.ceil((last + 1) / perRow);
  // Rows of about equal length; a row starts over at the left.
  const cuts = Array.from({ length: rows - 1 }, (_, r) => Math.round(((last + 1) * (r + 1)) / rows));
  const starts = [0, ...cuts];
  const at = new Map<string, { row: number; column: number }>();
  for (const id of flow) {
    const row = cuts.filter((c) => rank.get(id)! >= c).length;
    at.set(id, { row, column: rank.get(id)! - starts[row] });
  }
  return at;
}

const EDGE_COLOR: Record<EdgeKind, string> = {
  data: '#2e7d32',
  trigger: '#c62828',
  control: '#6a1b9a',
  catalog: '#5b4db3',
  config: '#9e9e9e',
  monitoring: '#c0392b',
  encryption: '#78909c',
  logging: '#78909c',
};
const EDGE_GLYPH: Record<EdgeKind, string> = { data: '━━', trigger: '━━', control: '╍╍', catalog: '╍╍', config: '╍╍', monitoring: '┈┈', encryption: '┈┈', logging: '┈┈' };
const OVERVIEW_LEGEND: readonly [EdgeKind, string][] = [
  ['data', 'data, calls'],
  ['trigger', 'event'],
  ['catalog', 'tables over data'],
  ['control', 'configures'],
];

/**
 * One stack: its resources and the resources of other stacks they touch (greyed), with the data flow in
 * front. Alarms and plumbing are folded so that they do not swamp it: the alarms of a stack are one node,
 * and they, the topics they notify (and who subscribes), KMS keys, dead-letter queues and access-log buckets
 * stand in a cluster of their own, whose edges to the rest do not place nodes (constraint=false);
 * encryption and logging edges are counted in the key's or log bucket's caption instead of drawn.
 */
export function stackDot(arch: Architecture, stackName: string, title: string): string {
  const byId = new Map(arch.nodes.map((n) => [n.id, n]));
  const alarmsOf = (stack: string) => `${stack}/(alarms)`;
  const at = (id: string) => {
    const n = byId.get(id);
    return n?.kind === 'alarm' && n.stack !== undefined ? alarmsOf(n.stack) : id;
  };
  const folded = new Map<string, DiagramNode>();
  for (const n of arch.nodes.filter((x) => x.kind === 'alarm' && x.stack !== undefined)) {
    const id = alarmsOf(n.stack!);
    const count = arch.nodes.filter((x) => x.kind === 'alarm' && x.stack === n.stack).length;
    folded.set(id, { id, stack: n.stack, kind: 'alarm', label: count === 1 ? n.label : 'Alarms', caption: `CloudWatch alarm${count === 1 ? '' : ` ×${count}`}` });
  }
  const nodeOf = (id: string) => folded.get(id) ?? byId.get(id)!;
  // Plumbing: alarms, the topics they notify and who those reach, keys, dead-letter queues, access-log buckets.
  const plumbing = new Set<string>([...folded.keys()]);
  for (const n of arch.nodes) {
    const relations = arch.edges.filter((e) => e.from === n.id || e.to === n.id);
    if (n.kind === 'key' || (n.kind === 'queue' && arch.edges.some((e) => e.to === n.id && e.labels.includes('dead letters')))) plumbing.add(n.id);
    if (relations.length > 0 && relations.every((e) => e.kind === 'encryption' || e.kind === 'logging')) plumbing.add(n.id);
  }
  for (const e of arch.edges) if (e.kind === 'monitoring' && plumbing.has(at(e.from)) && byId.get(e.from)?.kind === 'alarm' && byId.get(e.to)?.kind === 'topic') plumbing.add(e.to);
  for (const e of arch.edges) if (e.kind === 'monitoring' && plumbing.has(e.from) && byId.get(e.from)?.kind === 'topic' && byId.get(e.to)?.kind === 'external') plumbing.add(e.to);
  // Encryption and logging are counted, not drawn.
  const users = new Map<string, Set<string>>();
  for (const e of arch.edges.filter((x) => x.kind === 'encryption' || x.kind === 'logging')) {
    const [target, user] = byId.get(e.to)?.kind === 'key' || e.kind === 'logging' ? [e.to, e.from] : [e.from, e.to];
    users.set(target, new Set([...(users.get(target) ?? []), user]));
  }
  const caption = (n: DiagramNode) => {
    const u = users.get(n.id)?.size;
    if (!u || !plumbing.has(n.id)) return n;
    return { ...n, caption: `${n.caption}\n${n.kind === 'key' ? 'used by' : 'access logs of'} ${u}` };
  };

  const own = new Set(arch.nodes.filter((n) => n.stack === stackName).map((n) => at(n.id)));
  const merged = new Map<string, { from: string; to: string; kind: EdgeKind; labels: Set<string>; both: boolean }>();
  for (const e of arch.edges) {
    if (e.kind === 'encryption' || e.kind === 'logging') continue;
    const [from, to] = [at(e.from), at(e.to)];
    if (from === to || (!own.has(from) && !own.has(to))) continue;
    const key = `${from}\u0000${to}\u0000${e.kind}`;
    const m = merged.get(key) ?? { from, to, kind: e.kind, labels: new Set<string>(), both: false };
    for (const l of e.labels) m.labels.add(l);
    m.both = m.both || e.both;
    merged.set(key, m);
  }
  const edges: DiagramEdge[] = [...merged.values()].map((m) => ({ ...m, labels: [...m.labels].sort() }));
  const ids = new Set([...own, ...edges.flatMap((e) => [e.from, e.to])]);
  const nodes = [...ids].map(nodeOf).map(caption).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const edgeLines = edges.map((e) => {
    const aside = plumbing.has(e.from) !== plumbing.has(e.to) || (e.kind === 'monitoring' && !(plumbing.has(e.from) && plumbing.has(e.to)));
    return `  ${edgeLine(e, aside && !EDGE_STYLE[e.kind].includes('constraint=false') ? 'constraint=false' : '')}`;
  });
  const kinds = [...new Set(edges.map((e) => e.kind))];
  return [...header(stackName, title), ...clusters(arch, nodes, stackName, plumbing), ...edgeLines, ...legend(kinds), '}', ''].join('\n');
}
