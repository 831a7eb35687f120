import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSavedData } from '../../local/persist';
import { cli, cliTest, ROOT, scratch, start } from './cli-harness';

describe("the README's quickstart and the demo", () => {
  cliTest("the README's quickstart as written: generate, run, then serve; its example requests answer with the run's data", async () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const quickstart = readme.slice(readme.indexOf('## Quickstart'), readme.indexOf('\n## ', readme.indexOf('## Quickstart') + 1));
    const blocks = [...quickstart.matchAll(/```bash\n([\s\S]*?)```/g)].map((m) => m[1].replace(/\\\n\s*/g, ''));
    const commands = blocks[0].split('\n').map((l) => l.replace(/\s+#.*$/, '').trim()).filter((l) => l.startsWith('npm run local'));
    expect(commands).toEqual(['npm run local -- generate ./sample --dirty', 'npm run local -- run ./sample', 'npm run local -- serve']);
    const requests = blocks[1].split('\n').filter((l) => l.startsWith('curl'));
    expect(requests).toHaveLength(4);

    const work = scratch('quickstart-');
    const state = join(work, '.medallion');
    // As written, but the sample and the outputs in a temporary folder, and any free port instead of 3000.
    const args = (command: string) => command.replace('npm run local -- ', '').split(' ').map((a) => a.replace('./sample', join(work, 'sample')));
    const generate = cli(state, ...args(commands[0]));
    expect([generate.status, generate.stderr]).toEqual([0, '']);
    const run = cli(state, ...args(commands[1]), '--out', join(work, 'local-out'));
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('files: 94 (');
    const kept = /data kept for the next command: (\d+) objects in (.+) \(/.exec(run.stdout);
    expect(kept?.[2]).toBe(join(state, 'data'));
    expect(readSavedData(join(state, 'data'))?.objects).toHaveLength(Number(kept![1]));
    expect(existsSync(join(state, 'platform.json'))).toBe(false);

    const serve = start(state, ...args(commands[2]), '--port', '0');
    try {
      expect((await serve.waitFor(/^restored (\d+) objects saved by the previous platform/m))[1]).toBe(kept![1]);
      const [, port] = await serve.waitFor(/HTTP API on http:\/\/127\.0\.0\.1:(\d+) /);
      await serve.waitFor(/Ctrl-C stops/);
      const curl = (request: string) => execFileSync('bash', ['-o', 'pipefail', '-c', request.replace(/localhost:3000/g, `127.0.0.1:${port}`)], { encoding: 'utf8' });
      expect(curl(requests[0]).trim().split('\n')).toEqual(['"daily_kpis"', '"daily_revenue"', '"data_quality_history"', '"user_session_analysis"', '"value_prop_features"']);
      const revenue = JSON.parse(curl(requests[1])) as { rows: { currency: string; revenue: string }[] };
      expect(revenue.rows.length).toBeGreaterThan(0);
      for (const r of revenue.rows) expect(['EUR', 'USD']).toContain(r.currency);
      const revenues = revenue.rows.map((r) => Number(r.revenue));
      expect(revenues).toEqual([...revenues].sort((a, b) => b - a));
      const files = JSON.parse(curl(requests[2])) as { rows: { dataset: string; key: string }[] };
      // The generator writes three days of events; the newest first.
      expect(files.rows.map((f) => [f.dataset, f.key])).toEqual([3, 2, 1].map((d) => ['events', `events/2024-03-0${d}.json`]));
      const ingest = JSON.parse(curl(requests[3])) as { dataset: string };
      expect(ingest.dataset).toBe('events');
    } finally {
      serve.child.kill('SIGINT');
    }
    expect(await serve.exited).toBe(0);
    // Saved again as it stopped: the run's objects and the posted file (the 95th in bronze, and what the transform made of it).
    const saved = Number(/^saved (\d+) objects in /m.exec(serve.out())?.[1]);
    expect(saved).toBeGreaterThan(Number(kept![1]));
    const bronze = readSavedData(join(state, 'data'))!.objects.filter((o) => o.bucket === 'bronze');
    expect(bronze).toHaveLength(95);
  }, 300_000);

  cliTest('the demo (the default command) runs a throwaway platform: it serves the sample\'s Gold rows on --port 0, writes --out, and keeps nothing', async () => {
    const work = scratch('demo-');
    const state = join(work, 'state');
    const demo = start(state, '--port', '0', '--out', join(work, 'out'));
    try {
      const [, url] = await demo.waitFor(/^HTTP API on (http:\/\/127\.0\.0\.1:\d+) /m);
      await demo.waitFor(/Ctrl-C stops\.$/m);
      expect(demo.out()).toMatch(/^files: 94 \(/m);
      const rows = (await (await fetch(`${url}/v1/datasets/daily_kpis/rows`)).json()) as { rows: unknown[] };
      expect(rows.rows.length).toBeGreaterThan(0);
      expect(JSON.parse(readFileSync(join(work, 'out', 'report.json'), 'utf8')).files).toHaveLength(94);
    } finally {
      demo.child.kill('SIGINT');
    }
    expect(await demo.exited).toBe(0);
    expect(demo.out()).not.toContain('saved');
    expect(existsSync(state)).toBe(false);
  }, 300_000);
});
