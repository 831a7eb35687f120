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

/** The failure path of a platform state machine, and how its tasks catch into it. */
export interface FailurePath {
  /** The first state of the path: every task and Map state catches into it. */
  readonly start: sfn.IChainable;
  /** The catch every task and Map state uses: any error, kept under `$.error` for the alert and the Fail state. */
  readonly catchProps: sfn.CatchProps;
}

/**
 * The failure path shared by the gold-build and replay state machines: alert through the platform's topic,
 * then (gold-build) record the run, then fail with `error` and the caught cause. A failing alert still
 * records, a failing record still fails: the execution always ends in `error`, never in the alert's error.
 */
export function failurePath(
  scope: Construct,
  props: { readonly topic: ITopic; readonly stateMachineName: string; readonly error: string; readonly failId: string; readonly record?: sfn.TaskStateBase },
): FailurePath {
  const failed = new sfn.Fail(scope, props.failId, { error: props.error, causePath: sfn.JsonPath.stringAt('$.error.Cause') });
  props.record?.addCatch(failed, { resultPath: '$.recordError' });
  const notify = alertTask(scope, 'NotifyFailure', { topic: props.topic, subject: `${props.stateMachineName} failed`, message: failureMessage(props.stateMachineName) });
  notify.addCatch(props.record ?? failed, { resultPath: '$.notifyError' });
  const start = props.record ? notify.next(props.record).next(failed) : notify.next(failed);
  return { start, catchProps: { errors: [sfn.Errors.ALL], resultPath: '$.error' } };
}
