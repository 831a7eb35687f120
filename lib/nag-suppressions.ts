import type { Stack } from 'aws-cdk-lib';
import { NagSuppressions } from 'cdk-nag';

/** Id of the singleton Lambda that CDK adds to a stack to configure S3 bucket notifications. */
const BUCKET_NOTIFICATIONS_HANDLER = 'BucketNotificationsHandler050a0587b7544547bf325f094a3db834';

/**
 * cdk-nag AwsSolutions findings the platform accepts on purpose, each with its reason. Everything else
 * must pass: a new finding fails `cdk synth` and the nag test.
 */
export function applyNagSuppressions(stack: Stack): void {
  if (stack.node.tryFindChild(BUCKET_NOTIFICATIONS_HANDLER)) {
    NagSuppressions.addResourceSuppressionsByPath(stack, `/${stack.stackName}/${BUCKET_NOTIFICATIONS_HANDLER}/Role/Resource`, [
      {
        id: 'AwsSolutions-IAM4',
        reason:
          'CDK-provided handler that sets the bronze ObjectCreated notification at deploy time; its role has only AWSLambdaBasicExecutionRole (CloudWatch Logs) plus s3:PutBucketNotification on the bronze bucket, and the L2 API offers no way to swap the managed policy.',
        appliesTo: ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'],
      },
    ]);
  }
}
