/**
 * Synthesizes the CDK app in-process (the same addPlatform as bin/medallion.ts, dev stage, without cdk-nag
 * and without bundling Lambda code, which the diagrams do not need) and renders the diagrams: DOT source and
 * SVG for the overview and for every stack of the app.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { loadContracts } from '../../lambdas/shared/contracts';
import { addPlatform } from '../../lib/platform';
import { overviewDot, stackDot } from './dot';
import { buildArchitecture, type Architecture, type CfnTemplate } from './model';

const ROOT = join(__dirname, '..', '..');

/** The stage the diagrams show. */
export const DIAGRAM_STAGE = 'dev';

/** Synthesizes every stack of the app and builds its architecture graph. */
export function synthesizeArchitecture(): Architecture {
  const cdkJson = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  const outdir = mkdtempSync(join(tmpdir(), 'diagrams-synth-'));
  try {
    const app = new App({
      outdir,
      context: {
        ...cdkJson.context,
        // Construct paths in the templates name the nodes; no stack is bundled (no esbuild run, no assets needed).
        'aws:cdk:enable-path-metadata': true,
        'aws:cdk:bundling-stacks': [],
      },
    });
    const platform = addPlatform(app, { stage: DIAGRAM_STAGE, nag: false });
    const assembly = app.synth();
    const prefix = `${platform.config.namePrefix}-${platform.config.stage}-`;
    // App order: the order in which the stacks were added.
    const order = app.node.children.map((c) => c.node.id);
    const stacks = [...assembly.stacks]
      .sort((a, b) => order.indexOf(a.stackName) - order.indexOf(b.stackName))
      .map((s) => ({ stackName: s.stackName, shortName: s.stackName.startsWith(prefix) ? s.stackName.slice(prefix.length) : s.stackName, template: s.template as CfnTemplate }));
    return buildArchitecture(stacks, { sources: loadContracts().map((c) => c.name) });
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** Every diagram file by its path relative to diagrams/: `<name>.dot` and `<name>.svg`, overview first. */
export async function renderDiagrams(arch: Architecture): Promise<Map<string, string>> {
  // The package is ESM-only; a dynamic import keeps this module loadable from CommonJS.
  const { Graphviz } = await import('@hpcc-js/wasm-graphviz');
  const graphviz = await Graphviz.load();
  const sources = new Map<string, string>();
  const generatedBy = 'generated from the synthesized CDK app by `npm run diagrams`; do not edit';
  sources.set('overview', overviewDot(arch, `medallion-platform (${DIAGRAM_STAGE}): overview — ${generatedBy}`));
  for (const stack of arch.stacks) sources.set(stack.shortName, stackDot(arch, stack.stackName, `${stack.stackName} — ${generatedBy}`));
  const files = new Map<string, string>();
  for (const [name, dot] of sources) {
    files.set(`${name}.dot`, dot);
    files.set(`${name}.svg`, graphviz.dot(dot, 'svg'));
  }
  return files;
}
