import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { DatasetContract } from '../../lambdas/shared/contracts';
import type { StageConfig } from '../config/stage-config';
import { glueDatabaseName } from '../naming';
import { AthenaWorkgroup } from './athena-workgroup';
import { ContractTables } from './contract-tables';
import { cfnTableInput, manifestsTableInput } from './table-inputs';
import { pinFeatureFlags } from '../feature-flags';
import type { PlatformCatalog } from '../platform-resources';

export const CATALOG_LAYERS = ['bronze', 'silver', 'gold', 'ops'] as const;
export type CatalogLayer = (typeof CATALOG_LAYERS)[number];

const LAYER_DESCRIPTIONS: Record<CatalogLayer, string> = {
  bronze: 'Raw source files exactly as delivered',
  silver: 'Typed, validated, PII-protected Parquet, one table per source',
  gold: 'Business datasets defined in SQL',
  ops: 'Operations: run manifests and quality results',
};

export interface CatalogStackProps extends StackProps {
  /** The stage's settings: database names, partition projection range. */
  readonly config: StageConfig;
  /** The source contracts: one bronze and one silver table each. */
  readonly contracts: readonly DatasetContract[];
  /** Bucket of the raw files the bronze tables read. */
  readonly bronzeBucket: IBucket;
  /** Bucket of the Parquet files the silver tables and the manifests table read. */
  readonly silverBucket: IBucket;
  /** Bucket the workgroup writes query results to. */
  readonly athenaResultsBucket: IBucket;
  /** Key the workgroup encrypts query results with. */
  readonly encryptionKey: IKey;
}

/** Glue databases per layer, bronze and silver tables generated from every contract, and the Athena workgroup. */
export class CatalogStack extends Stack implements PlatformCatalog {
  readonly databases: Record<CatalogLayer, glue.CfnDatabase>;
  readonly tables: Record<string, ContractTables>;
  readonly workgroup: AthenaWorkgroup;
  readonly manifestsTable: glue.CfnTable;

  constructor(scope: Construct, id: string, props: CatalogStackProps) {
    super(scope, id, props);
    pinFeatureFlags(this);
    const { config } = props;
    const databases = {} as Record<CatalogLayer, glue.CfnDatabase>;
    for (const layer of CATALOG_LAYERS) {
      databases[layer] = new glue.CfnDatabase(this, `${layer[0].toUpperCase()}${layer.slice(1)}Database`, {
        catalogId: this.account,
        databaseInput: { name: glueDatabaseName(config, layer), description: `medallion-platform ${config.stage}: ${LAYER_DESCRIPTIONS[layer]}` },
      });
    }
    this.databases = databases;
    this.tables = {};
    for (const contract of props.contracts) {
      this.tables[contract.name] = new ContractTables(this, `Tables-${contract.name}`, {
        contract,
        bronzeDatabase: databases.bronze,
        silverDatabase: databases.silver,
        bronzeBucket: props.bronzeBucket,
        silverBucket: props.silverBucket,
        projectionStartDate: config.catalog.projectionStartDate,
        futureHorizonDays: config.catalog.futureHorizonDays,
      });
    }
    this.manifestsTable = new glue.CfnTable(this, 'ManifestsTable', {
      catalogId: this.account,
      databaseName: databases.ops.ref,
      tableInput: cfnTableInput(manifestsTableInput(props.silverBucket.bucketName)),
    });
    this.workgroup = new AthenaWorkgroup(this, 'Athena', { config, resultsBucket: props.athenaResultsBucket, encryptionKey: props.encryptionKey });
    new CfnOutput(this, 'AthenaWorkgroupName', { value: this.workgroup.name });
    new CfnOutput(this, 'SilverDatabaseName', { value: glueDatabaseName(config, 'silver') });
  }
}
