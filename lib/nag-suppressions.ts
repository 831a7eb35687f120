import type { Stack } from 'aws-cdk-lib';
import { NagSuppressions } from 'cdk-nag';

/** Id of the singleton Lambda that CDK adds to a stack to configure S3 bucket notifications. */
const BUCKET_NOTIFICATIONS_HANDLER = 'BucketNotificationsHandler050a0587b7544547bf325f094a3db834';

/** What CDK writes for an ARN part in an environment-agnostic stack, and what it writes with a concrete account and region. */
const ENVIRONMENT_PARTS: readonly (readonly [string, string])[] = [
  ['<AWS::Partition>', '(?:<AWS::Partition>|aws(?:-[a-z]+)*)'],
  ['<AWS::Region>', '(?:<AWS::Region>|[a-z]{2}(?:-[a-z]+)+-\\d+)'],
  ['<AWS::AccountId>', '(?:<AWS::AccountId>|\\d{12})'],
];

/**
 * A cdk-nag `appliesTo` entry for findings that name ARNs: `pattern` is a regular expression (anchored
 * here) written with CDK's placeholders `<AWS::Partition>`, `<AWS::Region>` and `<AWS::AccountId>`, and
 * matches both the environment-agnostic finding and the one of a stack with a concrete account and region
 * (`cdk synth` with credentials), where CDK writes the values themselves.
 */
export function arnFinding(pattern: string): { regex: string } {
  return { regex: `/^${ENVIRONMENT_PARTS.reduce((p, [placeholder, either]) => p.split(placeholder).join(either), pattern)}$/g` };
}

/** `arnFinding` for one exact finding, e.g. an AWS managed policy `Policy::arn:<AWS::Partition>:iam::aws:policy/…`. */
export function exactArnFinding(finding: string): { regex: string } {
  return arnFinding(finding.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));
}

/**
 * cdk-nag AwsSolutions findings the platform accepts on purpose, each with its reason. Everything else
 * must pass: a new finding fails `cdk synth` and the nag test.
 */
export function applyNagSuppressions(stack: Stack): void {
  // Found by construct, not by a path built from the stack name: inside a Stage the path differs.
  const role = stack.node.tryFindChild(BUCKET_NOTIFICATIONS_HANDLER)?.node.tryFindChild('Role')?.node.tryFindChild('Resource');
  if (role) {
    NagSuppressions.addResourceSuppressions(role, [
      {
        id: 'AwsSolutions-IAM4',
        reason:
          'CDK-provided handler that sets the bronze ObjectCreated notification at deploy time; its role has only AWSLambdaBasicExecutionRole (CloudWatch Logs) plus s3:PutBucketNotification on the bronze bucket, and the L2 API offers no way to swap the managed policy.',
        appliesTo: [exactArnFinding('Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole')],
      },
    ]);
  }
}
