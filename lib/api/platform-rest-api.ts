import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { PROBLEM_TYPE_BASE } from '../../lambdas/api/problem';
import { BINARY_MEDIA_TYPES, ROUTES, type RouteFunction } from '../../lambdas/api/routes';
import type { StageConfig } from '../config/stage-config';
import { resourceName } from '../naming';
import { exactArnFinding } from '../nag-suppressions';

export interface PlatformRestApiProps {
  /** The stage's settings: authorization, throttling, quota, CORS origins, names. */
  readonly config: StageConfig;
  /** The function serving each kind of route (`query`: GET routes, `ingest`: POST routes). */
  readonly functions: Readonly<Record<RouteFunction, IFunction>>;
  /** Access-log retention. @default one month */
  readonly accessLogRetention?: logs.RetentionDays;
}

/**
 * A gateway response as RFC 9457 problem+json, so that errors API Gateway raises itself look like the
 * handlers' own. `detail` is a fixed text, or a mapping variable already quoted by API Gateway
 * (`$context.error.messageString`); `status` is left out where API Gateway gives no variable for it.
 */
function problemTemplate(type: string, title: string, status: number | undefined, detail: string): string {
  const quotedDetail = detail.startsWith('$context.') ? detail : JSON.stringify(detail);
  return `{"type":${JSON.stringify(`${PROBLEM_TYPE_BASE}${type}`)},"title":${JSON.stringify(title)},${status === undefined ? '' : `"status":${status},`}"detail":${quotedDetail},"instance":"$context.path"}`;
}

/**
 * The REST API of the platform, generated from the route table (lambdas/api/routes.ts): one resource and
 * method per route with its declared request parameters validated by API Gateway, Lambda proxy
 * integrations, IAM (SigV4) authorization (or API keys of a usage plan, per stage config), stage
 * throttling, a usage plan with quota, JSON access logs to a log group of their own, X-Ray tracing,
 * CORS from the config, and problem+json gateway responses (429, 413, 504, other 4xx/5xx).
 */
export class PlatformRestApi extends Construct {
  readonly api: apigw.RestApi;
  readonly accessLogs: logs.LogGroup;
  readonly usagePlan: apigw.UsagePlan;
  readonly apiKey?: apigw.IApiKey;

