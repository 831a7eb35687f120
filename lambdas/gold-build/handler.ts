import { AthenaClient } from '@aws-sdk/client-athena';
import { GlueClient } from '@aws-sdk/client-glue';
import { Logger } from '@aws-lambda-powertools/logger';
import { goldDatasets } from '../shared/gold';
import { buildGoldDataset, type GoldBuildDeps, type GoldBuildResult } from './build';

const logger = new Logger({ serviceName: 'medallion-gold-build' });

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}

let deps: GoldBuildDeps | undefined;
function dependencies(): GoldBuildDeps {
  deps ??= {
    athena: new AthenaClient({}),
    glue: new GlueClient({}),
    settings: {
      goldBucket: required('GOLD_BUCKET'),
      databases: { silver: required('SILVER_DATABASE'), gold: required('GOLD_DATABASE'), ops: required('OPS_DATABASE') },
      workGroup: required('WORKGROUP'),
      sqlDir: process.env.SQL_DIR,
    },
  };
  return deps;
}

export interface GoldBuildEvent {
  /** Datasets to build; default every dataset of sql/gold, in dependency order. */
  readonly datasets?: readonly string[];
  /** As-of date (YYYY-MM-DD); default the latest print day. */
  readonly asOf?: string;
}

/** Builds and publishes the requested Gold datasets for one as-of date, one after the other. */
export async function handler(event: GoldBuildEvent): Promise<{ builds: GoldBuildResult[] }> {
  const d = dependencies();
  const known = goldDatasets(d.settings.sqlDir);
  const unknown = (event.datasets ?? []).filter((x) => !known.includes(x));
  if (unknown.length) throw new Error(`unknown Gold dataset(s): ${unknown.join(', ')}; known: ${known.join(', ')}`);
  const builds: GoldBuildResult[] = [];
  for (const dataset of known.filter((x) => !event.datasets || event.datasets.includes(x))) {
    const result = await buildGoldDataset({ dataset, asOf: event.asOf }, d);
    logger.info('published', { ...result });
    builds.push(result);
  }
  return { builds };
}
