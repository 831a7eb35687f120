import { CustomResource, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import * as cr from 'aws-cdk-lib/custom-resources';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { goldDatasets, goldSqlText, renderGoldSql, type GoldDataset } from '../../lambdas/shared/gold';
import { datasetAsOfExpression } from '../../lambdas/shared/quality';
import { PlatformFunction } from '../runtime/platform-function';
import { PLATFORM_FUNCTIONS } from '../runtime/function-code';
import { arnFinding, exactArnFinding } from '../nag-suppressions';
import type { PlatformData } from '../runtime/platform-data';

export interface GoldViewsProps {
  /** The Gold SQL folder synth reads the views from. */
  readonly data: PlatformData;
  /** Names of the Glue databases the views read (silver, operations) and are created in (gold). */
  readonly databases: { readonly silver: string; readonly gold: string; readonly ops: string };
  /** Athena workgroup the view DDL runs in. */
  readonly workGroup: string;
  /** Athena results bucket of the workgroup, and the key encrypting it. */
  readonly resultsBucket: IBucket;
  /** Key of the results bucket and of the source buckets. */
  readonly encryptionKey: IKey;
  /** Buckets whose data the views read (silver for sources and run manifests). */
  readonly sourceBuckets: readonly IBucket[];
}


/**
 * Every Gold dataset of sql/gold as an Athena view in the gold database, created with CREATE OR REPLACE VIEW
 * through Athena at deploy time (so Athena validates the SQL), re-run when the SQL changes, dropped on
 * delete. Views are created in dependency order.
 */
export class GoldViews extends Construct {
  readonly views: Record<GoldDataset, CustomResource>;

  constructor(scope: Construct, id: string, props: GoldViewsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const handlerProps = { source: PLATFORM_FUNCTIONS.goldViews, timeout: Duration.minutes(1), memorySize: 256 };
    const onEvent = new PlatformFunction(this, 'OnEvent', { ...handlerProps, handler: 'onEvent', description: 'Starts the DDL of a Gold view in Athena' });
    const isComplete = new PlatformFunction(this, 'IsComplete', { ...handlerProps, handler: 'isComplete', description: 'Waits for the DDL of a Gold view' });
    const glueArn = (resource: string) => stack.formatArn({ service: 'glue', resource, resourceName: undefined, arnFormat: undefined });
    const glue = new iam.PolicyStatement({
      actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetTables', 'glue:CreateTable', 'glue:UpdateTable', 'glue:DeleteTable', 'glue:GetPartitions'],
      resources: [
        glueArn('catalog'),
        ...Object.values(props.databases).map((db) => stack.formatArn({ service: 'glue', resource: 'database', resourceName: db })),
        ...Object.values(props.databases).map((db) => stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${db}/*` })),
      ],
    });
    const athena = new iam.PolicyStatement({
      actions: ['athena:StartQueryExecution', 'athena:GetQueryExecution'],
      resources: [stack.formatArn({ service: 'athena', resource: 'workgroup', resourceName: props.workGroup })],
    });
    for (const fn of [onEvent, isComplete]) {
      fn.addToRolePolicy(athena);
      fn.addToRolePolicy(glue);
      props.resultsBucket.grantReadWrite(fn);
      for (const bucket of props.sourceBuckets) bucket.grantRead(fn);
      props.encryptionKey.grantEncryptDecrypt(fn);
    }
    const provider = new cr.Provider(this, 'Provider', {
      onEventHandler: onEvent,
      isCompleteHandler: isComplete,
      queryInterval: Duration.seconds(5),
      totalTimeout: Duration.minutes(10),
      disableWaiterStateMachineLogging: false,
      waiterStateMachineLogOptions: {
        destination: new logs.LogGroup(this, 'WaiterLogs', { retention: logs.RetentionDays.ONE_MONTH }),
        level: sfn.LogLevel.ALL,
        includeExecutionData: false,
      },
    });
    const views = {} as Record<GoldDataset, CustomResource>;
    let previous: CustomResource | undefined;
    for (const dataset of goldDatasets(props.data.sqlDir)) {
      const sql = renderGoldSql(goldSqlText(dataset, props.data.sqlDir), { ...props.databases, as_of: datasetAsOfExpression(dataset, props.databases.silver, undefined, props.data) });
      views[dataset] = new CustomResource(this, `View-${dataset}`, {
        serviceToken: provider.serviceToken,
        resourceType: 'Custom::GoldView',
        properties: { Database: props.databases.gold, ViewName: dataset, Sql: sql, WorkGroup: props.workGroup },
      });
      // One at a time, in dependency order: a view may read the views before it.
      if (previous) views[dataset].node.addDependency(previous);
      previous = views[dataset];
    }
    this.views = views;
    NagSuppressions.addResourceSuppressions(
      this,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'Views are created through Athena, which needs Glue access to every table of the silver, gold and ops databases (table/<db>/*) and object-level access to the results and source buckets; actions are limited to reads plus table DDL in these databases.',
          appliesTo: [
            'Action::s3:GetObject*', 'Action::s3:GetBucket*', 'Action::s3:List*', 'Action::s3:DeleteObject*', 'Action::s3:Abort*',
            'Action::kms:GenerateDataKey*', 'Action::kms:ReEncrypt*', 'Resource::*',
            { regex: '/^Resource::.*(AthenaResults|Silver)[0-9A-F]{8}.*\\/\\*$/g' },
            arnFinding('Resource::arn:<AWS::Partition>:glue:<AWS::Region>:<AWS::AccountId>:table\\/.*\\/\\*'),
            // The provider framework invokes any version of its own handlers.
            { regex: '/^Resource::<GoldViews(OnEvent|IsComplete|ProviderframeworkisComplete|ProviderframeworkonTimeout)[0-9A-F]{8}\\.Arn>:\\*$/g' },
          ],
        },
        { id: 'AwsSolutions-IAM4', reason: 'The CDK provider framework functions use AWSLambdaBasicExecutionRole for their logs; CDK offers no way to replace it.', appliesTo: [exactArnFinding('Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole')] },
        { id: 'AwsSolutions-SF2', reason: "The provider framework's waiter state machine offers no X-Ray option; it only polls isComplete every 5 seconds during deployments." },
        { id: 'AwsSolutions-L1', reason: 'The provider framework functions are created by CDK with the runtime it chooses; the platform functions themselves run Node.js 24.' },
      ],
      true,
    );
  }
}
