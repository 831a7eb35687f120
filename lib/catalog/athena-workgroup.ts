import * as athena from 'aws-cdk-lib/aws-athena';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { StageConfig } from '../config/stage-config';
import { resourceName } from '../naming';

export interface AthenaWorkgroupProps {
  /** The stage's settings: the workgroup name and its per-query bytes-scanned cutoff. */
  readonly config: StageConfig;
  /** Bucket receiving query results under `results/`. */
  readonly resultsBucket: IBucket;
  /** Key encrypting the query results (SSE-KMS). */
  readonly encryptionKey: IKey;
}

/** Athena engine v3 workgroup whose settings clients cannot override: KMS-encrypted results, a bytes-scanned cutoff and CloudWatch metrics. */
export class AthenaWorkgroup extends Construct {
  readonly workgroup: athena.CfnWorkGroup;
  readonly name: string;

  constructor(scope: Construct, id: string, props: AthenaWorkgroupProps) {
    super(scope, id);
    const { config } = props;
    this.name = resourceName(config, 'analytics');
    this.workgroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: this.name,
      description: `medallion-platform ${config.stage}: Gold views, quality gates and API queries`,
      state: 'ENABLED',
      recursiveDeleteOption: config.removalPolicy === 'destroy',
      workGroupConfiguration: {
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: config.athena.bytesScannedCutoffPerQuery,
        requesterPaysEnabled: false,
        resultConfiguration: {
          outputLocation: `s3://${props.resultsBucket.bucketName}/results/`,
          encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKey: props.encryptionKey.keyArn },
        },
      },
    });
  }
}
