import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filesUnder } from '../../lib/runtime/function-code';

/**
 * The library as a team installs it: `npm pack`, the tarball installed into a fresh app in a temporary folder
 * with its own config file, one source contract (a `.yml`), one Gold contract and SQL file; synthesized with
 * nothing but `node` on the PATH and the network pointed nowhere (no npm, esbuild, Docker or registry at
 * synth); then the consumer's `medallion local run` processes a file of its dataset.
 */

const ROOT = join(__dirname, '..', '..');
const FIXTURE = join(__dirname, 'consumer');

let work: string;
let app: string;
let synth: { status: number | null; stderr: string };

function run(command: string, args: string[], options: SpawnSyncOptions & { cwd: string }): { status: number | null; stdout: string; stderr: string } {
  const out = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
  return { status: out.status, stdout: String(out.stdout), stderr: String(out.stderr) };
}

/** Fails with the command's output when it did not succeed. */
function ok(result: { status: number | null; stdout: string; stderr: string }, what: string): void {
  if (result.status !== 0) throw new Error(`${what} failed (${result.status}):\n${result.stdout.slice(-4000)}\n${result.stderr.slice(-4000)}`);
}

type Template = { Resources: Record<string, { Type: string; Properties?: Record<string, unknown>; DeletionPolicy?: string }> };
/** The templates of a stage's nested assembly, by file name. */
function templates(stage: string): Record<string, Template> {
  const dir = join(app, 'cdk.out', `assembly-Acme-${stage}`);
  return Object.fromEntries(
    readdirSync(dir)
      .filter((f) => f.endsWith('.template.json'))
      .map((f) => [f, JSON.parse(readFileSync(join(dir, f), 'utf8')) as Template]),
  );
}
const resources = (stage: string, type: string) => Object.values(templates(stage)).flatMap((t) => Object.values(t.Resources).filter((r) => r.Type === type));

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'medallion-package-test-'));
  // The package as published: prepack builds dist/ (tsc, pre-bundled functions).
  ok(run('npm', ['pack', '--pack-destination', work, '--silent'], { cwd: ROOT }), 'npm pack');
  const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'))!;
  app = join(work, 'acme-data-platform');
  cpSync(FIXTURE, app, { recursive: true });
  const pin = (name: string) => (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'acme-data-platform', private: true, dependencies: { 'medallion-platform': `file:../${tarball}`, 'aws-cdk-lib': pin('aws-cdk-lib'), constructs: pin('constructs') } }, null, 2),
  );
  ok(run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: app }), 'npm install');
  // Synth with only node on the PATH and every proxy pointing at a closed port: nothing to run, nothing to download.
  const bin = join(work, 'node-only');
  mkdirSync(bin);
  symlinkSync(process.execPath, join(bin, 'node'));
  const offline = { HOME: work, PATH: bin, CDK_OUTDIR: 'cdk.out', HTTP_PROXY: 'http://127.0.0.1:9', HTTPS_PROXY: 'http://127.0.0.1:9', npm_config_offline: 'true' };
  synth = run(process.execPath, ['app.js'], { cwd: app, env: offline });
}, 600_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the npm package in a consumer app', () => {
  it('synthesizes offline with only node on the PATH: two stages of the Stage, seven stacks each', () => {
    expect(synth.stderr.replace(/^Bundling asset .*\n/gm, '')).toBe('');
    expect(synth.status).toBe(0);
    expect(Object.keys(templates('dev')).sort()).toHaveLength(7);
    expect(Object.keys(templates('prod')).sort()).toHaveLength(7);
  });

  it("the consumer's config names and sizes the resources: its prefix, its alarm e-mail, prod protected", () => {
    const topics = resources('dev', 'AWS::SNS::Subscription').map((r) => r.Properties?.Endpoint);
    expect(topics).toContain('data@acme.example');
    // prod is protected: its buckets are retained; dev (the dev base) deletes them with the stack.
    expect(resources('prod', 'AWS::S3::Bucket').map((b) => b.DeletionPolicy)).toEqual(Array(6).fill('Retain'));
    expect(resources('dev', 'AWS::S3::Bucket').map((b) => b.DeletionPolicy)).toEqual(Array(6).fill('Delete'));
    expect(Object.keys(templates('prod')).every((f) => f.startsWith('Acmeprodacmeprod'))).toBe(true);
  });

  it("the templates hold the consumer's dataset (bronze and silver tables) and Gold view, and none of the repository's", () => {
    const tables = resources('dev', 'AWS::Glue::Table').map((r) => (r.Properties?.TableInput as { Name: string }).Name);
    // bronze.orders, silver.orders, the published Gold table, and the operations tables every platform has.
    expect(tables.sort()).toEqual(['daily_orders_published', 'manifests', 'orders', 'orders', 'quality_results', 'runs']);
    const views = resources('dev', 'Custom::GoldView');
    expect(views.map((v) => v.Properties?.ViewName)).toEqual(['daily_orders']);
    expect(views[0].Properties?.Sql).toBe(
      "-- Orders and revenue per day.\nSELECT\n  order_date AS date,\n  count(*) AS orders,\n  CAST(sum(amount) AS DECIMAL(18, 2)) AS revenue\nFROM acme_dev_silver.orders\nGROUP BY order_date\n",
    );
  });

  it('the transform asset is the pre-built bundle with the arm64 DuckDB binding and exactly the contract synth read', () => {
    const assets = readdirSync(join(app, 'cdk.out')).filter((d) => d.startsWith('asset.'));
    const transform = assets.map((d) => join(app, 'cdk.out', d)).filter((d) => filesUnder(d).some((f) => f.startsWith('node_modules/@duckdb/')));
    expect(transform).toHaveLength(1);
    const inside = filesUnder(transform[0]);
    expect(inside.filter((f) => f.startsWith('contracts/'))).toEqual(['contracts/orders.yml']);
    expect(readFileSync(join(transform[0], 'contracts', 'orders.yml'), 'utf8')).toBe(readFileSync(join(FIXTURE, 'contracts', 'orders.yml'), 'utf8'));
    expect(inside).toEqual(expect.arrayContaining(['index.js', 'index.js.map', 'node_modules/@duckdb/node-bindings-linux-arm64/duckdb.node']));
    expect(inside.some((f) => f.includes('node-bindings-linux-x64'))).toBe(false);
  });

  it('cdk-nag is clean: every rule compliant or suppressed with a reason, no error or warning annotation', () => {
    const reports = readdirSync(join(app, 'cdk.out')).filter((f) => f.startsWith('AwsSolutions-') && f.endsWith('-NagReport.csv'));
    expect(reports).toHaveLength(14);
    const rows = reports.flatMap((f) => readFileSync(join(app, 'cdk.out', f), 'utf8').trim().split('\n').slice(1));
    const compliance = (row: string) => row.split('","')[2];
    expect(rows.filter((r) => !['Compliant', 'Suppressed'].includes(compliance(r)))).toEqual([]);
    expect(rows.filter((r) => compliance(r) === 'Compliant').length).toBeGreaterThan(100);
    for (const stage of ['dev', 'prod']) {
      const manifest = JSON.parse(readFileSync(join(app, 'cdk.out', `assembly-Acme-${stage}`, 'manifest.json'), 'utf8')) as {
        artifacts: Record<string, { metadata?: Record<string, { type: string; data: unknown }[]> }>;
      };
      const annotations = Object.values(manifest.artifacts).flatMap((a) => Object.values(a.metadata ?? {}).flat());
      expect(annotations.filter((m) => m.type === 'aws:cdk:error' || m.type === 'aws:cdk:warning')).toEqual([]);
    }
  });

  it('exports the public API with its types, and the config schema', () => {
    const probe = run(process.execPath, ['-e', "const m = require('medallion-platform'); console.log(JSON.stringify({ keys: Object.keys(m).sort(), schema: require('medallion-platform/platform-config.schema.json').title }))"], { cwd: app });
    ok(probe, 'require medallion-platform');
    const { keys, schema } = JSON.parse(probe.stdout) as { keys: string[]; schema: string };
    expect(keys).toEqual(expect.arrayContaining(['MedallionStage', 'addPlatform', 'loadPlatformConfig', 'PlatformConfigError', 'StorageStack', 'CatalogStack', 'TransformStack', 'TransformPipeline', 'GoldStack', 'GoldViews', 'OrchestrationStack', 'GoldBuildStateMachine', 'ApiStack', 'PlatformRestApi', 'ObservabilityStack', 'PlatformDashboard', 'ContractError']));
    expect(schema).toBe('medallion-platform configuration');
    const types = readFileSync(join(app, 'node_modules', 'medallion-platform', 'dist', 'lib', 'index.d.ts'), 'utf8');
    expect(types).toContain('export { addPlatform, platformStages, MedallionStage, type MedallionStageProps');
  });

  it("its declarations type-check in the consumer's TypeScript, strict and without skipLibCheck", () => {
    writeFileSync(
      join(app, 'check.ts'),
      [
        "import { App } from 'aws-cdk-lib';",
        "import { MedallionStage, type PlatformConfig } from 'medallion-platform';",
        'const config: PlatformConfig = { defaults: { alarmEmail: "a@b.example" }, stages: { dev: { transform: { maxConcurrency: 3 } } } };',
        "new MedallionStage(new App(), 'Check', { stage: 'dev', config });",
      ].join('\n'),
    );
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const args = ['--noEmit', '--strict', '--module', 'commonjs', '--moduleResolution', 'node', '--target', 'es2022', '--types', 'node', '--typeRoots', join(ROOT, 'node_modules', '@types'), 'check.ts'];
    const out = run(process.execPath, [tsc, ...args], { cwd: app });
    expect(out.stdout + out.stderr).toBe('');
    expect(out.status).toBe(0);
  });

  it("`medallion local run` processes a file of the consumer's dataset: every row accounted for, Gold built from it", () => {
    const out = run(join(app, 'node_modules', '.bin', 'medallion'), ['local', 'run', 'input', '--out', 'out'], { cwd: app, env: { ...process.env, FORCE_COLOR: '0' } });
    ok(out, 'medallion local run');
    expect(out.stdout).toContain('files: 1 (1 ingested)\nrows: 4 in, 3 valid, 1 quarantined\ngold-build: SUCCEEDED');
    const report = JSON.parse(readFileSync(join(app, 'out', 'report.json'), 'utf8')) as {
      files: { key: string; rows_in: number; rows_valid: number; rows_quarantined: number; reasons: Record<string, number> }[];
      gold: { dataset: string; rows: number }[];
    };
    expect(report.files).toEqual([expect.objectContaining({ key: 'orders/2026-11-02.csv', rows_in: 4, rows_valid: 3, rows_quarantined: 1, reasons: { 'amount: below the minimum 0': 1 } })]);
    expect(report.gold).toEqual([expect.objectContaining({ dataset: 'daily_orders', rows: 2 })]);
    expect(readFileSync(join(app, 'out', 'gold', 'daily_orders.csv'), 'utf8')).toBe('date,orders,revenue\n2026-11-01,2,14.75\n2026-11-02,1,7.00\n');
    // The moto virtualenv is the machine cache's: nothing written into the installed package's folder.
    expect(readdirSync(join(app, 'node_modules', 'medallion-platform')).filter((f) => f.startsWith('.'))).toEqual([]);
  }, 300_000);

  it('`medallion local up` runs the platform in the background from the installed package; `run` uses it, `status` and `down` find it', async () => {
    // A state folder of its own: it starts empty, whatever another test kept.
    const medallion = (...args: string[]) => run(join(app, 'node_modules', '.bin', 'medallion'), ['local', '--state', 'state-up', ...args], { cwd: app, env: { ...process.env, FORCE_COLOR: '0' } });
    const up = medallion('up', '--port', '0');
    ok(up, 'medallion local up');
    const api = /^HTTP API on (http:\/\/127\.0\.0\.1:\d+)$/m.exec(up.stdout)![1];
    try {
      const used = medallion('run', 'input', '--out', 'out-up');
      ok(used, 'medallion local run on the platform of up');
      expect(used.stdout).toMatch(/^using the local platform \(pid \d+, serving, stage dev, .*\nfiles: 1 \(1 ingested\)\nrows: 4 in, 3 valid, 1 quarantined\n/);
      expect(medallion('status').stdout).toMatch(/^objects: bronze 1, silver \d+, quarantine 1, gold \d+$/m);
      // Its Gold dataset, a view over silver, through the platform's API.
      const rows = (await (await fetch(`${api}/v1/datasets/daily_orders/rows`)).json()) as { rows: unknown[] };
      expect(rows.rows).toEqual([
        { date: '2026-11-01', orders: 2, revenue: '14.75' },
        { date: '2026-11-02', orders: 1, revenue: '7.00' },
      ]);
    } finally {
      expect(medallion('down').stdout).toMatch(/^stopped the local platform \(pid \d+, serving, stage dev/);
    }
    expect(medallion('status').status).toBe(3);
  }, 300_000);

  it("`medallion local generate` says it writes the example datasets, which this project's contracts lack, and what to do instead", () => {
    const out = run(join(app, 'node_modules', '.bin', 'medallion'), ['local', 'generate', 'sample'], { cwd: app, env: { ...process.env, FORCE_COLOR: '0' } });
    expect(out.status).toBe(1);
    expect(out.stderr).toContain(
      `error: generate writes sample files of the example datasets (events, pays, prints, taps, transactions, users), but the contracts in ${join(app, 'contracts')} do not define events, pays, prints, taps, transactions, users. Put files of your own datasets under <input-dir>/<dataset>/ (e.g. <input-dir>/orders/2026-11-01.csv) and run \`local run <input-dir>\`.`,
    );
  });
});
