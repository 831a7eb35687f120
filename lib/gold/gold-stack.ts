import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { CatalogStack } from '../catalog/catalog-stack';
import type { StageConfig } from '../config/stage-config';
import { glueDatabaseName } from '../naming';
import type { StorageStack } from '../storage/storage-stack';
import { GoldBuild } from './gold-build';
import { GoldViews } from './gold-views';
import type { PlatformData } from '../runtime/platform-data';

export interface GoldStackProps extends StackProps {
  /** The contracts and Gold SQL folders synth read. */
  readonly data: PlatformData;
  readonly config: StageConfig;
  readonly storage: StorageStack;
  readonly catalog: CatalogStack;
}

/** The Gold layer: the SQL datasets of sql/gold as Athena views, and their materialized builds. */
export class GoldStack extends Stack {
  readonly views: GoldViews;
  readonly build: GoldBuild;

  constructor(scope: Construct, id: string, props: GoldStackProps) {
    super(scope, id, props);
    const { config, storage, catalog } = props;
    this.addStackDependency(storage);
    this.addStackDependency(catalog);
    const databases = { silver: glueDatabaseName(config, 'silver'), gold: glueDatabaseName(config, 'gold'), ops: glueDatabaseName(config, 'ops') };
    this.views = new GoldViews(this, 'GoldViews', {
      data: props.data,
      databases,
      workGroup: catalog.workgroup.name,
      resultsBucket: storage.athenaResults,
      encryptionKey: storage.key,
      sourceBuckets: [storage.silver],
    });
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
}
