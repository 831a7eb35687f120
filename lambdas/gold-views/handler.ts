import { AthenaClient, GetQueryExecutionCommand, StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';

/** Properties of a `Custom::GoldView` resource. */
export interface GoldViewProperties {
  readonly Database: string;
  readonly ViewName: string;
  /** The SELECT of the view, placeholders already rendered. */
  readonly Sql: string;
  readonly WorkGroup: string;
}

let athena: AthenaClient | undefined;
const client = (): AthenaClient => (athena ??= new AthenaClient({}));

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/** The DDL for an event: CREATE OR REPLACE VIEW on create and update, DROP VIEW IF EXISTS on delete. */
export function viewDdl(event: Pick<CloudFormationCustomResourceEvent, 'RequestType'>, props: GoldViewProperties): string {
  for (const name of [props.Database, props.ViewName]) {
    if (!IDENTIFIER.test(name)) throw new Error(`'${name}' is not a valid Athena identifier (lower case letters, digits and _)`);
  }
  const target = `${props.Database}.${props.ViewName}`;
  return event.RequestType === 'Delete' ? `DROP VIEW IF EXISTS ${target}` : `CREATE OR REPLACE VIEW ${target} AS\n${props.Sql}`;
}

interface ProviderResponse {
  PhysicalResourceId?: string;
  Data?: Record<string, string>;
  IsComplete?: boolean;
}

/**
 * Provider-framework onEvent: starts the view's DDL in Athena, so that Athena itself validates the SQL.
 * Completion is checked by `isComplete`.
 */
export async function onEvent(event: CloudFormationCustomResourceEvent): Promise<ProviderResponse> {
  const props = event.ResourceProperties as unknown as GoldViewProperties & { ServiceToken: string };
  const physicalId = `${props.Database}.${props.ViewName}`;
  // A delete of a resource whose create failed has nothing to drop.
  if (event.RequestType === 'Delete' && event.PhysicalResourceId !== physicalId) return { PhysicalResourceId: event.PhysicalResourceId };
  const started = await client().send(
    new StartQueryExecutionCommand({ QueryString: viewDdl(event, props), WorkGroup: props.WorkGroup, QueryExecutionContext: { Database: props.Database } }),
  );
  return { PhysicalResourceId: physicalId, Data: { QueryExecutionId: started.QueryExecutionId! } };
}

/** Provider-framework isComplete: done when the query succeeded; a failed query fails the deployment with Athena's reason. */
export async function isComplete(event: CloudFormationCustomResourceEvent & { Data?: Record<string, string> }): Promise<ProviderResponse> {
  const id = event.Data?.QueryExecutionId;
  if (!id) return { IsComplete: true };
  const out = await client().send(new GetQueryExecutionCommand({ QueryExecutionId: id }));
  const state = out.QueryExecution?.Status?.State;
  if (state === 'SUCCEEDED') return { IsComplete: true };
  if (state === 'FAILED' || state === 'CANCELLED') {
    const props = event.ResourceProperties as unknown as GoldViewProperties;
    throw new Error(`Athena ${state.toLowerCase()} the DDL of view ${props.Database}.${props.ViewName} (query ${id}): ${out.QueryExecution?.Status?.StateChangeReason ?? 'no reason given'}`);
  }
  return { IsComplete: false };
}
