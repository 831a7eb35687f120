import { ApiStack } from './api/api-stack';
import { Aspects, type Environment, Stage, type StageProps, Tags } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadContracts } from '../lambdas/shared/contracts';
import { CatalogStack } from './catalog/catalog-stack';
import { loadPlatformConfig, resolveStages, type PlatformConfig } from './config/platform-config';
import { STAGES, stageConfig, type StageConfig } from './config/stage-config';
import { applyNagSuppressions } from './nag-suppressions';
import { GoldStack } from './gold/gold-stack';
import { ObservabilityStack } from './observability/observability-stack';
import { OrchestrationStack } from './orchestration/orchestration-stack';
import { StorageStack } from './storage/storage-stack';
import { TransformStack } from './transform/transform-stack';
import { platformData } from './runtime/platform-data';

export interface PlatformOptions {
  /** Stage whose config to use: a stage of `config` (or of `stages`). */
  readonly stage: string;
  /**
   * The platform config: the path of a config file (YAML or JSON, see `medallion.config.yaml`), or the same
   * as typed props. Checked against the JSON Schema and the stage rules; a problem fails synth with its
   * file, line and column. Takes precedence over `stages`.
   * @default the built-in `STAGES` (dev and prod), unless `stages` is given
   */
  readonly config?: PlatformConfig | string;
  /** Complete stage configs to pick `stage` from (the typed alternative to `config`). @default STAGES */
  readonly stages?: Readonly<Record<string, StageConfig>>;
  /**
   * Folder of the data contracts: source contracts (`*.yaml` / `*.yml`) directly inside, Gold output
   * contracts in `gold/`. Synth reads it, and every function that reads contracts is bundled with exactly
   * those files. @default the repository's contracts/
   */
  readonly contractsDir?: string;
  /** Folder of the Gold SQL (`gold/<dataset>.sql`), read the same way. @default the repository's sql/ */
  readonly sqlDir?: string;
  /** Target account and region. @default environment-agnostic (resolved at deploy time) */
  readonly env?: Environment;
  /** Run the cdk-nag AwsSolutions checks. @default true */
  readonly nag?: boolean;
}

export interface Platform {
  readonly config: StageConfig;
  readonly storage: StorageStack;
  readonly catalog: CatalogStack;
  readonly transform: TransformStack;
  readonly gold: GoldStack;
  readonly orchestration: OrchestrationStack;
  readonly api: ApiStack;
  readonly observability: ObservabilityStack;
}

/** The stage configs of the options: from `config` (a file or props), else `stages`, else the built-in ones. */
export function platformStages(options: Pick<PlatformOptions, 'config' | 'stages'>): Readonly<Record<string, StageConfig>> {
  if (typeof options.config === 'string') return loadPlatformConfig(options.config).stages;
  if (options.config) return resolveStages(options.config);
  return options.stages ?? STAGES;
}

/**
 * Adds the platform's stacks for one stage to an app. Contracts and stage config are validated first, so
 * an invalid one fails synth with a precise message before any construct exists.
 */
export function addPlatform(app: Construct, options: PlatformOptions): Platform {
  const config = stageConfig(options.stage, platformStages(options));
  const data = platformData(options);
  const contracts = loadContracts(data.contractsDir);
  const prefix = `${config.namePrefix}-${config.stage}`;
  const common = { env: options.env, terminationProtection: config.protected };
  const storage = new StorageStack(app, `${prefix}-storage`, {
    ...common,
    description: `medallion-platform ${config.stage}: buckets, KMS key and bronze notification queue`,
    config,
    contracts,
  });
  const catalog = new CatalogStack(app, `${prefix}-catalog`, {
    ...common,
    description: `medallion-platform ${config.stage}: Glue databases and tables from the data contracts, Athena workgroup`,
    config,
    contracts,
    bronzeBucket: storage.bronze,
    silverBucket: storage.silver,
    athenaResultsBucket: storage.athenaResults,
    encryptionKey: storage.key,
  });
  const transform = new TransformStack(app, `${prefix}-transform`, {
    ...common,
    description: `medallion-platform ${config.stage}: bronze → silver transform Lambda (DuckDB) and alarms`,
    config,
    data,
    storage,
  });
  const gold = new GoldStack(app, `${prefix}-gold`, {
    ...common,
    description: `medallion-platform ${config.stage}: Gold datasets of sql/gold as Athena views`,
    config,
    data,
    storage,
    catalog,
  });
  const orchestration = new OrchestrationStack(app, `${prefix}-orchestration`, {
    ...common,
    description: `medallion-platform ${config.stage}: gold-build (quality gate, Gold) and replay state machines, daily schedule`,
    config,
    data,
    contracts,
    storage,
    catalog,
    goldBuildFunction: gold.build.function,
    alertTopic: transform.alarmTopic,
  });
  const api = new ApiStack(app, `${prefix}-api`, {
    ...common,
    description: `medallion-platform ${config.stage}: HTTP API (API Gateway + Lambda) to query Gold and ingest into bronze`,
    config,
    data,
    storage,
    catalog,
    publishedTables: gold.build.tables,
  });
  const observability = new ObservabilityStack(app, `${prefix}-observability`, {
    ...common,
    description: `medallion-platform ${config.stage}: dashboard and alarms`,
    config,
    contracts,
    storage,
    catalog,
    transformFunction: transform.pipeline.function,
    alarmTopic: transform.alarmTopic,
    stateMachines: { 'gold-build': orchestration.goldBuild, replay: orchestration.replay },
    api: api.restApi.api,
  });
  for (const stack of [storage, catalog, transform, gold, orchestration, api, observability]) {
    Tags.of(stack).add('project', 'medallion-platform');
    Tags.of(stack).add('stage', config.stage);
    applyNagSuppressions(stack);
  }
  if (options.nag ?? true) Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));
  return { config, storage, catalog, transform, gold, orchestration, api, observability };
}

/** Props of a `MedallionStage`: the stage config to deploy and where the contracts and Gold SQL are. */
export interface MedallionStageProps extends StageProps, Omit<PlatformOptions, 'env'> {}

/**
 * The whole platform of one stage as a CDK `Stage`: its seven stacks (storage, catalog, transform, Gold,
 * orchestration, API, observability), for a CDK Pipelines pipeline (`pipeline.addStage(new
 * MedallionStage(…))`) or any app. The stage's account and region are the Stage's `env`.
 */
export class MedallionStage extends Stage {
  readonly platform: Platform;

  constructor(scope: Construct, id: string, props: MedallionStageProps) {
    super(scope, id, props);
    this.platform = addPlatform(this, { ...props, env: props.env });
  }
}
