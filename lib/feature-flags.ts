import type { Stack } from 'aws-cdk-lib';
import flags from './feature-flags.json';

/**
 * The CDK feature flags the platform is built and tested with (the `context` of this repository's cdk.json,
 * which a test keeps equal to feature-flags.json). Several change what a construct renders, or whether it
 * synthesizes at all (without `@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy` the access-log bucket asks
 * for an ACL that its bucket-owner-enforced ownership refuses).
 */
export const PLATFORM_FEATURE_FLAGS: Readonly<Record<string, unknown>> = flags;

/**
 * Sets the platform's feature flags on one of its stacks (before any child exists), so the templates it
 * renders are the tested ones whatever flags the app that contains it sets or leaves out.
 */
export function pinFeatureFlags(stack: Stack): void {
  for (const [key, value] of Object.entries(PLATFORM_FEATURE_FLAGS)) stack.node.setContext(key, value);
}
