import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { DatasetContract } from '../../lambdas/shared/contracts';
import { OPERATIONS_PREFIX } from '../../lambdas/shared/manifest';

export interface CheckPoliciesProps {
  /** The source contracts whose quality checks the state machine runs. */
  readonly contracts: readonly DatasetContract[];
  /** Names of the Glue databases the checks read (silver) and write to (operations). */
  readonly databases: { readonly silver: string; readonly ops: string };
  /** Athena workgroup the checks run in. */
  readonly workGroup: string;
  /** Bucket of the silver data the checks read. */
  readonly silverBucket: IBucket;
  /** Bucket Athena writes the checks' results to. */
  readonly resultsBucket: IBucket;
  /** Key of the silver and results buckets. */
  readonly encryptionKey: IKey;
}

/**
 * What the state machine needs to run a quality-check query with its own credentials: start it in the
 * workgroup, read the silver tables of the contracts and the run manifests (Glue and S3), write the result
 * under `results/`, and use the data key.
 */
export function checkQueryPolicies(scope: Construct, props: CheckPoliciesProps): iam.PolicyStatement[] {
  const stack = Stack.of(scope);
  const { databases } = props;
  return [
    new iam.PolicyStatement({
      actions: ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:StopQueryExecution'],
      resources: [stack.formatArn({ service: 'athena', resource: 'workgroup', resourceName: props.workGroup })],
    }),
    new iam.PolicyStatement({
      actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetPartition', 'glue:GetPartitions'],
      resources: [
        stack.formatArn({ service: 'glue', resource: 'catalog' }),
        stack.formatArn({ service: 'glue', resource: 'database', resourceName: databases.silver }),
        stack.formatArn({ service: 'glue', resource: 'database', resourceName: databases.ops }),
        ...props.contracts.map((c) => stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${databases.silver}/${c.name}` })),
        stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${databases.ops}/manifests` }),
      ],
    }),
    new iam.PolicyStatement({
      actions: ['s3:GetObject'],
      resources: [...props.contracts.map((c) => props.silverBucket.arnForObjects(`${c.name}/*`)), props.silverBucket.arnForObjects(`${OPERATIONS_PREFIX}manifests/*`)],
    }),
    new iam.PolicyStatement({ actions: ['s3:ListBucket', 's3:GetBucketLocation'], resources: [props.silverBucket.bucketArn, props.resultsBucket.bucketArn] }),
    new iam.PolicyStatement({
      actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
      resources: [props.resultsBucket.arnForObjects('results/*')],
    }),
    new iam.PolicyStatement({ actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [props.encryptionKey.keyArn] }),
  ];
}

/** What reading a check query's result needs: its rows (Athena), the result object, the data key. */
export function checkResultPolicies(scope: Construct, props: Pick<CheckPoliciesProps, 'workGroup' | 'resultsBucket' | 'encryptionKey'>): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({ actions: ['athena:GetQueryResults'], resources: [Stack.of(scope).formatArn({ service: 'athena', resource: 'workgroup', resourceName: props.workGroup })] }),
    new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [props.resultsBucket.arnForObjects('results/*')] }),
    new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [props.encryptionKey.keyArn] }),
  ];
}
