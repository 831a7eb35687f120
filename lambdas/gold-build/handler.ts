import { AthenaClient } from '@aws-sdk/client-athena';
import { GlueClient } from '@aws-sdk/client-glue';
import { Logger } from '@aws-lambda-powertools/logger';
import { goldDatasets } from '../shared/gold';
import { buildGoldDataset, type GoldBuildDeps, type GoldBuildResult } from './build';
import { requiredEnv } from '../shared/env';

const logger = new Logger({ serviceName: 'medallion-gold-build' });

let deps: GoldBuildDeps | undefined;
function dependencies(): GoldBuildDeps {
  deps ??= {
    athena: new AthenaClient({}),
    glue: new GlueClient({}),
    settings: {
      goldBucket: requiredEnv('GOLD_BUCKET'),
      databases: { silver: requiredEnv('SILVER_DATABASE'), gold: requiredEnv('GOLD_DATABASE'), ops: requiredEnv('OPS_DATABASE') },
      workGroup: requiredEnv('WORKGROUP'),
      sqlDir: process.env.SQL_DIR,
      contractsDir: process.env.CONTRACTS_DIR,
    },
  };
  return deps;
}

export interface GoldBuildEvent {
  /** Datasets to build; default every dataset of sql/gold, in dependency order. */
  readonly datasets?: readonly string[];
  /** As-of date (YYYY-MM-DD); default the latest event date of the silver data each dataset is built from. */
  readonly asOf?: string;
  /** A range of as-of dates instead (inclusive, YYYY-MM-DD): a backfill builds every day of it. */
  readonly from?: string;
  readonly to?: string;
}

const DAY_MS = 86_400_000;

/** The as-of dates of a request: one date, every day of a range, or (undefined) the latest data. */
export function asOfDates(event: GoldBuildEvent): (string | undefined)[] {
  if (event.from === undefined && event.to === undefined) return [event.asOf];
  if (event.asOf !== undefined) throw new Error('give either asOf or from/to, not both');
  if (!event.from || !event.to || !/^\d{4}-\d{2}-\d{2}$/.test(event.from) || !/^\d{4}-\d{2}-\d{2}$/.test(event.to)) {
    throw new Error(`from and to must both be YYYY-MM-DD dates, got from=${String(event.from)} to=${String(event.to)}`);
  }
  const start = Date.parse(`${event.from}T00:00:00Z`);
  const end = Date.parse(`${event.to}T00:00:00Z`);
  if (end < start) throw new Error(`from ${event.from} is after to ${event.to}`);
  if ((end - start) / DAY_MS > 366) throw new Error('a backfill covers at most 366 days; split it');
  const dates: string[] = [];
  for (let t = start; t <= end; t += DAY_MS) dates.push(new Date(t).toISOString().slice(0, 10));
  return dates;
}

/** Builds and publishes the requested Gold datasets for each requested as-of date, one after the other. */
export async function handler(event: GoldBuildEvent): Promise<{ builds: GoldBuildResult[] }> {
  const dates = asOfDates(event);
  const d = dependencies();
  const known = goldDatasets(d.settings.sqlDir);
  const unknown = (event.datasets ?? []).filter((x) => !known.includes(x));
  if (unknown.length) throw new Error(`unknown Gold dataset(s): ${unknown.join(', ')}; known: ${known.join(', ')}`);
  const builds: GoldBuildResult[] = [];
  for (const asOf of dates) {
    for (const dataset of known.filter((x) => !event.datasets || event.datasets.includes(x))) {
      const result = await buildGoldDataset({ dataset, asOf }, d);
      logger.info('published', { ...result });
      builds.push(result);
    }
  }
  return { builds };
}
