import { Duration } from 'aws-cdk-lib';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';

/** SNS errors worth another try: throttling and SNS's own internal errors. */
const SNS_TRANSIENT_ERRORS = ['SNS.ThrottledException', 'SNS.InternalErrorException'];

/**
 * A state that e-mails an alert through the platform's alarm topic (the state's output is discarded), retried
 * on SNS throttling and internal errors. Shared by the gold-build and replay state machines.
 */
export function alertTask(scope: Construct, id: string, props: { readonly topic: ITopic; readonly subject: string; readonly message: sfn.TaskInput }): tasks.SnsPublish {
  const alert = new tasks.SnsPublish(scope, id, { topic: props.topic, subject: props.subject, message: props.message, resultPath: sfn.JsonPath.DISCARD });
  alert.addRetry({ errors: SNS_TRANSIENT_ERRORS, interval: Duration.seconds(2), backoffRate: 2, maxAttempts: 4 });
  return alert;
}

/** The message of a failed execution: its name, then the error and cause the catch put under `$.error`. */
export function failureMessage(stateMachineName: string): sfn.TaskInput {
  return sfn.TaskInput.fromText(
    sfn.JsonPath.format(`${stateMachineName} execution {} failed: {}: {}`, sfn.JsonPath.executionName, sfn.JsonPath.stringAt('$.error.Error'), sfn.JsonPath.stringAt('$.error.Cause')),
  );
}
