import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AthenaClient, GetQueryExecutionCommand } from '@aws-sdk/client-athena';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateSecretCommand, ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetQueueUrlCommand, PurgeQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { App } from 'aws-cdk-lib';
import type { APIGatewayProxyEvent, SQSBatchResponse } from 'aws-lambda';
import type { RunManifest } from '../../lambdas/shared/manifest';
import { addPlatform } from '../../lib/platform';
import { readManifest } from '../../local/ingest';
import { runGoldBuild, startLocalOrchestration, type GoldBuildFunction, type LocalOrchestration } from '../../local/orchestration';
import { LOCAL_ACCOUNT, LOCAL_REGION, startLocalPlatform, type LocalPlatform } from '../../local/platform';
import { pumpOnce } from '../../local/sqs-pump';
import { ndjson, printRecord } from '../fixtures/records';
import { readAssembly, resolveEnvironment, type Assembly, type BundledFunction, type Resolution } from './functions';
import { copyAsset, duckdbBindings, lambdaTools, removeCopies, startLambda, substituteX64Binding, type Invocation, type LambdaTools, type RunningLambda } from './lambda-runtime';

/**
 * Bundle smoke tests: every platform Lambda function runs from the asset `cdk synth` produced, copied out
 * of the repo, under the AWS Lambda Runtime Interface Emulator with Node.js 24 and the environment of its
 * template, on real events against the emulator (moto), the local Athena (DuckDB) and the local
 * orchestration. See docs/local-platform.md, "Bundle smoke tests".
 */

/** The platform's functions (construct paths) and the test that invokes each. */
const PLATFORM_FUNCTIONS: Record<string, string> = {
  'medallion-dev-transform/Transform/Function': 'transform',
  'medallion-dev-api/Ingest/Function': 'ingest API',
  'medallion-dev-api/Query/Function': 'query API',
  'medallion-dev-gold/GoldViews/OnEvent': 'Gold view custom resource',
  'medallion-dev-gold/GoldViews/IsComplete': 'Gold view custom resource',
  'medallion-dev-gold/GoldBuild/Function': 'gold-build state machine',
  'medallion-dev-orchestration/GoldBuild/Plan': 'gold-build state machine',
  'medallion-dev-orchestration/GoldBuild/Record': 'gold-build state machine',
  'medallion-dev-orchestration/Replay/Function': 'replay',
};
/** CDK's own functions, not run here (see docs/local-platform.md): their code is CDK's, they use the runtime's SDK. */
const CDK_FUNCTIONS = [
  'medallion-dev-gold/GoldViews/Provider/framework-onEvent',
  'medallion-dev-gold/GoldViews/Provider/framework-isComplete',
  'medallion-dev-gold/GoldViews/Provider/framework-onTimeout',
  'medallion-dev-storage/Custom::S3AutoDeleteObjectsCustomResourceProvider/Handler',
];
/** Functions with inline code (no asset): CDK's bucket notification handler, in Python. */
const INLINE_FUNCTIONS = ['medallion-dev-storage/BucketNotificationsHandler050a0587b7544547bf325f094a3db834'];

