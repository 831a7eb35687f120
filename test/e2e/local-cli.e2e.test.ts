import { spawn, spawnSync } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ndjson, printRecord } from '../fixtures/records';

const ROOT = join(__dirname, '..', '..');
// Each command with a state folder of its own: none starts with data another test left (see local-lifetime.e2e.test.ts).
const freshState = () => ({ MEDALLION_STATE: mkdtempSync(join(tmpdir(), 'cli-state-')) });
const cli = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'local', 'cli.ts'), ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, E2E_ENDPOINT: '', ...freshState() } });

describe('npm run local (the CLI of ../shared/specs/local-cli.md)', () => {
  // The sample every run reads (read-only): generated once, before the tests, so that any test runs alone.
  const input = mkdtempSync(join(tmpdir(), 'cli-in-'));
  const out = mkdtempSync(join(tmpdir(), 'cli-out-'));
  beforeAll(() => {
    const generated = cli('generate', input, '--rows', '300', '--seed', '7', '--dirty');
    if (generated.status !== 0) throw new Error(`generate failed: ${generated.stderr}`);
  });

  it('generate writes the same files for the same seed', () => {
    const [first, again] = [mkdtempSync(join(tmpdir(), 'cli-gen-')), mkdtempSync(join(tmpdir(), 'cli-gen-'))];
    const wrote = cli('generate', first, '--rows', '300', '--seed', '7', '--dirty');
    expect(wrote.status).toBe(0);
    expect(wrote.stdout).toMatch(/^wrote 94 files, \d+ rows, under /);
    expect(cli('generate', again, '--rows', '300', '--seed', '7', '--dirty').status).toBe(0);
    for (const f of ['prints/2020-11-05.json', 'events/2024-03-03.json', 'pays/2020-11-28.csv', 'taps/2020-11-28.json.gz']) {
      expect(readFileSync(join(again, f))).toEqual(readFileSync(join(first, f)));
    }
  });

  it('run processes every file, accounts for every row, builds Gold and exits 0', () => {
    // Its own temporary folder: what the run leaves there is what it failed to clean up.
    const scratch = mkdtempSync(join(tmpdir(), 'cli-tmp-'));
    const run = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'local', 'cli.ts'), 'run', input, '--out', out, '--as-of', '2020-11-28'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, E2E_ENDPOINT: '', TMPDIR: scratch, ...freshState() },
    });
    expect(run.stderr).not.toMatch(/error:/);
    expect(run.status).toBe(0);
    // Piped: no progress bars, one plain line per phase, no placeholders.
    expect(run.stderr).toMatch(/^upload to bronze: 94\/94 files(, last: .*)?\nbronze → silver: 94\/94 files(, last: .*)?\ngold-build: (\d+)\/\3 states, last: Published\n$/m);
    expect(run.stderr).not.toMatch(/\{(phase|unit|bar)\}/);
    // tsx-*: the TypeScript loader's own cache (the test runs the CLI from source), not the platform's.
    expect(readdirSync(scratch).filter((f) => !f.startsWith('tsx-'))).toEqual([]);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.files).toHaveLength(94);
    for (const f of report.files) expect(f.rows_in).toBe(f.rows_valid + f.rows_quarantined);
    const byStatus = (s: string) => report.files.filter((f: { status: string }) => f.status === s).map((f: { key: string }) => f.key);
    expect(byStatus('rejected')).toEqual(['clicks/2020-11-01.json']);
    expect(byStatus('duplicate').length + byStatus('ingested').length).toBe(92);
    expect(byStatus('quarantined')).toEqual(['taps/2020-11-28.json']);
    expect(report.files.find((f: { key: string }) => f.key === 'taps/2020-11-28.json.gz').status).toBe('ingested');
    expect(report.gold.map((g: { dataset: string }) => g.dataset)).toEqual(['user_session_analysis', 'daily_kpis', 'daily_revenue', 'data_quality_history', 'value_prop_features']);
    for (const g of report.gold) {
      expect(g.rows).toBeGreaterThan(0);
      expect(existsSync(join(out, g.path))).toBe(true);
      expect(existsSync(join(out, g.path.replace(/\.csv$/, '.parquet')))).toBe(true);
    }
    expect(report.gold.find((g: { dataset: string }) => g.dataset === 'data_quality_history').rows).toBe(94);
    expect(readFileSync(join(out, 'gold', 'value_prop_features.csv'), 'utf8').split('\n')[1]).toMatch(/^2020-11-2[2-8],/);
    expect(existsSync(join(out, 'silver', 'prints'))).toBe(true);
    expect(existsSync(join(out, 'quarantine', 'prints'))).toBe(true);
    expect(run.stdout).toContain('files: 94');
    // The synthesized gold-build state machine ran: gate, then the builds.
    expect(report.orchestration.map((o: { name: string; status: string }) => [o.name, o.status])).toEqual([['gold-build', 'SUCCEEDED']]);
    const top = report.orchestration[0].states.filter((s: { index?: number }) => s.index === undefined).map((s: { name: string }) => s.name);
    expect(top).toEqual(['PlanChecks', 'RunChecks', 'EvaluateChecks', 'AnythingToBuild', 'BuildGold', 'AnyDatasetBlocked', 'RecordRun', 'Published']);
    expect(report.gold.map((g: { blocked: boolean; blockedBy: string[] }) => [g.blocked, g.blockedBy])).toEqual(Array(5).fill([false, []]));
    expect(report.quality).toHaveLength(27);
    expect(report.quality.find((q: { check: string }) => q.check === 'duplicate event_id')).toMatchObject({ dataset: 'events', status: 'pass', severity: 'warning' });
    expect(report.quality.filter((q: { status: string }) => q.status === 'fail')).toEqual([]);
    expect(run.stdout).toContain('gold-build: SUCCEEDED');
  });

  it('run on prints, taps and pays without events: builds and exports the Gold datasets that do not read events, reports the two that do as blocked, exits non-zero', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-no-events-'));
    const dirOut = mkdtempSync(join(tmpdir(), 'cli-no-events-out-'));
    for (const d of ['prints', 'taps', 'pays']) mkdirSync(join(dir, d));
    writeFileSync(join(dir, 'prints', '2020-11-28.json'), ndjson(printRecord('2020-11-28', 1), printRecord('2020-11-28', 2)));
    writeFileSync(join(dir, 'taps', '2020-11-28.json'), ndjson(printRecord('2020-11-28', 1)));
    writeFileSync(join(dir, 'pays', '2020-11-27.csv'), 'pay_date,total,user_id,value_prop\n2020-11-27,10.50,1,point\n');
    const run = cli('run', dir, '--out', dirOut, '--as-of', '2020-11-28');
    expect(run.status).toBe(1);
    const message =
      'quality gate failed, Gold not published for user_session_analysis (events rowCount), daily_kpis (events rowCount; through user_session_analysis); ' +
      'published: daily_revenue, data_quality_history, value_prop_features; failed checks: events rowCount = 0 rows (mustBeGreaterThan 0)';
    expect(run.stderr).toMatch(/error: gold-build \S+ failed \(QualityGateFailed\): /);
    expect(run.stderr).toContain(message);
    const report = JSON.parse(readFileSync(join(dirOut, 'report.json'), 'utf8'));
    expect(report.gold).toEqual([
      { dataset: 'user_session_analysis', blocked: true, blockedBy: ['events.rowCount'], through: [], rows: null, path: null },
      { dataset: 'daily_kpis', blocked: true, blockedBy: ['events.rowCount'], through: ['user_session_analysis'], rows: null, path: null },
      { dataset: 'daily_revenue', blocked: false, blockedBy: [], through: [], rows: 0, path: 'gold/daily_revenue.csv' },
      { dataset: 'data_quality_history', blocked: false, blockedBy: [], through: [], rows: 3, path: 'gold/data_quality_history.csv' },
      { dataset: 'value_prop_features', blocked: false, blockedBy: [], through: [], rows: 2, path: 'gold/value_prop_features.csv' },
    ]);
    // The outputs of the datasets built are written; none of the blocked ones.
    for (const d of ['daily_revenue', 'data_quality_history', 'value_prop_features']) expect([d, existsSync(join(dirOut, 'gold', `${d}.csv`)), existsSync(join(dirOut, 'gold', `${d}.parquet`))]).toEqual([d, true, true]);
    for (const d of ['user_session_analysis', 'daily_kpis']) expect([d, existsSync(join(dirOut, 'gold', `${d}.csv`))]).toEqual([d, false]);
    expect(report.quality.filter((q: { status: string }) => q.status === 'fail')).toEqual([{ id: 'events.rowCount', dataset: 'events', check: 'events rowCount', status: 'fail', severity: 'error', value: 0, unit: 'rows', threshold: 'mustBeGreaterThan 0' }]);
    expect(report.orchestration[0]).toMatchObject({ name: 'gold-build', status: 'FAILED', error: 'QualityGateFailed', cause: message });
    const top = report.orchestration[0].states.filter((s: { index?: number }) => s.index === undefined).map((s: { name: string }) => s.name);
    expect(top).toEqual(['PlanChecks', 'RunChecks', 'EvaluateChecks', 'AnythingToBuild', 'BuildGold', 'AnyDatasetBlocked', 'AlertDatasetsBlocked', 'RecordPartialRun', 'QualityGateFailed']);
    // The summary says which datasets were built and which were blocked, and why.
    expect(run.stdout).toContain('gold-build: FAILED');
    expect(run.stdout).toContain('  fail: events rowCount = 0 rows (mustBeGreaterThan 0)\n');
    expect(run.stdout).toContain('gold user_session_analysis: BLOCKED by events rowCount\n');
    expect(run.stdout).toContain('gold daily_kpis: BLOCKED by events rowCount (through user_session_analysis)\n');
    expect(run.stdout).toContain('gold value_prop_features: 2 rows\n');
  });

  it('run exits non-zero with the gate message when blocking quality checks fail, and exports only the Gold datasets they do not block', () => {
    const bad = mkdtempSync(join(tmpdir(), 'cli-bad-'));
    const badOut = mkdtempSync(join(tmpdir(), 'cli-bad-out-'));
    mkdirSync(join(bad, 'prints'));
    writeFileSync(join(bad, 'prints', '2020-11-28.json'), ndjson(printRecord('2020-11-28', 1), '{broken', '{broken', '{broken'));
    const run = cli('run', bad, '--out', badOut, '--as-of', '2020-11-28');
    expect(run.status).toBe(1);
    // No raw JSON log line of the handlers: the error below says it.
    expect(run.stdout + run.stderr).not.toContain('"level":"ERROR"');
    expect(run.stderr).toContain(
      'failed (QualityGateFailed): quality gate failed, Gold not published for user_session_analysis (events rowCount), daily_kpis (events rowCount; through user_session_analysis), ' +
        'value_prop_features (prints quarantine ratio, taps rowCount); published: daily_revenue, data_quality_history; ' +
        'failed checks: events rowCount = 0 rows (mustBeGreaterThan 0); prints quarantine ratio = 75 percent (mustBeLessOrEqualTo 25); taps rowCount = 0 rows (mustBeGreaterThan 0)',
    );
    const report = JSON.parse(readFileSync(join(badOut, 'report.json'), 'utf8'));
    expect(report.orchestration[0]).toMatchObject({ name: 'gold-build', status: 'FAILED', error: 'QualityGateFailed' });
    // Only prints were delivered: the blocking rowCount of the other sources fails too.
    expect(report.quality.filter((q: { status: string }) => q.status === 'fail').map((q: { check: string; value: number }) => [q.check, q.value])).toEqual([
      ['events rowCount', 0], ['prints quarantine ratio', 75], ['taps rowCount', 0],
    ]);
    expect(report.gold.map((g: { dataset: string; blocked: boolean; blockedBy: string[]; rows: number | null }) => [g.dataset, g.blocked, g.blockedBy, g.rows])).toEqual([
      ['user_session_analysis', true, ['events.rowCount'], null],
      ['daily_kpis', true, ['events.rowCount'], null],
      ['daily_revenue', false, [], 0],
      ['data_quality_history', false, [], 1],
      ['value_prop_features', true, ['prints.quarantine', 'taps.rowCount'], null],
    ]);
    expect(readdirSync(join(badOut, 'gold')).sort()).toEqual(['daily_revenue.csv', 'daily_revenue.parquet', 'data_quality_history.csv', 'data_quality_history.parquet']);
  });

  it('fails fast, before starting anything, with what to do: a broken contract (synth\'s message), a missing input folder, a taken port, an unknown command', async () => {
    const project = mkdtempSync(join(tmpdir(), 'cli-project-'));
    cpSync(join(ROOT, 'contracts'), join(project, 'contracts'), { recursive: true });
    const prints = join(project, 'contracts', 'prints.yaml');
    writeFileSync(prints, readFileSync(prints, 'utf8').replace('logicalType: date', 'logicalType: dat'));
    const started = Date.now();
    const broken = cli('run', input, '--contracts', join(project, 'contracts'));
    expect(broken.status).toBe(1);
    expect(broken.stderr).toContain(`error: Invalid data contract (1 problem):\n  - ${prints}:`);
    expect(broken.stderr).toMatch(/ at \/schema\/0\/properties\/\d+\/logicalType: unknown logicalType "dat"/);
    const missing = cli('run', join(project, 'nowhere'));
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain(`error: no input folder at ${join(project, 'nowhere')}; give the folder holding one sub-folder per dataset (<input-dir>/<dataset>/<files>)`);
    // Seconds, not the minutes of retries a broken contract used to cost (no emulator was started).
    expect(Date.now() - started).toBeLessThan(30_000);

    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
    const busy = (taken.address() as AddressInfo).port;
    const serve = await new Promise<{ status: number | null; stderr: string }>((resolveRun) => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'local', 'cli.ts'), 'serve', '--port', String(busy)], { cwd: ROOT, env: { ...process.env, E2E_ENDPOINT: '', ...freshState() } });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (status) => resolveRun({ status, stderr }));
    });
    taken.close();
    expect(serve.status).toBe(1);
    expect(serve.stderr).toContain(`error: port ${busy} on 127.0.0.1 is in use; pass --port <n> (--port 0 picks a free one)`);

    const typo = cli('serv');
    expect(typo.status).toBe(1);
    expect(typo.stderr).toContain("error: unknown command 'serv' (Did you mean serve?); commands: run, generate, serve, up, status, down, demo");
  });

  it('a summary names the files it did not ingest with their reason, the first ten, then counts the rest and says where they are', () => {
    const misplaced = mkdtempSync(join(tmpdir(), 'cli-misplaced-'));
    const misplacedOut = mkdtempSync(join(tmpdir(), 'cli-misplaced-out-'));
    // A common mistake: the files of a dataset under a folder that is no dataset.
    mkdirSync(join(misplaced, 'sample'));
    for (let d = 1; d <= 12; d++) writeFileSync(join(misplaced, 'sample', `2020-11-${String(d).padStart(2, '0')}.json`), '{"day":"2020-11-01"}\n');
    const run = cli('run', misplaced, '--out', misplacedOut);
    expect(run.status).toBe(1);
    const lines = run.stdout.split('\n').filter((l) => l.startsWith('  rejected: ') || l.startsWith('  … and'));
    expect(lines).toHaveLength(11);
    expect(lines[0]).toMatch(/^ {2}rejected: sample\/2020-11-01\.json — .*sample/);
    expect(lines[10]).toBe(`  … and 2 more not ingested: see files[] in ${join(misplacedOut, 'report.json')} (status, error, reasons)`);
    expect(JSON.parse(readFileSync(join(misplacedOut, 'report.json'), 'utf8')).files).toHaveLength(12);
  });

  it('fails with a precise message on a bad option', () => {
    const bad = cli('run', input, '--as-of', '28/11/2020');
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain("option '--as-of <date>' argument '28/11/2020' is invalid. expected YYYY-MM-DD, got '28/11/2020'");
  });
});
