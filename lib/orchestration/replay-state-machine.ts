import { Duration } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { PlatformFunction } from '../runtime/platform-function';
import { arnFinding } from '../nag-suppressions';
import type { PlatformData } from '../runtime/platform-data';
import { PLATFORM_FUNCTIONS } from '../runtime/function-code';
import { failurePath } from './alert-task';


export interface ReplayStateMachineProps {
  /** The contracts and Gold SQL folders synth read; the function's bundle carries exactly those files. */
  readonly data: PlatformData;
  /** Name of the state machine (`<prefix>-<stage>-replay`). */
  readonly stateMachineName: string;
  /** Bronze bucket: listed, never read (the transform reads the objects). */
  readonly bronzeBucket: IBucket;
  /** The bronze notification queue the transform consumes. */
  readonly queue: IQueue;
  /** Started (and awaited) for the replayed dates once the queue is drained. */
  readonly goldBuild: sfn.IStateMachine;
  /** Topic told when a replay fails. */
  readonly alertTopic: ITopic;
  /** @default 24 hours */
  readonly timeout?: Duration;
  /** How long to wait between two looks at the queue. @default 1 minute */
  readonly drainPollInterval?: Duration;
}

/**
 * The replay state machine, input `{dataset, prefix?}` or `{dataset, from, to}`: a Distributed Map over the
 * S3 listing of `<dataset>/<prefix>` in bronze re-sends every object (delivered in the window, if one is
 * given) to the bronze queue as an ObjectCreated notification, waits until the transform has drained the
 * queue, then runs gold-build for the replayed dates (or the latest data) and waits for it. The transform
 * derives file ids from bucket, key and ETag, so replaying twice rewrites the same objects.
 */
export class ReplayStateMachine extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly function: PlatformFunction;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ReplayStateMachineProps) {
    super(scope, id);
    this.function = new PlatformFunction(this, 'Function', {
      source: PLATFORM_FUNCTIONS.replay,
      description: 'replay: validates the request and re-sends listed bronze objects to the bronze queue',
      memorySize: 256,
      timeout: Duration.minutes(2),
      environment: { BRONZE_BUCKET: props.bronzeBucket.bucketName, BRONZE_QUEUE_URL: props.queue.queueUrl, CONTRACTS_DIR: '/var/task/contracts' },
      bundledData: { data: props.data, parts: ['contracts'] },
    });
    props.queue.grantSendMessages(this.function);

    const { start: failure, catchProps: catchAll } = failurePath(this, { topic: props.alertTopic, stateMachineName: props.stateMachineName, error: 'ReplayFailed', failId: 'ReplayFailed' });

    const plan = new tasks.LambdaInvoke(this, 'PlanReplay', {
      lambdaFunction: this.function,
      payloadResponseOnly: true,
      payload: sfn.TaskInput.fromObject({ action: 'plan', request: sfn.JsonPath.entirePayload }),
      resultPath: '$.plan',
      taskTimeout: sfn.Timeout.duration(Duration.seconds(60)),
    });
    plan.addCatch(failure, catchAll);

    const send = new tasks.LambdaInvoke(this, 'ResendObjects', {
      lambdaFunction: this.function,
      payloadResponseOnly: true,
      taskTimeout: sfn.Timeout.duration(Duration.minutes(3)),
    });
    send.addRetry({ errors: ['Error', 'Lambda.TooManyRequestsException'], interval: Duration.seconds(5), backoffRate: 2, maxAttempts: 3, jitterStrategy: sfn.JitterType.FULL });
    const listAndSend = new sfn.DistributedMap(this, 'ReplayObjects', {
      itemReader: new sfn.S3ObjectsItemReader({ bucket: props.bronzeBucket, prefix: sfn.JsonPath.stringAt('$.plan.prefix') }),
      // CDK passes BatchInput through as written: the path is spelled in ASL.
      itemBatcher: new sfn.ItemBatcher({ maxItemsPerBatch: 100, batchInput: { 'window.$': '$.plan.window' } }),
      maxConcurrency: 10,
      resultPath: sfn.JsonPath.DISCARD,
    });
    listAndSend.itemProcessor(send);
    listAndSend.addCatch(failure, catchAll);

    // The replayed notifications are processed asynchronously by the transform: Gold waits for an empty queue.
    const wait = new sfn.Wait(this, 'WaitForTransform', { time: sfn.WaitTime.duration(props.drainPollInterval ?? Duration.minutes(1)) });
    const depth = new tasks.CallAwsService(this, 'QueueDepth', {
      service: 'sqs',
      action: 'getQueueAttributes',
      parameters: { QueueUrl: props.queue.queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'] },
      iamResources: [props.queue.queueArn],
      iamAction: 'sqs:GetQueueAttributes',
      resultSelector: { attributes: sfn.JsonPath.objectAt('$.Attributes') },
      resultPath: '$.queue',
    });
    depth.addRetry({ errors: ['Sqs.SqsException', 'Sqs.RequestThrottledException'], interval: Duration.seconds(5), backoffRate: 2, maxAttempts: 3 });
    depth.addCatch(failure, catchAll);
    const startGold = new tasks.StepFunctionsStartExecution(this, 'RunGoldBuild', {
      stateMachine: props.goldBuild,
      integrationPattern: sfn.IntegrationPattern.RUN_JOB,
      input: sfn.TaskInput.fromJsonPathAt('$.plan.gold'),
      resultSelector: { status: sfn.JsonPath.stringAt('$.Status'), execution: sfn.JsonPath.stringAt('$.ExecutionArn') },
      resultPath: '$.goldBuild',
    });
    startGold.addCatch(failure, catchAll);
    const drained = sfn.Condition.and(
      sfn.Condition.stringEquals('$.queue.attributes.ApproximateNumberOfMessages', '0'),
      sfn.Condition.stringEquals('$.queue.attributes.ApproximateNumberOfMessagesNotVisible', '0'),
      sfn.Condition.stringEquals('$.queue.attributes.ApproximateNumberOfMessagesDelayed', '0'),
    );
    const waitLoop = wait.next(depth).next(new sfn.Choice(this, 'QueueDrained').when(drained, startGold.next(new sfn.Succeed(this, 'Replayed'))).otherwise(wait));

    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_MONTH });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: props.stateMachineName,
      comment: 'Re-sends bronze objects of a dataset (prefix or delivery dates) through the transform queue, then rebuilds Gold for those dates',
      definitionBody: sfn.DefinitionBody.fromChainable(plan.next(listAndSend).next(waitLoop)),
      timeout: props.timeout ?? Duration.hours(24),
      tracingEnabled: true,
      // Execution data stays off: object keys and request dates are all it would add.
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
    props.alertTopic.grantPublish(this.stateMachine);

    NagSuppressions.addResourceSuppressions(
      this,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'Describing and stopping the gold-build child execution and the Distributed Map child executions needs their execution ARNs (execution:<name>:*); publishing to the KMS-encrypted alert topic needs kms:GenerateDataKey*; Lambda invocations of the exact function with any version; X-Ray and log delivery need Resource *.',
          appliesTo: [
            'Action::kms:GenerateDataKey*', 'Action::kms:ReEncrypt*', 'Resource::*',
            { regex: '/^Resource::<.*Function[0-9A-F]{8}\\.Arn>:\\*$/g' },
            arnFinding('Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:.*'),
          ],
        },
      ],
      true,
    );
  }
}
