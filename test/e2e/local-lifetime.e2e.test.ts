import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { LOCAL_REGION, startLocalPlatform } from '../../local/platform';
import { processUntilDone } from '../../local/ingest';
import { loadTransformHandler } from '../../local/run';
import { ndjson, printRecord } from '../fixtures/records';
import { readSavedData } from '../../local/persist';
import { alive } from '../../local/state';
import { cli, cliTest, scratch, start } from './cli-harness';

describe('the local platform keeps its data between commands (state folder)', () => {
  cliTest('up starts it in the background; run uses it; status shows it; down stops it and saves; the next up restores; down --purge empties', async () => {
    const work = scratch('lifetime-');
    const state = join(work, 'state');
    expect(cli(state, 'generate', join(work, 'in'), '--rows', '50').status).toBe(0);

    const none = cli(state, 'status');
    expect([none.status, none.stdout]).toEqual([3, `no local platform running for ${state}; no saved data in ${join(state, 'data')}\nstart one: \`local up\` (in the background) or \`local serve\`\n`]);

    let features: unknown[] = [];
    const up = cli(state, 'up', '--port', '0');
    expect(up.status).toBe(0);
    const pid = Number(/^up: the local platform \(pid (\d+), serving, stage dev, since /.exec(up.stdout)?.[1]);
    const api = /^HTTP API on (http:\/\/127\.0\.0\.1:\d+)$/m.exec(up.stdout)![1];
    try {
      expect(JSON.parse(readFileSync(join(state, 'platform.json'), 'utf8'))).toMatchObject({ pid, command: 'serve', stage: 'dev', api });
      // Idempotent: a second up, or serve, names the running one.
      expect(cli(state, 'up').stdout).toMatch(new RegExp(`^already running: the local platform \\(pid ${pid}, serving`));
      expect(cli(state, 'serve').stdout).toMatch(new RegExp(`^already running: the local platform \\(pid ${pid}, serving[^]*HTTP API on ${api}`));

      const run = cli(state, 'run', join(work, 'in'), '--out', join(work, 'out'));
      expect(run.stdout).toMatch(new RegExp(`^using the local platform \\(pid ${pid}, serving, stage dev, since .*\\): it runs the transform, the data stays in it$`, 'm'));
      expect(run.stdout).toContain('files: 91 (91 ingested)');
      expect(run.stdout).not.toContain('data kept');
      expect(run.stderr).not.toContain('error');
      expect(run.status).toBe(0);
      // The platform that served before the run still serves, with the run's data.
      features = ((await (await fetch(`${api}/v1/datasets/value_prop_features/rows?limit=1000`)).json()) as { rows: unknown[] }).rows;
      expect(features.length).toBeGreaterThan(0);

      const status = cli(state, 'status');
      expect(status.status).toBe(0);
      expect(status.stdout).toMatch(new RegExp(`^running: the local platform \\(pid ${pid}, serving`));
      expect(status.stdout).toMatch(/^objects: bronze 91, silver \d+, quarantine 0, gold 5$/m);
      // The same, for scripts.
      const json = cli(state, 'status', '--json');
      expect(json.status).toBe(0);
      expect(JSON.parse(json.stdout)).toEqual({
        running: true,
        platform: expect.objectContaining({ pid, command: 'serve', stage: 'dev', api, emulator: { endpoint: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/), kind: 'moto', pids: [{ pid: expect.any(Number), start: expect.any(String) }] } }),
        objects: { bronze: 91, silver: expect.any(Number), quarantine: 0, gold: 5 },
        saved: null,
      });
    } finally {
      const down = cli(state, 'down');
      expect(down.stdout).toMatch(new RegExp(`^stopped the local platform \\(pid ${pid}, serving[^\\n]*\\n\\d+ objects of stage dev saved at \\S+ in ${join(state, 'data')}: the next`));
      expect(down.status).toBe(0);
    }
    expect(alive(pid)).toBe(false);
    expect(existsSync(join(state, 'platform.json'))).toBe(false);
    const stopped = cli(state, 'status', '--json');
    expect(stopped.status).toBe(3);
    expect(JSON.parse(stopped.stdout)).toEqual({ running: false, platform: null, objects: null, saved: { objects: expect.any(Number), stage: 'dev', savedAt: expect.any(String) } });

    const again = cli(state, 'up', '--port', '0');
    const api2 = /^HTTP API on (http:\/\/127\.0\.0\.1:\d+)$/m.exec(again.stdout)![1];
    try {
      expect(readFileSync(join(state, 'platform.log'), 'utf8')).toMatch(/^restored \d+ objects saved by the previous platform/m);
      // The same rows from the restored data.
      expect(((await (await fetch(`${api2}/v1/datasets/value_prop_features/rows?limit=1000`)).json()) as { rows: unknown[] }).rows).toEqual(features);
      expect(cli(state, 'status').stdout).toMatch(/^objects: bronze 91, silver \d+, quarantine 0, gold 5$/m);
    } finally {
      const purge = cli(state, 'down', '--purge');
      expect(purge.stdout).toMatch(/^stopped the local platform [^\n]*\nremoved the saved data \(\d+ objects\): the next platform starts empty\n$/);
    }
    expect(existsSync(join(state, 'data'))).toBe(false);
  }, 300_000);

  cliTest('an emulator that dies mid-run is reported with the phase; report.json still has what was done; the saved data is untouched', async () => {
    const work = scratch('dies-');
    const state = join(work, 'state');
    expect(cli(state, 'generate', join(work, 'in'), '--rows', '300', '--dirty').status).toBe(0);
    const run = start(state, 'run', join(work, 'in'), '--out', join(work, 'out'));
    // Piped output: the upload's line is printed when the transform reports its first batch.
    await run.waitFor(/^upload to bronze: 94\/94 files/m, 'err');
    const moto = execFileSync('pgrep', ['-P', String(run.child.pid), '-f', 'moto.server'], { encoding: 'utf8' }).trim();
    process.kill(Number(moto), 'SIGKILL');
    expect(await run.exited).toBe(1);
    const report = JSON.parse(readFileSync(join(work, 'out', 'report.json'), 'utf8')) as { files: { rows_in: number; rows_valid: number; rows_quarantined: number }[]; failure: { phase: string; error: string } };
    expect(run.err()).toContain(
      `error: the AWS emulator stopped during bronze → silver: the moto server (pid ${moto}) ended with killed by SIGKILL; ${join(work, 'out', 'report.json')} has the ${report.files.length} file(s) that reached a final status before\n`,
    );
    expect(report.failure.phase).toBe('transform');
    expect(report.files.length).toBeLessThan(94);
    for (const f of report.files) expect(f.rows_in).toBe(f.rows_valid + f.rows_quarantined);
    expect(existsSync(join(state, 'platform.json'))).toBe(false);
    expect(existsSync(join(state, 'data'))).toBe(false);
  }, 300_000);

  cliTest('a folder held by a run in progress is refused with what to do; a platform that died is reported and its record removed', () => {
    const state = scratch('held-');
    const sleeper = spawn('sleep', ['60']);
    try {
      const held = { pid: sleeper.pid, command: 'run', startedAt: '2026-11-29T10:00:00.000Z', stage: 'dev', contracts: '', sql: '', config: null, emulator: { endpoint: 'http://127.0.0.1:9', kind: 'moto' }, api: null, athena: null, buckets: {} };
      writeFileSync(join(state, 'platform.json'), JSON.stringify(held));
      const holder = `the local platform (pid ${sleeper.pid}, running \`run\`, stage dev, since 2026-11-29T10:00:00.000Z)`;
      const serve = cli(state, 'serve', '--port', '0');
      expect([serve.status, serve.stderr]).toEqual([1, `error: ${holder} holds ${state}; wait until it ends, or pass --state <dir> to run another platform beside it\n`]);
      const down = cli(state, 'down');
      expect([down.status, down.stderr]).toEqual([1, `error: ${holder} is a \`run\` in progress: it stops by itself when done (Ctrl-C in its terminal stops it now)\n`]);
    } finally {
      sleeper.kill('SIGKILL');
    }
    const dead = spawnSync('true');
    writeFileSync(join(state, 'platform.json'), JSON.stringify({ pid: dead.pid, command: 'serve', startedAt: '2026-11-29T10:00:00.000Z', stage: 'dev' }));
    const status = cli(state, 'status');
    expect(status.status).toBe(3);
    expect(status.stdout).toMatch(new RegExp(`^the local platform \\(pid ${dead.pid}, serving, stage dev, since 2026-11-29T10:00:00.000Z\\) ended without stopping cleanly \\(killed or crashed\\); its record removed`));
    expect(existsSync(join(state, 'platform.json'))).toBe(false);
  }, 300_000);

  cliTest('two commands starting at once on one folder: one takes it, the other is refused; Ctrl-C stops a run and its emulator', async () => {
    const work = scratch('race-');
    const state = join(work, 'state');
    expect(cli(state, 'generate', join(work, 'in'), '--rows', '50').status).toBe(0);
    const [a, b] = [start(state, 'run', join(work, 'in'), '--out', join(work, 'a')), start(state, 'run', join(work, 'in'), '--out', join(work, 'b'))];
    const codes = await Promise.all([a.exited, b.exited]);
    expect([...codes].sort()).toEqual([0, 1]);
    const refused = codes[0] === 1 ? a : b;
    expect(refused.err()).toMatch(/^error: the local platform \(pid \d+, (starting|running `run`), stage dev, since \S+\) (is taking|holds) \S+; wait until/m);
    expect(readSavedData(join(state, 'data'))!.objects.filter((o) => o.bucket === 'bronze')).toHaveLength(91);

    // Ctrl-C (SIGINT to the CLI alone, as a terminal's is not sent to the emulator's own process group).
    const run = start(state, 'run', join(work, 'in'), '--out', join(work, 'c'));
    await run.waitFor(/^upload to bronze: /m, 'err');
    const moto = Number(execFileSync('pgrep', ['-P', String(run.child.pid), '-f', 'moto.server'], { encoding: 'utf8' }).trim());
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(130);
    for (let i = 0; i < 50 && alive(moto); i++) await new Promise((r) => setTimeout(r, 100));
    expect(alive(moto)).toBe(false);
    // The next command says what happened to it; the data saved before is whole.
    const status = cli(state, 'status');
    expect(status.stderr + status.stdout).toContain('ended without stopping cleanly (killed or crashed)');
    expect(readSavedData(join(state, 'data'))!.objects.filter((o) => o.bucket === 'bronze')).toHaveLength(91);
  }, 300_000);

  it('saved data comes back byte for byte under any key, with the PII key; a bronze file saved unprocessed is processed after the restore', async () => {
    const dir = join(scratch('saved-'), 'data');
    const keys = ['prints/with space & ümlaut.json', 'prints/../dots/x.json', 'prints/a/b/c/deep.json', 'prints/%2F.json'];
    const MULTIPART = 'prints/multipart.json';
    const first = await startLocalPlatform();
    const secrets = (endpoint: string) => new SecretsManagerClient({ endpoint, region: LOCAL_REGION, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    const piiKey = async (endpoint: string, stage = first.config) =>
      (await secrets(endpoint).send(new GetSecretValueCommand({ SecretId: `${stage.namePrefix}-${stage.stage}-pii-key` }))).SecretString;
    let savedKey: string | undefined;
    let saved = 0;
    try {
      // A processed file uploaded in parts: its ETag (`…-1`) does not come back with it (restored single-part).
      const handler = await loadTransformHandler(first);
      const { UploadId } = await first.s3.send(new CreateMultipartUploadCommand({ Bucket: first.buckets.bronze, Key: MULTIPART }));
      const part = await first.s3.send(new UploadPartCommand({ Bucket: first.buckets.bronze, Key: MULTIPART, UploadId, PartNumber: 1, Body: Buffer.from(ndjson(printRecord('2020-11-28', 1))) }));
      const done = await first.s3.send(new CompleteMultipartUploadCommand({ Bucket: first.buckets.bronze, Key: MULTIPART, UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] } }));
      const [processed] = await processUntilDone(first, handler, [{ bucket: first.buckets.bronze, key: MULTIPART, eTag: done.ETag!.replace(/"/g, '') }], { timeoutMs: 60_000 });
      expect(processed.status).toBe('ingested');
      // Then files the transform does not get to before the save.
      for (const [i, key] of keys.entries()) {
        await first.s3.send(new PutObjectCommand({ Bucket: first.buckets.bronze, Key: key, Body: `{"n":${i}}\n`, ContentType: 'application/x-ndjson', Metadata: { source: `test-${i}` } }));
      }
      await first.s3.send(new PutObjectCommand({ Bucket: first.buckets.gold, Key: 'daily_kpis/part-0.parquet', Body: Buffer.from([0, 1, 2, 255]) }));
      savedKey = await piiKey(first.emulator.endpoint);
      saved = await first.save(dir);
    } finally {
      await first.close();
      // Loading the handler set the process's AWS_ENDPOINT_URL to this platform's emulator (as in Lambda): the next starts its own.
      delete process.env.AWS_ENDPOINT_URL;
    }
    const processedFlags = (data: string) => Object.fromEntries(readSavedData(data)!.objects.filter((o) => o.bucket === 'bronze').map((o) => [o.key, o.processed]));
    expect(processedFlags(dir)).toEqual({ ...Object.fromEntries(keys.map((k) => [k, false])), [MULTIPART]: true });
    expect(readSavedData(dir)!.objects).toHaveLength(saved);
    // Data of one stage never goes into another's buckets.
    await expect(startLocalPlatform({ dataDir: dir, stage: 'prod' })).rejects.toThrow(
      `the data saved in ${dir} is of stage 'dev', this platform's is 'prod': pass --stage dev, another --state folder, or remove it (\`local down --purge\`)`,
    );
    const second = await startLocalPlatform({ dataDir: dir });
    try {
      expect(second.restored).toBe(saved);
      const list = await second.s3.send(new ListObjectsV2Command({ Bucket: second.buckets.bronze }));
      expect((list.Contents ?? []).map((o) => o.Key).sort()).toEqual([...keys, MULTIPART].sort());
      const one = await second.s3.send(new GetObjectCommand({ Bucket: second.buckets.bronze, Key: keys[0] }));
      expect([await one.Body!.transformToString(), one.ContentType, one.Metadata]).toEqual(['{"n":0}\n', 'application/x-ndjson', { source: 'test-0' }]);
      const gold = await second.s3.send(new GetObjectCommand({ Bucket: second.buckets.gold, Key: 'daily_kpis/part-0.parquet' }));
      expect([...(await gold.Body!.transformToByteArray())]).toEqual([0, 1, 2, 255]);
      expect(await piiKey(second.emulator.endpoint)).toBe(savedKey);
      // None had a run manifest: each is notified again, as if just dropped.
      const notified = new Set<string>();
      for (let i = 0; i < 20 && notified.size < keys.length; i++) {
        const got = await second.sqs.send(new ReceiveMessageCommand({ QueueUrl: second.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 60 }));
        for (const m of got.Messages ?? []) for (const r of (JSON.parse(m.Body!) as { Records?: { s3: { object: { key: string } } }[] }).Records ?? []) notified.add(decodeURIComponent(r.s3.object.key.replace(/\+/g, ' ')));
      }
      // The multipart file was processed: not notified again, and still processed when saved again (its new ETag has no manifest).
      expect([...notified].sort()).toEqual([...keys].sort());
      await second.save(`${dir}-2`);
      expect(processedFlags(`${dir}-2`)).toEqual(processedFlags(dir));
    } finally {
      await second.close();
    }
  });

});
