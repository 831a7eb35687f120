import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
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
const CDK_JSON_CONTEXT = (JSON.parse(readFileSync(join(__dirname, '..', '..', 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;

/** Synthesizes one stage of the real CDK app (same code path as bin/medallion.ts) with cdk-nag on. */
export function synthesizePlatform(stage: string): SynthesizedPlatform {
  const app = new App({ context: CDK_JSON_CONTEXT });
  const platform = addPlatform(app, { stage });
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
