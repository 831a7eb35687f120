import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const cli = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'local', 'cli.ts'), ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, E2E_ENDPOINT: '' } });

describe('npm run local (the CLI of ../shared/specs/local-cli.md)', () => {
  const input = mkdtempSync(join(tmpdir(), 'cli-in-'));
  const out = mkdtempSync(join(tmpdir(), 'cli-out-'));

  it('generate writes the same files for the same seed', () => {
    const first = cli('generate', input, '--rows', '300', '--seed', '7', '--dirty');
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/^wrote 94 files, \d+ rows, under /);
    const again = mkdtempSync(join(tmpdir(), 'cli-in-'));
    cli('generate', again, '--rows', '300', '--seed', '7', '--dirty');
    for (const f of ['prints/2020-11-05.json', 'events/2024-03-03.json', 'pays/2020-11-28.csv', 'taps/2020-11-28.json.gz']) {
      expect(readFileSync(join(again, f))).toEqual(readFileSync(join(input, f)));
    }
  });

  it('run processes every file, accounts for every row, builds Gold and exits 0', () => {
    const run = cli('run', input, '--out', out, '--as-of', '2020-11-28');
    expect(run.stderr).not.toMatch(/error:/);
    expect(run.status).toBe(0);
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
    expect(top).toEqual(['PlanChecks', 'RunChecks', 'EvaluateChecks', 'GatePassed', 'BuildGold', 'RecordRun', 'Published']);
    expect(report.quality).toHaveLength(27);
    expect(report.quality.find((q: { check: string }) => q.check === 'duplicate event_id')).toMatchObject({ dataset: 'events', status: 'pass', severity: 'warning' });
    expect(report.quality.filter((q: { status: string }) => q.status === 'fail')).toEqual([]);
    expect(run.stdout).toContain('gold-build: SUCCEEDED');
  });

  it('run exits non-zero with the gate message when a blocking quality check fails, and exports no Gold', () => {
    const bad = mkdtempSync(join(tmpdir(), 'cli-bad-'));
    const badOut = mkdtempSync(join(tmpdir(), 'cli-bad-out-'));
    mkdirSync(join(bad, 'prints'));
    const valid = JSON.stringify({ day: '2020-11-28', event_data: { position: 0, value_prop: 'point' }, user_id: 1 });
    writeFileSync(join(bad, 'prints', '2020-11-28.json'), [valid, ...Array(3).fill('{broken')].join('\n') + '\n');
    const run = cli('run', bad, '--out', badOut, '--as-of', '2020-11-28');
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/error: gold-build \S+ failed \(QualityGateFailed\): quality gate failed, Gold not published: .*prints prints quarantine ratio = 75 percent \(mustBeLessOrEqualTo 25\)/);
    const report = JSON.parse(readFileSync(join(badOut, 'report.json'), 'utf8'));
    expect(report.orchestration[0]).toMatchObject({ name: 'gold-build', status: 'FAILED', error: 'QualityGateFailed' });
    // Only prints were delivered: the blocking rowCount of the other sources fails too.
    expect(report.quality.filter((q: { status: string }) => q.status === 'fail').map((q: { check: string; value: number }) => [q.check, q.value])).toEqual([
      ['events rowCount', 0], ['prints quarantine ratio', 75], ['taps rowCount', 0],
    ]);
    expect(report.gold).toEqual([]);
    expect(existsSync(join(badOut, 'gold'))).toBe(false);
  });

  it('fails with a precise message on a bad option', () => {
    const bad = cli('run', input, '--as-of', '28/11/2020');
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain("option '--as-of <date>' argument '28/11/2020' is invalid. expected YYYY-MM-DD, got '28/11/2020'");
  });
});
