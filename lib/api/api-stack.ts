import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct, IConstruct } from 'constructs';
import type { StageConfig } from '../config/stage-config';
import { glueDatabaseName } from '../naming';
import { PlatformRestApi } from './platform-rest-api';
import { IngestFunction } from './ingest-function';
import { QueryFunction } from './query-function';
import type { PlatformData } from '../runtime/platform-data';
import { pinFeatureFlags } from '../feature-flags';
import { dependOnOwners, type PlatformCatalog, type PlatformStorage } from '../platform-resources';

export interface ApiStackProps extends StackProps {
  /** The contracts and Gold SQL folders synth read. */
  readonly data: PlatformData;
  /** The stage's settings (names, API authorization, throttling, CORS, timeouts). */
  readonly config: StageConfig;
  /** The buckets the API reads (gold, silver for the operations tables, Athena results) and writes (bronze), and their key. */
  readonly storage: Pick<PlatformStorage, 'key' | 'bronze' | 'silver' | 'gold' | 'athenaResults'>;
  /** The Glue databases and the Athena workgroup the query function runs in. */
  readonly catalog: PlatformCatalog;
  /** The published Gold tables the query function reads: the API deploys after them. @default none */
  readonly publishedTables?: readonly IConstruct[];
}

/** The HTTP API: the REST API of the route table, the query function (reads Gold) and the ingest function (writes bronze). */
export class ApiStack extends Stack {
  readonly query: QueryFunction;
  readonly ingest: IngestFunction;
  readonly restApi: PlatformRestApi;

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    pinFeatureFlags(this);
    const { config, storage, catalog } = props;
    // Before any grant: with the dependency declared, grants on the storage stack's key stay in this stack's role policies.
    dependOnOwners(this, storage.key, storage.bronze, storage.silver, storage.gold, storage.athenaResults, catalog.workgroup, ...Object.values(catalog.databases), ...(props.publishedTables ?? []));
    this.query = new QueryFunction(this, 'Query', {
      data: props.data,
      config,
      databases: { gold: glueDatabaseName(config, 'gold'), ops: glueDatabaseName(config, 'ops') },
      workGroup: catalog.workgroup.name,
      goldBucket: storage.gold,
      silverBucket: storage.silver,
      resultsBucket: storage.athenaResults,
      encryptionKey: storage.key,
    });
    this.ingest = new IngestFunction(this, 'Ingest', { data: props.data, bronzeBucket: storage.bronze });
    // The construct id stays 'Http' so that the REST API keeps its logical id (and URL) across the rename.
    this.restApi = new PlatformRestApi(this, 'Http', { config, functions: { query: this.query.function, ingest: this.ingest.function } });
    new CfnOutput(this, 'ApiUrl', { value: this.restApi.api.url, description: 'Base URL of the HTTP API (routes under /v1)' });
  }
}
