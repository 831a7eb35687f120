import { loadContracts } from '../shared/contracts';
import { goldDatasets } from '../shared/gold';
import { asOfSources, goldLineage, goldSources, planChecks, type GoldLineage, type QualityCheck } from '../shared/quality';
import { asOfDates, type GoldBuildEvent } from '../gold-build/handler';
import { requiredEnv } from '../shared/env';

export interface PlanEvent {
  /** The execution input: `{datasets?, asOf?, from?, to?}`. */
  readonly request?: GoldBuildEvent | null;
  /** `$$.Execution.StartTime`. */
  readonly startedAt: string;
}

export interface Plan {
  /** The request with only the fields given, so that later states can pass it on as it is. */
  readonly request: GoldBuildEvent;
  /** As-of date the checks are planned for (`asOf`, or the end of a range); null for the latest data. */
  readonly asOf: string | null;
  readonly checks: QualityCheck[];
  /** The Gold datasets requested (every one when the request names none), in build order. */
  readonly datasets: string[];
  /** What the SQL of every Gold dataset reads: how a failed check of a source reaches the requested datasets. */
  readonly lineage: GoldLineage[];
  /** One Gold build request per as-of date, in order. */
  readonly builds: GoldBuildEvent[];
}

/**
 * First state of gold-build: validates the request (dates, range, dataset names) before anything runs,
 * plans the quality checks from the contracts of the sources the requested Gold datasets read, gives the
 * lineage of the Gold datasets (which sources each reads, directly or through other Gold datasets) so that
 * the evaluation blocks only the datasets a failed check concerns, and splits a backfill into one build per
 * as-of date.
 */
export async function handler(event: PlanEvent): Promise<Plan> {
  const raw = event.request ?? {};
  const unknownKeys = Object.keys(raw).filter((k) => !['datasets', 'asOf', 'from', 'to'].includes(k));
  if (unknownKeys.length) throw new Error(`unknown input field(s) ${unknownKeys.join(', ')}; gold-build takes {datasets?, asOf?, from?, to?}`);
  const request: GoldBuildEvent = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined && v !== null)) as GoldBuildEvent;
  const dates = asOfDates(request);
  const known = goldDatasets();
  if (request.datasets !== undefined) {
    if (!Array.isArray(request.datasets) || request.datasets.length === 0) throw new Error('datasets must be a non-empty list of Gold dataset names');
    const unknown = request.datasets.filter((d) => !known.includes(d));
    if (unknown.length) throw new Error(`unknown Gold dataset(s): ${unknown.join(', ')}; known: ${known.join(', ')}`);
  }
  const asOf = dates[dates.length - 1];
  const datasets = known.filter((d) => !request.datasets || request.datasets.includes(d));
  // The gate checks the sources of the Gold datasets being built, and only those.
  const sources = goldSources(datasets);
  const checks = planChecks(loadContracts().filter((c) => sources.includes(c.name)), {
    databases: { silver: requiredEnv('SILVER_DATABASE'), ops: requiredEnv('OPS_DATABASE') },
    asOf,
    // Only the Gold datasets that take the as-of date read their sources up to it.
    asOfDatasets: asOfSources(datasets),
    runTime: event.startedAt,
  });
  const builds = dates.map((date) => ({ ...(request.datasets ? { datasets: request.datasets } : {}), ...(date ? { asOf: date } : {}) }));
  return { request, asOf: asOf ?? null, checks, datasets, lineage: known.map((d) => goldLineage(d)), builds };
}