  constructor(scope: Construct, id: string, props: PlatformRestApiProps) {
    super(scope, id);
    const { config } = props;
    const a = config.api;
    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: config.removalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });
    const iam = a.authorization === 'iam';
    const manageAccountRole = a.manageAccountCloudWatchRole ?? false;
    this.api = new apigw.RestApi(this, 'Api', {
      restApiName: resourceName(config, 'api'),
      description: `medallion-platform ${config.stage}: query Gold, ingest into bronze (routes of lambdas/api/routes.ts)`,
      endpointTypes: [apigw.EndpointType.REGIONAL],
      // Ingest bodies reach the function base64-encoded, byte for byte (not decoded as UTF-8 text on the way).
      binaryMediaTypes: [...BINARY_MEDIA_TYPES],
      // API Gateway writes access and execution logs through the role of the account's settings in the region,
      // an account-wide setting: this stage sets it only when its config opts in (else it must be set already).
      ...(manageAccountRole ? { cloudWatchRole: true, cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN } : { cloudWatchRole: false }),
      deployOptions: {
        stageName: config.stage,
        accessLogDestination: new apigw.LogGroupLogDestination(this.accessLogs),
        accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields({
          caller: true, httpMethod: true, ip: true, protocol: true, requestTime: true, resourcePath: true, responseLength: true, status: true, user: true,
        }),
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        metricsEnabled: true,
        tracingEnabled: true,
        throttlingRateLimit: a.throttleRateLimit,
        throttlingBurstLimit: a.throttleBurstLimit,
      },
      defaultMethodOptions: { authorizationType: iam ? apigw.AuthorizationType.IAM : apigw.AuthorizationType.NONE, apiKeyRequired: !iam },
      ...(a.corsAllowOrigins.length > 0
        ? {
            defaultCorsPreflightOptions: {
              allowOrigins: [...a.corsAllowOrigins],
              allowMethods: ['GET', 'POST', 'OPTIONS'],
              allowHeaders: ['Content-Type', 'Authorization', 'X-Amz-Date', 'X-Amz-Security-Token', 'X-Api-Key'],
              maxAge: Duration.hours(1),
            },
          }
        : {}),
    });
    // Parameters declared in the route table are checked by API Gateway; bodies (NDJSON, CSV) have no JSON
    // model to check against: the ingest function checks them against the contract.
    const validator = new apigw.RequestValidator(this, 'Validator', { restApi: this.api, validateRequestParameters: true, validateRequestBody: true });
    const integrations = {
      query: new apigw.LambdaIntegration(props.functions.query, { proxy: true, allowTestInvoke: false, timeout: Duration.seconds(29) }),
      ingest: new apigw.LambdaIntegration(props.functions.ingest, { proxy: true, allowTestInvoke: false, timeout: Duration.seconds(29) }),
    };
    for (const route of ROUTES) {
      const resource = this.api.root.resourceForPath(route.path);
      resource.addMethod(route.method, integrations[route.function], {
        operationName: route.operationId,
        requestValidator: validator,
        requestParameters: Object.fromEntries(route.parameters.map((p) => [`method.request.${p.in === 'path' ? 'path' : 'querystring'}.${p.name}`, p.required])),
      });
    }

    const cors: Record<string, string> = a.corsAllowOrigins.length > 0 ? { 'Access-Control-Allow-Origin': `'${a.corsAllowOrigins.includes('*') ? '*' : a.corsAllowOrigins[0]}'` } : {};
    const problem = (type: apigw.ResponseType, status: string | undefined, template: string, headers: Record<string, string> = {}) =>
      this.api.addGatewayResponse(`Problem${type.responseType}`, {
        type,
        ...(status ? { statusCode: status } : {}),
        responseHeaders: { 'Content-Type': "'application/problem+json'", ...cors, ...headers },
        templates: { 'application/json': template },
      });
    problem(apigw.ResponseType.THROTTLED, '429', problemTemplate('throttled', 'Too many requests', 429, 'the stage’s request rate or burst limit is exceeded; retry with exponential backoff'), { 'Retry-After': "'1'" });
    problem(apigw.ResponseType.QUOTA_EXCEEDED, '429', problemTemplate('quota-exceeded', 'Too many requests', 429, `the API key’s quota of ${a.quota.limit} requests per ${a.quota.period.toLowerCase()} is used up`));
    problem(apigw.ResponseType.REQUEST_TOO_LARGE, '413', problemTemplate('payload-too-large', 'Payload too large', 413, 'the body is larger than API Gateway accepts; for large files ask POST /v1/uploads/{dataset} for a presigned S3 PUT URL'));
    problem(apigw.ResponseType.INTEGRATION_TIMEOUT, '504', problemTemplate('integration-timeout', 'Gateway timeout', 504, 'the function did not answer within 29 s; retry, and report it if it persists'));
    problem(apigw.ResponseType.BAD_REQUEST_PARAMETERS, '400', problemTemplate('missing-parameter', 'Bad request', 400, '$context.error.messageString'));
    // Missing routes and credentials, denied access and other gateway errors keep their status.
    problem(apigw.ResponseType.DEFAULT_4XX, undefined, problemTemplate('gateway-error', 'Request refused by API Gateway', undefined, '$context.error.messageString'));
    problem(apigw.ResponseType.DEFAULT_5XX, undefined, problemTemplate('gateway-error', 'API Gateway error', undefined, '$context.error.messageString'));

    this.usagePlan = this.api.addUsagePlan('UsagePlan', {
      name: resourceName(config, 'api'),
      description: 'Stage throttling and the per-key quota of the stage config',
      throttle: { rateLimit: a.throttleRateLimit, burstLimit: a.throttleBurstLimit },
      quota: { limit: a.quota.limit, period: apigw.Period[a.quota.period] },
      apiStages: [{ api: this.api, stage: this.api.deploymentStage }],
    });
    if (!iam) {
      this.apiKey = this.api.addApiKey('ApiKey', { apiKeyName: resourceName(config, 'api-key'), description: 'API key of the stage usage plan' });
      this.usagePlan.addApiKey(this.apiKey);
    }

    NagSuppressions.addResourceSuppressions(
      this.api,
      [
        ...(manageAccountRole
          ? [
              {
                id: 'AwsSolutions-IAM4',
                reason:
                  'Only with api.manageAccountCloudWatchRole: the account-level role API Gateway writes access and execution logs through must create and write log groups of every API of the account and region, which is what the AWS managed policy AmazonAPIGatewayPushToCloudWatchLogs grants; API Gateway documents it as the way and offers no resource-scoped alternative.',
                appliesTo: [exactArnFinding('Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs')],
              },
            ]
          : []),
        {
          id: 'AwsSolutions-APIG3',
          reason:
            'No WAF web ACL: every method requires IAM (SigV4) authorization or an API key, requests are validated and throttled per stage and per key; a WAF is an account-level choice outside this project (attach one to the stage if the API is exposed to untrusted callers).',
        },
        {
          id: 'AwsSolutions-COG4',
          reason: 'Callers are AWS principals authorized by IAM (SigV4) policies on execute-api:Invoke (or API keys of the usage plan), not Cognito users.',
        },
        ...(iam
          ? []
          : [{ id: 'AwsSolutions-APIG4', reason: 'This stage authorizes with API keys of its usage plan (stage config api.authorization = api-key) instead of IAM; API Gateway checks the key on every route method.' }]),
      ],
      true,
    );
  }
}
