import type * as iam from 'aws-cdk-lib/aws-iam';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';

/**
 * The policies CDK attaches to its Athena tasks allow `s3:GetObject` and `s3:CreateBucket` on every
 * bucket, Glue table DDL on the whole database and `athena:GetQueryResults` on `*`. These two subclasses
 * render the same task states but grant exactly the statements given: the platform passes the workgroup,
 * the tables and the bucket prefixes a check query reads.
 */
export interface ScopedTaskProps {
  /** Every statement the state machine role needs for this task. */
  readonly policies: iam.PolicyStatement[];
}

export class ScopedAthenaStartQueryExecution extends tasks.AthenaStartQueryExecution {
  protected override readonly taskPolicies: iam.PolicyStatement[];

  constructor(scope: Construct, id: string, props: tasks.AthenaStartQueryExecutionProps & ScopedTaskProps) {
    super(scope, id, props);
    this.taskPolicies = props.policies;
  }
}

export class ScopedAthenaGetQueryResults extends tasks.AthenaGetQueryResults {
  protected override readonly taskPolicies: iam.PolicyStatement[];

  constructor(scope: Construct, id: string, props: tasks.AthenaGetQueryResultsProps & ScopedTaskProps) {
    super(scope, id, props);
    this.taskPolicies = props.policies;
  }
}
