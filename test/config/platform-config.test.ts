import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import schema from '../../lib/config/platform-config.schema.json';
import { loadPlatformConfig, PlatformConfigError, resolveStages } from '../../lib/config/platform-config';
import { STAGES, StageConfigError } from '../../lib/config/stage-config';
import { addPlatform } from '../../lib/platform';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'medallion-config-test-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes a config file and returns its path. */
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** The message of what `fn` throws. */
function failure(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(PlatformConfigError);
    expect(e).toBeInstanceOf(StageConfigError);
    return (e as Error).message;
  }
  throw new Error('expected a PlatformConfigError');
}

describe('platform config file', () => {
  it("the repository's medallion.config.yaml defines exactly the built-in dev and prod stages", () => {
    const { stages } = loadPlatformConfig('medallion.config.yaml');
    expect(Object.keys(stages)).toEqual(['dev', 'prod']);
    expect(stages.dev).toEqual(STAGES.dev);
    expect(stages.prod).toEqual(STAGES.prod);
  });

  it('a stage is its base (prod when protected, else dev), then defaults, then its own settings', () => {
    const path = file(
      'merge.yaml',
      `defaults:
  namePrefix: acme-data
  alarmEmail: data@acme.example
  transform: { maxConcurrency: 20 }
stages:
  qa:
    transform: { memoryMb: 2048 }
    lifecycle:
      bronze: { transitionToGlacierIrAfterDays: null }
  live:
    protected: true
    api: { corsAllowOrigins: ['https://app.acme.example'] }
    bronzeReaderRoleArns: ['arn:aws:iam::123456789012:role/forensics/reader']
`,
    );
    const { stages } = loadPlatformConfig(path);
    expect(stages.qa).toEqual({
      ...STAGES.dev,
      stage: 'qa',
      namePrefix: 'acme-data',
      alarmEmail: 'data@acme.example',
      transform: { ...STAGES.dev.transform, memoryMb: 2048, maxConcurrency: 20 },
      lifecycle: { ...STAGES.dev.lifecycle, bronze: { noncurrentVersionExpirationDays: 7 } },
    });
    expect(stages.live).toEqual({
      ...STAGES.prod,
      stage: 'live',
      namePrefix: 'acme-data',
      alarmEmail: 'data@acme.example',
      transform: { ...STAGES.prod.transform, maxConcurrency: 20 },
      api: { ...STAGES.prod.api, corsAllowOrigins: ['https://app.acme.example'] },
      bronzeReaderRoleArns: ['arn:aws:iam::123456789012:role/forensics/reader'],
    });
  });

  it('JSON is read too', () => {
    const path = file('config.json', JSON.stringify({ stages: { dev: { alarmEmail: 'a@b.example' } } }, null, 2));
    expect(loadPlatformConfig(path).stages.dev).toEqual({ ...STAGES.dev, alarmEmail: 'a@b.example' });
  });

  it('reports every structural problem at its line and column: unknown keys with a suggestion, types, ranges, names, enums', () => {
    const path = file(
      'bad.yaml',
      `defaults:
  namePrefix: Medallion
stages:
  dev:
    transfrom:
      memoryMb: 3
    transform:
      memoryMb: 99999
      timeoutSeconds: "300"
    removalPolicy: delete
  Prod2: {}
`,
    );
    expect(failure(() => loadPlatformConfig(path))).toBe(
      [
        'Invalid platform config (6 problems):',
        `  - ${path}:2:3 at /defaults/namePrefix: "Medallion" does not match ^[a-z][a-z0-9-]{0,19}$: Prefix of every resource name: 1-20 lower case letters, digits or hyphens, starting with a letter.`,
        `  - ${path}:11:3 at /stages/Prod2: stage name 'Prod2' must be 1-10 lower case letters or digits, starting with a letter`,
        `  - ${path}:5:5 at /stages/dev/transfrom: unknown setting 'transfrom'; did you mean 'transform'? (known here: namePrefix, removalPolicy, autoDeleteObjects, protected, abortIncompleteMultipartUploadDays, lifecycle, ingest, transform, athena, catalog, api, bronzeReaderRoleArns, alarmEmail, orchestration)`,
        `  - ${path}:10:5 at /stages/dev/removalPolicy: "delete" is not one of "retain", "destroy"`,
        `  - ${path}:8:7 at /stages/dev/transform/memoryMb: must be <= 10240, got 99999`,
        `  - ${path}:9:7 at /stages/dev/transform/timeoutSeconds: must be integer, got "300"`,
      ].join('\n'),
    );
  });

  it('reports a stage rule at the setting that decided the value: the stage, defaults, or the built-in base', () => {
    const path = file(
      'rules.yaml',
      `defaults:
  transform:
    timeoutSeconds: 600
stages:
  prod:
    protected: true
    removalPolicy: destroy
    api: { corsAllowOrigins: ['*'] }
    lifecycle: { bronze: { expireAfterDays: 10 } }
`,
    );
    expect(failure(() => loadPlatformConfig(path))).toBe(
      [
        'Invalid platform config (4 problems):',
        `  - ${path}:7:5 at /stages/prod/removalPolicy: removalPolicy is 'destroy' but stage 'prod' is protected; use 'retain'`,
        `  - ${path}:9:18 at /stages/prod/lifecycle/bronze: lifecycle.bronze: expireAfterDays (10) must be later than transitionToGlacierIrAfterDays (90)`,
        `  - ${path}:5:3 at /stages/prod: ingest.visibilityTimeoutSeconds (1800) must be at least 6 × transform.timeoutSeconds (3600), as AWS recommends for SQS event sources (the value of the built-in prod base; set ingest.visibilityTimeoutSeconds here)`,
        `  - ${path}:8:12 at /stages/prod/api/corsAllowOrigins: api.corsAllowOrigins: '*' is refused on protected stage 'prod'; list the origins`,
      ].join('\n'),
    );
  });

  it('syntax errors, duplicate keys, a document that is not a map, no stages and a missing file are located too', () => {
    const syntax = file('syntax.yaml', 'stages:\n  dev: {alarmEmail: a@b.example\n');
    expect(failure(() => loadPlatformConfig(syntax))).toMatch(new RegExp(`^Invalid platform config \\(1 problem\\):\\n  - ${syntax}:3:1 at \\(document\\): YAML syntax error: `));
    const duplicate = file('duplicate.yaml', 'stages:\n  dev: {}\n  dev: {}\n');
    expect(failure(() => loadPlatformConfig(duplicate))).toBe(`Invalid platform config (1 problem):\n  - ${duplicate}:3:3 at (document): duplicate key 'dev' in the same map`);
    const list = file('list.yaml', '- dev\n- prod\n');
    expect(failure(() => loadPlatformConfig(list))).toBe(`Invalid platform config (1 problem):\n  - ${list}:1:1 at (document): the config must be a map with a \`stages\` key at the top level`);
    const empty = file('nostages.yaml', 'defaults: {}\n');
    expect(failure(() => loadPlatformConfig(empty))).toBe(`Invalid platform config (1 problem):\n  - ${empty}:1:1 at (document): missing required setting 'stages'`);
    expect(failure(() => loadPlatformConfig(join(dir, 'absent.yaml')))).toMatch(`${join(dir, 'absent.yaml')} at (document): cannot read the config file: ENOENT`);
  });

  it('typed props follow the same schema and rules, located by JSON pointer', () => {
    expect(resolveStages({ stages: { dev: {} } }).dev).toEqual(STAGES.dev);
    expect(failure(() => resolveStages({ stages: { dev: { transform: { batchSize: 11 } } } }))).toBe(
      'Invalid platform config (1 problem):\n  - platform config (props) at /stages/dev/transform/batchSize: must be <= 10, got 11',
    );
    expect(failure(() => resolveStages({ stages: { dev: { transform: { maxFileMiB: 5000 } } } }))).toBe(
      'Invalid platform config (1 problem):\n  - platform config (props) at /stages/dev/transform/maxFileMiB: transform.maxFileMiB must be 1..4096 (40% of transform.ephemeralStorageMb), got 5000',
    );
  });

  it('addPlatform takes the file: stages and values from it, an unknown stage lists its stages', () => {
    const path = file('app.yaml', 'stages:\n  qa:\n    namePrefix: acme\n  live:\n    protected: true\n');
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const platform = addPlatform(app, { stage: 'qa', config: path, nag: false });
    expect(platform.storage.stackName).toBe('acme-qa-storage');
    expect(() => addPlatform(new App(), { stage: 'prod', config: path, nag: false })).toThrow("Unknown stage 'prod'. Known stages: qa, live.");
  });
});