const CDK_JSON_CONTEXT = (JSON.parse(readFileSync(join(__dirname, '..', '..', 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

let tools: LambdaTools;
let outdir: string;
let assembly: Assembly;
let platform: LocalPlatform;
let orchestration: LocalOrchestration;
let resolution: Resolution;
const running: RunningLambda[] = [];
const warm = new Map<string, Promise<RunningLambda>>();
/** Functions that answered an invocation without error. */
const succeeded = new Set<string>();

function fn(path: string): BundledFunction {
  const found = assembly.functions.find((f) => f.path === path);
  if (!found) throw new Error(`no function ${path} in the synthesized templates`);
  return found;
}

interface StartOptions {
  /** Changes the copied asset before the function starts (substitutes the DuckDB binding, breaks it on purpose). */
  readonly prepare?: (taskRoot: string) => void;
  /** A handler string instead of the template's. */
  readonly handler?: string;
}

/** Starts a function from a fresh copy of its asset, with its template's environment resolved to the local resources. */
async function start(path: string, options: StartOptions = {}): Promise<RunningLambda> {
  const f = fn(path);
  const taskRoot = copyAsset(f.assetDir);
  options.prepare?.(taskRoot);
  // /var/task is where Lambda puts the asset: the same paths under the copy.
  const environment = Object.fromEntries(
    Object.entries(resolveEnvironment(assembly, f, resolution)).map(([k, v]) => [k, v.replace(/^\/var\/task(?=\/|$)/, taskRoot)]),
  );
  const lambda = await startLambda({
    tools,
    taskRoot,
    handler: options.handler ?? f.handler,
    functionName: f.path.split('/').slice(1).join('-'),
    memoryMb: f.memoryMb,
    timeoutSeconds: f.timeoutSeconds,
    environment: {
      ...environment,
      // Where the local resources answer, and the credentials the emulators take; nothing else is added.
      AWS_REGION: LOCAL_REGION,
      AWS_DEFAULT_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_ENDPOINT_URL: platform.emulator.endpoint,
      AWS_ENDPOINT_URL_ATHENA: orchestration.athena.endpoint,
      AWS_S3_FORCE_PATH_STYLE: 'true',
    },
  });
  running.push(lambda);
  return lambda;
}

/** The function started once from its template as is (a warm container reused by later invocations). */
function warmLambda(path: string): Promise<RunningLambda> {
  if (!warm.has(path)) warm.set(path, start(path));
  return warm.get(path)!;
}

/** Invokes a function and fails with the function's error and output when it reports one. */
async function invokeOk(path: string, event: unknown, lambda?: RunningLambda): Promise<unknown> {
  const target = lambda ?? (await warmLambda(path));
  const result = await target.invoke(event);
  if (result.status !== 200 || result.error) throw new Error(`${path} failed (HTTP ${result.status}): ${JSON.stringify(result.payload)}\n${target.output()}`);
  succeeded.add(path);
  return result.payload;
}

beforeAll(async () => {
  tools = lambdaTools();
  // As the CLI synthesizes: asset and construct paths in the template metadata.
  const context = { ...CDK_JSON_CONTEXT, 'aws:cdk:enable-asset-metadata': true, 'aws:cdk:enable-path-metadata': true };
  let t = Date.now();
  const lap = (what: string) => {
    process.stderr.write(`bundles: ${what} ${Date.now() - t} ms\n`);
    t = Date.now();
  };
  outdir = mkdtempSync(join(tmpdir(), 'bundles-cdk-out-'));
  const app = new App({ context, outdir });
  // cdk-nag is off: it checks the templates (test/stacks), not the bundles.
  addPlatform(app, { stage: 'dev', nag: false });
  lap('bundling (addPlatform)');
  assembly = readAssembly(app.synth().directory);
  lap('synth');
  platform = await startLocalPlatform({ stage: 'dev' });
  lap('platform');
  orchestration = await startLocalOrchestration(platform);
  lap('orchestration');
  // The secrets the templates create, with generated values as CloudFormation generates them.
  const secrets = new SecretsManagerClient({ endpoint: platform.emulator.endpoint, region: LOCAL_REGION, credentials });
  for (const template of Object.values(assembly.templates)) {
    for (const r of Object.values(template.Resources).filter((x) => x.Type === 'AWS::SecretsManager::Secret')) {
      const name = String(r.Properties?.Name);
      await secrets.send(new CreateSecretCommand({ Name: name, SecretString: Math.random().toString(36).repeat(8).slice(0, 64) })).catch((e: Error) => {
        if (e.name !== 'ResourceExistsException') throw e;
      });
    }
  }
  const secretArns = new Map(((await secrets.send(new ListSecretsCommand({}))).SecretList ?? []).map((s) => [s.Name!, s.ARN!]));
  secrets.destroy();
  const buckets = new Set(Object.values(platform.buckets));
  const queueUrls = new Map<string, string>();
  for (const url of [platform.queueUrl, platform.deadLetterQueueUrl]) queueUrls.set(url.split('/').pop()!, url);
  resolution = {
    account: LOCAL_ACCOUNT,
    region: LOCAL_REGION,
    resource: (_stack, _id, r, attribute, resolveIn) => {
      if (attribute !== undefined) return undefined;
      const name = (property: string) => (r.Properties?.[property] === undefined ? undefined : resolveIn(r.Properties[property]));
      if (r.Type === 'AWS::S3::Bucket') return [name('BucketName')].find((b) => b && buckets.has(b));
      if (r.Type === 'AWS::SQS::Queue') return queueUrls.get(name('QueueName') ?? '');
      if (r.Type === 'AWS::SecretsManager::Secret') return secretArns.get(name('Name') ?? '');
      return undefined;
    },
  };
}, 300_000);

afterAll(async () => {
  await Promise.all(running.map((l) => l.close()));
  await orchestration?.close();
  await platform?.close();
  removeCopies();
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

describe('the synthesized Lambda bundles, run as Lambda runs them', () => {
  it('finds every Lambda function of the templates: the platform functions are each covered below, on Node.js 24 arm64', () => {
    const platformFunctions = assembly.functions.filter((f) => !CDK_FUNCTIONS.includes(f.path));
    expect(platformFunctions.map((f) => f.path).sort()).toEqual(Object.keys(PLATFORM_FUNCTIONS).sort());
    expect(assembly.functions.filter((f) => CDK_FUNCTIONS.includes(f.path)).map((f) => f.path).sort()).toEqual([...CDK_FUNCTIONS].sort());
    expect(assembly.inline.map((f) => f.path)).toEqual(INLINE_FUNCTIONS);
    for (const f of platformFunctions) expect([f.path, f.runtime, f.architectures]).toEqual([f.path, 'nodejs24.x', ['arm64']]);
  });

  it('transform: S3 notifications delivered through SQS become silver data and run manifests', async () => {
    const transform = await start('medallion-dev-transform/Transform/Function', { prepare: substituteX64Binding });
    warm.set('medallion-dev-transform/Transform/Function', Promise.resolve(transform));
    expect(duckdbBindings(transform.taskRoot)).toEqual(['node-bindings-linux-x64']);
    const files: Record<string, string> = {
      'prints/2020-11-28.json': ndjson(printRecord('2020-11-28', 1), printRecord('2020-11-28', 2), printRecord('2020-11-27', 1)),
      'taps/2020-11-28.json': ndjson(printRecord('2020-11-28', 1)),
      'pays/2020-11-27.csv': 'pay_date,total,user_id,value_prop\n2020-11-27,10.50,1,point\n',
      'events/2024-03-02.json': ndjson({ event_id: 'e1', session_id: 's1', user_id: 'u1', event_type: 'page_view', timestamp: '2024-03-01T10:15:30Z' }) + '{not json\n',
    };
    const refs = [];
    for (const [key, body] of Object.entries(files)) {
      const out = await platform.s3.send(new PutObjectCommand({ Bucket: platform.buckets.bronze, Key: key, Body: body }));
      refs.push({ bucket: platform.buckets.bronze, key, eTag: out.ETag!.replace(/"/g, ''), ...(out.VersionId ? { versionId: out.VersionId } : {}) });
    }
    // The bucket's notifications, received from the queue and delivered as the SQS event source does.
    const responses: unknown[] = [];
    let received = 0;
    for (let round = 0; received < refs.length && round < 20; round++) {
      received += (await pumpOnce(platform, async (event) => {
        // pumpOnce turns a throw into failed messages: the error is kept for the assertion below.
        const out = (await invokeOk('medallion-dev-transform/Transform/Function', event).catch((e: Error) => ({ error: e.message }))) as SQSBatchResponse;
        responses.push(out);
        return out;
      })).received;
    }
    expect(responses).toEqual(responses.map(() => ({ batchItemFailures: [] })));
    const manifests = (await Promise.all(refs.map((r) => readManifest(platform, r)))) as RunManifest[];
    expect(manifests.map((m) => [m.key, m.status, m.rows_in, m.rows_valid, m.rows_quarantined])).toEqual([
      ['prints/2020-11-28.json', 'ingested', 3, 3, 0],
      ['taps/2020-11-28.json', 'ingested', 1, 1, 0],
      ['pays/2020-11-27.csv', 'ingested', 1, 1, 0],
      ['events/2024-03-02.json', 'ingested', 2, 1, 1],
    ]);
    const silver = await platform.s3.send(new ListObjectsV2Command({ Bucket: platform.buckets.silver, Prefix: 'prints/' }));
    expect(silver.Contents!.map((o) => o.Key).sort()).toEqual(manifests[0].partitions.map((p) => p.key).sort());
    expect(manifests[0].partitions.map((p) => [p.dt, p.rows])).toEqual([['2020-11-27', 1], ['2020-11-28', 2]]);
  });

  it('transform as shipped cannot load on x64: only the arm64 DuckDB binding is in the asset (a missing module is reported)', async () => {
    const transform = await start('medallion-dev-transform/Transform/Function');
    expect(duckdbBindings(transform.taskRoot)).toEqual(['node-bindings-linux-arm64']);
    const out = await transform.invoke({ Records: [] });
    expect(out.error).toEqual({ errorType: 'Runtime.ImportModuleError', errorMessage: expect.stringContaining('@duckdb/node-bindings-linux-x64') });
  });

  it('the exact arm64 transform asset loads its handler and DuckDB with Node.js 24 arm64 (under qemu)', () => {
    const taskRoot = copyAsset(fn('medallion-dev-transform/Transform/Function').assetDir);
    const script = "const h = require('./index.js').handler; require('@duckdb/node-api').DuckDBInstance.create(':memory:').then((i) => i.connect()).then((c) => c.runAndReadAll('SELECT 42 AS answer')).then((r) => console.log(JSON.stringify({ arch: process.arch, version: process.version, handler: typeof h, rows: r.getRowObjectsJson() })))";
    const out = spawnSync(tools.QEMU_AARCH64, ['-L', tools.ARM64_SYSROOT, tools.NODE_ARM64, '-e', script], { cwd: taskRoot, encoding: 'utf8', env: { PATH: '/usr/bin:/bin', LAMBDA_TASK_ROOT: taskRoot, TZ: ':UTC' }, timeout: 60_000 });
    expect([out.status, out.stderr]).toEqual([0, '']);
    expect(JSON.parse(out.stdout)).toEqual({ arch: 'arm64', version: expect.stringMatching(/^v24\./), handler: 'function', rows: [{ answer: 42 }] });
  });

  it('ingest API: POST /v1/ingest/{dataset} on an API Gateway proxy event stores the batch in bronze', async () => {
    const body = ndjson(printRecord('2020-11-29', 7), printRecord('2020-11-29', 8));
    const res = (await invokeOk('medallion-dev-api/Ingest/Function', proxyEvent('POST', '/v1/ingest/prints', body, { 'content-type': 'application/x-ndjson' }))) as { statusCode: number; body: string };
    expect(res.statusCode).toBe(202);
    const answer = JSON.parse(res.body) as { key: string };
    expect(answer).toEqual({ dataset: 'prints', key: expect.stringMatching(/^prints\/api\/\d{4}-\d{2}-\d{2}\/[0-9a-f-]{36}\.jsonl$/), records: 2, bytes: Buffer.byteLength(body) });
    const stored = await platform.s3.send(new GetObjectCommand({ Bucket: platform.buckets.bronze, Key: answer.key }));
    expect(await stored.Body!.transformToString()).toBe(body);
  });

  it('query API: GET /v1/files lists the run manifests through Athena; an unknown route is a 404 problem', async () => {
    const files = (await invokeOk('medallion-dev-api/Query/Function', proxyEvent('GET', '/v1/files', null, {}, { dataset: 'events' }))) as { statusCode: number; body: string };
    expect(files.statusCode).toBe(200);
    const rows = (JSON.parse(files.body) as { rows: Record<string, unknown>[] }).rows;
    expect(rows.map((r) => [r.dataset, r.key, r.status, r.rows_in, r.rows_valid, r.rows_quarantined])).toEqual([['events', 'events/2024-03-02.json', 'ingested', 2, 1, 1]]);
    const missing = (await invokeOk('medallion-dev-api/Query/Function', proxyEvent('GET', '/v1/nope', null))) as { statusCode: number; body: string };
    expect([missing.statusCode, JSON.parse(missing.body)]).toEqual([
      404,
      { type: 'urn:medallion:problem:unknown-route', title: 'Not found', status: 404, instance: '/v1/nope', detail: expect.stringMatching(/^no route GET \/v1\/nope; routes: GET \/v1\/datasets, /) },
    ]);
  });

  it('Gold view custom resource: onEvent starts the DDL of a template view on a CloudFormation Create event, isComplete sees it succeed', async () => {
    const [id, view] = Object.entries(assembly.templates['medallion-dev-gold'].Resources).find(([, r]) => r.Type === 'Custom::GoldView' && r.Properties?.ViewName === 'daily_revenue')!;
    const properties: Record<string, string> = { ...(view.Properties as Record<string, string>), ServiceToken: 'arn:aws:lambda:us-east-1:000000000000:function:provider' };
    const event = {
      RequestType: 'Create', ServiceToken: properties.ServiceToken, ResponseURL: 'http://127.0.0.1:9/response', StackId: 'arn:aws:cloudformation:us-east-1:000000000000:stack/medallion-dev-gold/1',
      RequestId: 'req-1', LogicalResourceId: id, ResourceType: 'Custom::GoldView', ResourceProperties: properties,
    };
    const started = (await invokeOk('medallion-dev-gold/GoldViews/OnEvent', event)) as { PhysicalResourceId: string; Data: { QueryExecutionId: string } };
    expect(started).toEqual({ PhysicalResourceId: 'medallion_dev_gold.daily_revenue', Data: { QueryExecutionId: expect.any(String) } });
    const athena = new AthenaClient({ endpoint: orchestration.athena.endpoint, region: LOCAL_REGION, credentials });
    const query = await athena.send(new GetQueryExecutionCommand({ QueryExecutionId: started.Data.QueryExecutionId }));
    athena.destroy();
    expect([query.QueryExecution?.Query, query.QueryExecution?.WorkGroup]).toEqual([`CREATE OR REPLACE VIEW medallion_dev_gold.daily_revenue AS\n${properties.Sql}`, 'medallion-dev-analytics']);
    let complete: unknown;
    for (let i = 0; i < 50; i++) {
      complete = await invokeOk('medallion-dev-gold/GoldViews/IsComplete', { ...event, PhysicalResourceId: started.PhysicalResourceId, Data: started.Data });
      if ((complete as { IsComplete: boolean }).IsComplete) break;
    }
    expect(complete).toEqual({ IsComplete: true });
  });

  it('gold-build state machine: its plan, record and build Lambda tasks invoke the bundles', async () => {
    const paths: Record<GoldBuildFunction, string> = {
      plan: 'medallion-dev-orchestration/GoldBuild/Plan',
      record: 'medallion-dev-orchestration/GoldBuild/Record',
      build: 'medallion-dev-gold/GoldBuild/Function',
    };
    const { execution, gate } = await runGoldBuild(orchestration, { asOf: '2020-11-28', datasets: ['value_prop_features'] }, {
      execution: 'bundles-1',
      invoke: async (f, payload) => (await invokeOk(paths[f], payload)) as never,
    });
    expect([execution.status, execution.error, execution.cause]).toEqual(['SUCCEEDED', undefined, undefined]);
    expect(execution.states.filter((s) => s.index === undefined).map((s) => `${s.name}:${s.status}`)).toEqual([
      'PlanChecks:SUCCEEDED', 'RunChecks:SUCCEEDED', 'EvaluateChecks:SUCCEEDED', 'AnythingToBuild:SUCCEEDED', 'BuildGold:SUCCEEDED', 'AnyDatasetBlocked:SUCCEEDED', 'RecordRun:SUCCEEDED', 'Published:SUCCEEDED',
    ]);
    expect(gate!.datasets).toEqual([{ dataset: 'value_prop_features', blocked: false, blockedBy: [], through: [] }]);
    const run = JSON.parse(await (await platform.s3.send(new GetObjectCommand({ Bucket: platform.buckets.silver, Key: '_operations/runs/bundles-1.json' }))).Body!.transformToString()) as Record<string, unknown>;
    expect(run).toMatchObject({ execution: 'bundles-1', status: 'SUCCEEDED', checks: 12, checks_failed: 0, builds: [{ dataset: 'value_prop_features', as_of: '2020-11-28', location: expect.stringMatching(/^s3:\/\/medallion-dev-gold-000000000000-us-east-1\/value_prop_features\/as_of=2020-11-28\/build=/) }] });
  });

  it('replay: re-sends the listed bronze objects to the notification queue', async () => {
    const listing = await platform.s3.send(new ListObjectsV2Command({ Bucket: platform.buckets.bronze, Prefix: 'taps/' }));
    const Items = listing.Contents!.map((c) => ({ Key: c.Key!, Etag: c.ETag!, LastModified: Math.floor(c.LastModified!.getTime() / 1000), Size: c.Size! }));
    const { QueueUrl } = await platform.sqs.send(new GetQueueUrlCommand({ QueueName: 'medallion-dev-bronze-events' }));
    // The queue holds the notification of the ingest API's object: only the replay's message is wanted.
    await platform.sqs.send(new PurgeQueueCommand({ QueueUrl }));
    expect(await invokeOk('medallion-dev-orchestration/Replay/Function', { Items, BatchInput: { window: null } })).toEqual({ sent: 1, skipped: 0 });
    const { Messages = [] } = await platform.sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    expect(Messages.map((m) => (JSON.parse(m.Body!) as { Records: { s3: { object: { key: string } } }[] }).Records[0].s3.object.key)).toEqual(['taps/2020-11-28.json']);
  });

  it('a data file missing from an asset fails the function: the plan without contracts/', async () => {
    const plan = await start('medallion-dev-orchestration/GoldBuild/Plan', { prepare: (taskRoot) => rmSync(join(taskRoot, 'contracts'), { recursive: true }) });
    const out: Invocation = await plan.invoke({ request: { asOf: '2020-11-28' }, startedAt: '2020-11-29T06:00:00Z' });
    expect(out.error).toEqual({ errorType: expect.any(String), errorMessage: expect.stringContaining(join(plan.taskRoot, 'contracts')) });
  });

  it('a handler the asset does not export fails at init: Runtime.HandlerNotFound', async () => {
    const replay = await start('medallion-dev-orchestration/Replay/Function', { handler: 'index.replay' });
    expect((await replay.invoke({ Items: [] })).error).toEqual({ errorType: 'Runtime.HandlerNotFound', errorMessage: 'index.replay is undefined or not exported' });
  });

  it('every platform function answered at least one invocation', () => {
    expect([...succeeded].sort()).toEqual(Object.keys(PLATFORM_FUNCTIONS).sort());
  });
});

/** An API Gateway REST proxy event, as the platform's API (one proxy resource) delivers it. */
function proxyEvent(method: string, path: string, body: string | null, headers: Record<string, string> = {}, query?: Record<string, string>): APIGatewayProxyEvent {
  return {
    resource: '/{proxy+}', path, httpMethod: method, headers, multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: query ?? null, multiValueQueryStringParameters: query ? Object.fromEntries(Object.entries(query).map(([k, v]) => [k, [v]])) : null,
    pathParameters: { proxy: path.slice(1) }, stageVariables: null, body, isBase64Encoded: false,
    requestContext: {
      accountId: LOCAL_ACCOUNT, apiId: 'bundles', stage: 'v1', requestId: 'req', httpMethod: method, path, resourcePath: '/{proxy+}', resourceId: 'proxy', protocol: 'HTTP/1.1',
      requestTimeEpoch: Date.now(), identity: { sourceIp: '127.0.0.1', userAgent: 'bundles' } as APIGatewayProxyEvent['requestContext']['identity'], authorizer: null,
    },
  };
}
