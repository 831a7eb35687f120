import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, type Environment } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { StageConfig } from '../../lib/config/stage-config';
import { addPlatform, type Platform } from '../../lib/platform';

export interface SynthesizedPlatform extends Platform {
  readonly storageTemplate: Template;
  readonly catalogTemplate: Template;
  readonly transformTemplate: Template;
  readonly goldTemplate: Template;
  readonly orchestrationTemplate: Template;
  readonly apiTemplate: Template;
  readonly observabilityTemplate: Template;
}

/** The feature flags of cdk.json, so that tests build the app exactly as `cdk synth` does. */
export const CDK_JSON_CONTEXT = (JSON.parse(readFileSync(join(__dirname, '..', '..', 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;

export interface FixtureOptions {
  /** Stage configs to pick the stage from. @default STAGES of lib/config/stage-config.ts */
  readonly stages?: Readonly<Record<string, StageConfig>>;
  /** Target account and region. @default environment-agnostic */
  readonly env?: Environment;
  /** Bundle the Lambda code (esbuild, npm install of DuckDB's binding): tests of the assets need it, the others are faster without. @default true */
  readonly bundle?: boolean;
  /** Run the cdk-nag AwsSolutions checks (their errors fail the synthesis). @default true */
  readonly nag?: boolean;
  /** Folder of the data contracts. @default the repository's contracts/ */
  readonly contractsDir?: string;
  /** Folder of the Gold SQL. @default the repository's sql/ */
  readonly sqlDir?: string;
}

/** Synthesizes one stage of the real CDK app (same code path as bin/medallion.ts) with cdk-nag on. */
export function synthesizePlatform(stage: string, options: FixtureOptions = {}): SynthesizedPlatform {
  const app = new App({ context: { ...CDK_JSON_CONTEXT, ...(options.bundle === false ? { 'aws:cdk:bundling-stacks': [] } : {}) } });
  const platform = addPlatform(app, { stage, stages: options.stages, env: options.env, nag: options.nag, contractsDir: options.contractsDir, sqlDir: options.sqlDir });
  return {
    ...platform,
    storageTemplate: Template.fromStack(platform.storage),
    catalogTemplate: Template.fromStack(platform.catalog),
    transformTemplate: Template.fromStack(platform.transform),
    goldTemplate: Template.fromStack(platform.gold),
    orchestrationTemplate: Template.fromStack(platform.orchestration),
    apiTemplate: Template.fromStack(platform.api),
    observabilityTemplate: Template.fromStack(platform.observability),
  };
}

type Resource = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string; Metadata?: Record<string, unknown> };

export function resourcesOf(template: Template, type: string): Record<string, Resource> {
  return template.findResources(type) as Record<string, Resource>;
}
