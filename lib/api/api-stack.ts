import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { CatalogStack } from '../catalog/catalog-stack';
import type { StageConfig } from '../config/stage-config';
import type { GoldStack } from '../gold/gold-stack';
import { glueDatabaseName } from '../naming';
import type { StorageStack } from '../storage/storage-stack';
import { PlatformRestApi } from './platform-rest-api';
import { IngestFunction } from './ingest-function';
import { QueryFunction } from './query-function';
import type { PlatformData } from '../runtime/platform-data';
import { pinFeatureFlags } from '../feature-flags';

export interface ApiStackProps extends StackProps {
  /** The contracts and Gold SQL folders synth read. */
  readonly data: PlatformData;
  readonly config: StageConfig;
  readonly storage: StorageStack;
  readonly catalog: CatalogStack;
  /** The published Gold tables the query function reads. */
  readonly gold: GoldStack;
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
    this.addStackDependency(storage);
    this.addStackDependency(catalog);
    this.addStackDependency(props.gold);
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
