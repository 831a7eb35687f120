import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../local/emulator';
import { startE2EApi, type E2EApi } from './harness';

const ROOT = join(__dirname, '..', '..');

describe('npm run local -- serve', () => {
  it('serves the API on the given port until SIGINT, then stops what it started and exits 0', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'local', 'cli.ts'), 'serve', '--port', String(port)], {
      cwd: ROOT,
      // A state folder of its own: it starts empty (no data saved by another command).
      env: { ...process.env, AWS_ENDPOINT_URL: '', MEDALLION_STATE: mkdtempSync(join(tmpdir(), 'serve-state-')) },
    });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      for (let i = 0; i < 600 && !stdout.includes('Ctrl-C stops'); i++) await new Promise((r) => setTimeout(r, 100));
      expect(stdout).toContain(`HTTP API on http://127.0.0.1:${port} (same handlers as in AWS`);
      expect(stdout).toContain('GET  /v1/datasets/{name}/rows');
      const res = await fetch(`http://127.0.0.1:${port}/v1/datasets/daily_revenue/rows`);
      expect([res.status, await res.json()]).toEqual([200, { columns: [{ name: 'date', type: 'date' }, { name: 'currency', type: 'string' }, { name: 'transactions', type: 'bigint' }, { name: 'revenue', type: 'decimal(18,2)' }], rows: [], nextToken: null }]);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    await expect(fetch(`http://127.0.0.1:${port}/v1/datasets`)).rejects.toThrow();
  });

  describe('as API Gateway: stage throttling, CORS, payload limit', () => {
    let e2e: E2EApi;
    beforeAll(async () => {
      e2e = await startE2EApi({ throttle: { rateLimit: 0.001, burstLimit: 3 } });
    });
    afterAll(async () => {
      await e2e?.close();
    });

    it('answers CORS preflights and adds the allowed origin (dev: *); beyond the burst, 429 problem+json', async () => {
      const preflight = await fetch(`${e2e.api.url}/v1/datasets`, { method: 'OPTIONS', headers: { origin: 'https://app.example.com', 'access-control-request-method': 'GET' } });
      expect([preflight.status, preflight.headers.get('access-control-allow-origin'), preflight.headers.get('access-control-allow-methods')]).toEqual([204, '*', 'GET,POST,OPTIONS']);
      const ok = await fetch(`${e2e.api.url}/v1/datasets`, { headers: { origin: 'https://app.example.com' } });
      expect([ok.status, ok.headers.get('access-control-allow-origin')]).toEqual([200, '*']);
      // The burst of 3 is spent (preflight, request, this one); the rate refills 1 token per 1000 s.
      const tooLarge = await fetch(`${e2e.api.url}/v1/ingest/prints`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: Buffer.alloc(10 * 1024 * 1024 + 1, 0x20) });
      expect([tooLarge.status, ((await tooLarge.json()) as { uploadRoute: string }).uploadRoute]).toEqual([413, '/v1/uploads/prints']);
      const throttled = await fetch(`${e2e.api.url}/v1/datasets`);
      expect([throttled.status, throttled.headers.get('content-type'), throttled.headers.get('retry-after')]).toEqual([429, 'application/problem+json', '1']);
      expect(await throttled.json()).toEqual({
        type: 'urn:medallion:problem:throttled',
        title: 'Too many requests',
        status: 429,
        detail: 'the stage’s request rate or burst limit is exceeded; retry with exponential backoff',
        instance: '/v1/datasets',
      });
    });
  });
});
