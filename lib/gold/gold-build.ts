import { join } from 'node:path';
import { Duration, Stack } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { loadGoldContracts } from '../../lambdas/shared/contracts';
import { publishedTableInput } from '../../lambdas/shared/gold';
import { cfnTableInput } from '../catalog/table-inputs';
import { PlatformFunction } from '../runtime/platform-function';
import { arnFinding } from '../nag-suppressions';
import type { PlatformData } from '../runtime/platform-data';
import { PLATFORM_FUNCTIONS } from '../runtime/function-code';


export interface GoldBuildProps {
  /** The contracts and Gold SQL folders synth read; the function's bundle carries exactly those files. */
  readonly data: PlatformData;
  /** Names of the Glue databases the builds read (silver, operations) and publish to (gold). */
  readonly databases: { readonly silver: string; readonly gold: string; readonly ops: string };
  /** Athena workgroup the build queries run in. */
  readonly workGroup: string;
  /** Bucket the builds are unloaded to and published from. */
  readonly goldBucket: IBucket;
  /** Bucket of the silver data the builds read. */
  readonly silverBucket: IBucket;
  /** Bucket Athena writes query results to. */
  readonly resultsBucket: IBucket;
  /** Key of the buckets the function reads and writes. */
  readonly encryptionKey: IKey;
}

/**
 * The materialized Gold build: a function that unloads a Gold dataset for an as-of date to a fresh build
 * prefix of the gold bucket and switches the `as_of` partition of `<dataset>_published` to it (atomic
 * publish), plus those published tables, generated from the Gold contracts.
 */
export class GoldBuild extends Construct {
  readonly function: PlatformFunction;
  readonly tables: glue.CfnTable[];

  constructor(scope: Construct, id: string, props: GoldBuildProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.tables = loadGoldContracts(join(props.data.contractsDir, 'gold')).map(
      (contract) =>
        new glue.CfnTable(this, `Published-${contract.name}`, {
          catalogId: stack.account,
          databaseName: props.databases.gold,
          tableInput: cfnTableInput(publishedTableInput(contract, props.goldBucket.bucketName)),
        }),
    );
    this.function = new PlatformFunction(this, 'Function', {
      source: PLATFORM_FUNCTIONS.goldBuild,
      description: 'Builds Gold datasets for an as-of date and publishes them atomically',
      timeout: Duration.minutes(15),
      memorySize: 512,
      environment: {
        GOLD_BUCKET: props.goldBucket.bucketName,
        SILVER_DATABASE: props.databases.silver,
        GOLD_DATABASE: props.databases.gold,
        OPS_DATABASE: props.databases.ops,
        WORKGROUP: props.workGroup,
        SQL_DIR: '/var/task/sql',
        CONTRACTS_DIR: '/var/task/contracts',
      },
      bundledData: { data: props.data, parts: ['contracts', 'gold-contracts', 'sql'] },
    });
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults'],
        resources: [stack.formatArn({ service: 'athena', resource: 'workgroup', resourceName: props.workGroup })],
      }),
    );
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetPartition', 'glue:GetPartitions', 'glue:UpdatePartition', 'glue:BatchCreatePartition'],
        resources: [
          stack.formatArn({ service: 'glue', resource: 'catalog' }),
          ...Object.values(props.databases).map((db) => stack.formatArn({ service: 'glue', resource: 'database', resourceName: db })),
          ...Object.values(props.databases).map((db) => stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${db}/*` })),
        ],
      }),
    );
    props.silverBucket.grantRead(this.function);
    props.goldBucket.grantReadWrite(this.function);
    props.resultsBucket.grantReadWrite(this.function);
    props.encryptionKey.grantEncryptDecrypt(this.function);
    NagSuppressions.addResourceSuppressions(
      this,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'Athena reads every silver and ops table and writes builds under any dataset/as_of/build prefix of the gold bucket (names known only at run time); actions are Glue reads plus partition updates in these databases, object access in exactly these buckets, and X-Ray (Resource *).',
          appliesTo: [
            'Action::s3:GetObject*', 'Action::s3:GetBucket*', 'Action::s3:List*', 'Action::s3:DeleteObject*', 'Action::s3:Abort*',
            'Action::kms:GenerateDataKey*', 'Action::kms:ReEncrypt*', 'Resource::*',
            { regex: '/^Resource::.*(Gold|Silver|AthenaResults)[0-9A-F]{8}.*\\/\\*$/g' },
            arnFinding('Resource::arn:<AWS::Partition>:glue:<AWS::Region>:<AWS::AccountId>:table\\/.*\\/\\*'),
          ],
        },
      ],
      true,
    );
  }
}
