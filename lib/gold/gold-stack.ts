import { Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { StageConfig } from '../config/stage-config';
import { glueDatabaseName } from '../naming';
import { GoldBuild } from './gold-build';
import { GoldViews } from './gold-views';
import type { PlatformData } from '../runtime/platform-data';
import { pinFeatureFlags } from '../feature-flags';
import { dependOnOwners, type PlatformCatalog, type PlatformStorage } from '../platform-resources';

export interface GoldStackProps extends StackProps {
  /** The contracts and Gold SQL folders synth read. */
  readonly data: PlatformData;
  /** The stage's settings (names). */
  readonly config: StageConfig;
  /** The buckets Gold reads (silver), publishes to (gold) and queries through (Athena results), and their key. */
  readonly storage: Pick<PlatformStorage, 'key' | 'silver' | 'gold' | 'athenaResults'>;
  /** The Glue databases (the silver tables the views read) and the Athena workgroup. */
  readonly catalog: PlatformCatalog;
}

/** The Gold layer: the SQL datasets of sql/gold as Athena views, and their materialized builds. */
export interface GrantReadGoldOptions {
  /**
   * Also the Gold views (`<gold>.<dataset>`), which Athena evaluates over the silver tables with the
   * reader's own permissions: adds read access to the silver Glue tables and silver objects (PII hashed,
   * never in clear). Without it, only the published builds (`<gold>.<dataset>_published`), as the HTTP API reads.
   * @default false
   */
  readonly views?: boolean;
}

export class GoldStack extends Stack {
  readonly views: GoldViews;
  readonly build: GoldBuild;
  private readonly reading: {
    readonly databases: { readonly silver: string; readonly gold: string };
    readonly workGroup: string;
    readonly goldBucket: IBucket;
    readonly silverBucket: IBucket;
    readonly resultsBucket: IBucket;
    readonly key: IKey;
  };

  constructor(scope: Construct, id: string, props: GoldStackProps) {
    super(scope, id, props);
    pinFeatureFlags(this);
    const { config, storage, catalog } = props;
    // The views read the silver tables: deploy after the catalog, whose databases hold them.
    dependOnOwners(this, storage.key, storage.silver, storage.gold, storage.athenaResults, catalog.workgroup, ...Object.values(catalog.databases));
    const databases = { silver: glueDatabaseName(config, 'silver'), gold: glueDatabaseName(config, 'gold'), ops: glueDatabaseName(config, 'ops') };
    this.views = new GoldViews(this, 'GoldViews', {
      data: props.data,
      databases,
      workGroup: catalog.workgroup.name,
      resultsBucket: storage.athenaResults,
      encryptionKey: storage.key,
      sourceBuckets: [storage.silver],
    });
    this.reading = { databases, workGroup: catalog.workgroup.name, goldBucket: storage.gold, silverBucket: storage.silver, resultsBucket: storage.athenaResults, key: storage.key };
    this.build = new GoldBuild(this, 'GoldBuild', {
      data: props.data,
      databases,
      workGroup: catalog.workgroup.name,
      goldBucket: storage.gold,
      silverBucket: storage.silver,
      resultsBucket: storage.athenaResults,
      encryptionKey: storage.key,
    });
  }

  /**
   * Lets a principal (an analyst's role, an application's function) query Gold in Athena through the
   * stage's workgroup: start, follow and read its queries, read the Gold Glue catalog and the published
   * builds in the gold bucket, write and read query results under `results/`, and use the data key.
   */
  grantReadGold(grantee: iam.IGrantable, options: GrantReadGoldOptions = {}): iam.Grant {
    const { databases, workGroup, goldBucket, silverBucket, resultsBucket, key } = this.reading;
    const glueArn = (resource: string, resourceName?: string) => this.formatArn({ service: 'glue', resource, resourceName });
    const databasesRead = options.views ? [databases.gold, databases.silver] : [databases.gold];
    const grant = iam.Grant.addToPrincipal({
      grantee,
      actions: ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults', 'athena:StopQueryExecution', 'athena:GetWorkGroup'],
      resourceArns: [this.formatArn({ service: 'athena', resource: 'workgroup', resourceName: workGroup })],
    });
    grant.combine(
      iam.Grant.addToPrincipal({
        grantee,
        actions: ['glue:GetDatabase', 'glue:GetDatabases', 'glue:GetTable', 'glue:GetTables', 'glue:GetPartition', 'glue:GetPartitions'],
        resourceArns: [glueArn('catalog'), ...databasesRead.flatMap((db) => [glueArn('database', db), glueArn('table', `${db}/*`)])],
      }),
    );
    goldBucket.grantRead(grantee);
    if (options.views) silverBucket.grantRead(grantee);
    resultsBucket.grantReadWrite(grantee, 'results/*');
    key.grantEncryptDecrypt(grantee);
    return grant;
  }
}