describe('platform-config.schema.json', () => {
  type Node = { properties?: Record<string, Node>; $ref?: string };
  const defs = (schema as unknown as { $defs: Record<string, Node> }).$defs;
  /** Every setting path the schema allows for a stage. */
  function schemaPaths(node: Node, prefix = ''): string[] {
    const resolved = node.$ref ? defs[node.$ref.replace('#/$defs/', '')] : node;
    if (!resolved.properties) return [prefix];
    return Object.entries(resolved.properties).flatMap(([k, v]) => schemaPaths(v, prefix ? `${prefix}.${k}` : k));
  }
  /** Every leaf path of a stage config value. */
  function valuePaths(value: unknown, prefix = ''): string[] {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return [prefix];
    return Object.entries(value).flatMap(([k, v]) => valuePaths(v, prefix ? `${prefix}.${k}` : k));
  }

  it('has a setting for every field of StageConfig, and no other', () => {
    const settings = new Set(schemaPaths(defs.stageSettings));
    const fields = new Set([...valuePaths(STAGES.dev), ...valuePaths(STAGES.prod)].filter((p) => p !== 'stage'));
    // Optional fields the built-in stages leave unset.
    const lifecycleFields = ['transitionToGlacierIrAfterDays', 'expireAfterDays', 'noncurrentVersionExpirationDays'];
    const buckets = Object.keys(STAGES.dev.lifecycle);
    const optional = ['api.manageAccountCloudWatchRole', ...buckets.flatMap((b) => lifecycleFields.map((f) => `lifecycle.${b}.${f}`))];
    const known = new Set([...fields, ...optional].filter((p) => !buckets.some((b) => p === `lifecycle.${b}`)));
    expect([...settings].filter((s) => !known.has(s))).toEqual([]);
    expect([...fields].filter((f) => !settings.has(f) && !buckets.some((b) => f === `lifecycle.${b}`))).toEqual([]);
  });
});
