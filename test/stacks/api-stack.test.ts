import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { ROUTES } from '../../lambdas/api/routes';
import { PlatformRestApi } from '../../lib/api/platform-rest-api';
import { STAGES } from '../../lib/config/stage-config';
import { resourcesOf, synthesizePlatform } from './platform-fixture';

const dev = synthesizePlatform('dev', { bundle: false });
const prod = synthesizePlatform('prod', { bundle: false });
const t = dev.apiTemplate;
const methods = Object.values(resourcesOf(t, 'AWS::ApiGateway::Method')).map((m) => m.Properties as any);
const routeMethods = methods.filter((m) => m.HttpMethod !== 'OPTIONS');

/** The path of an API Gateway resource id, walking its parents. */
function pathOf(resourceId: any): string {
  if (resourceId['Fn::GetAtt']) return '';
  const r = resourcesOf(t, 'AWS::ApiGateway::Resource')[resourceId.Ref].Properties as any;
  return `${pathOf(r.ParentId)}/${r.PathPart}`;
}

const policies = () => Object.entries(resourcesOf(t, 'AWS::IAM::Policy')).map(([id, p]) => ({ id, statements: (p.Properties.PolicyDocument as any).Statement as { Action: string | string[]; Resource: unknown; Effect: string }[] }));
const actionsOf = (fragment: string) =>
  policies()
    .filter((p) => p.id.includes(fragment))
    .flatMap((p) => p.statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])))
    .sort();

describe('api stack', () => {
  it('creates one method per route of the route table, with the function of the route', () => {
    expect(routeMethods.map((m) => `${m.HttpMethod} ${pathOf(m.ResourceId)}`).sort()).toEqual(ROUTES.map((r) => `${r.method} ${r.path}`).sort());
    for (const m of routeMethods) {
      const route = ROUTES.find((r) => r.method === m.HttpMethod && r.path === pathOf(m.ResourceId))!;
      expect(m.Integration.Type).toBe('AWS_PROXY');
      expect(m.Integration.TimeoutInMillis).toBe(29000);
      expect(JSON.stringify(m.Integration.Uri)).toContain(route.function === 'query' ? 'QueryFunction' : 'IngestFunction');
      expect(m.OperationName).toBe(route.operationId);
    }
  });

  it('passes ingest bodies to the function as binary (base64), byte for byte', () => {
    t.hasResourceProperties('AWS::ApiGateway::RestApi', { BinaryMediaTypes: ['application/x-ndjson', 'application/json', 'text/csv'] });
  });

  it('requires IAM (SigV4) on every route method by default; no API key', () => {
    for (const m of routeMethods) expect([m.AuthorizationType, m.ApiKeyRequired ?? false]).toEqual(['AWS_IAM', false]);
    t.resourceCountIs('AWS::ApiGateway::ApiKey', 0);
  });

  it('validates the declared request parameters of every route', () => {
    const validators = Object.values(resourcesOf(t, 'AWS::ApiGateway::RequestValidator')).map((v) => v.Properties);
    expect(validators).toEqual([expect.objectContaining({ ValidateRequestParameters: true, ValidateRequestBody: true })]);
    const rows = routeMethods.find((m) => pathOf(m.ResourceId) === '/v1/datasets/{name}/rows')!;
    expect(rows.RequestParameters).toEqual({ 'method.request.path.name': true, 'method.request.querystring.limit': false, 'method.request.querystring.orderBy': false, 'method.request.querystring.nextToken': false });
    for (const m of routeMethods) expect(m.RequestValidatorId).toBeDefined();
  });

  it('throttles the stage and the usage plan from the stage config, with a quota', () => {
    t.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'dev',
      TracingEnabled: true,
      MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100, LoggingLevel: 'ERROR', MetricsEnabled: true, HttpMethod: '*', ResourcePath: '/*' })],
    });
    t.hasResourceProperties('AWS::ApiGateway::UsagePlan', { Throttle: { RateLimit: 50, BurstLimit: 100 }, Quota: { Limit: 100000, Period: 'DAY' } });
    prod.apiTemplate.hasResourceProperties('AWS::ApiGateway::Stage', { MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 200, ThrottlingBurstLimit: 400 })] });
  });

  it('writes JSON access logs to a log group of its own', () => {
    const [logGroupId] = Object.keys(resourcesOf(t, 'AWS::Logs::LogGroup')).filter((id) => id.startsWith('HttpAccessLogs'));
    const [stage] = Object.values(resourcesOf(t, 'AWS::ApiGateway::Stage')).map((r) => r.Properties as any);
    expect(JSON.stringify(stage.AccessLogSetting.DestinationArn)).toContain(`{"Ref":"${logGroupId}"}`);
    expect(JSON.parse(stage.AccessLogSetting.Format)).toMatchObject({ requestId: '$context.requestId', ip: '$context.identity.sourceIp', caller: '$context.identity.caller', status: '$context.status' });
    t.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('changes no account-wide setting by default: no AWS::ApiGateway::Account, no role for it', () => {
    for (const template of [t, prod.apiTemplate]) {
      template.resourceCountIs('AWS::ApiGateway::Account', 0);
      expect(JSON.stringify(resourcesOf(template, 'AWS::IAM::Role'))).not.toContain('AmazonAPIGatewayPushToCloudWatchLogs');
    }
  });

  it('with api.manageAccountCloudWatchRole: sets the account CloudWatch role of API Gateway, kept on stack deletion', () => {
    const stack = new Stack(new App(), 'A');
    const fn = new lambda.Function(stack, 'F', { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler=1') });
    new PlatformRestApi(stack, 'Http', { config: { ...STAGES.dev, api: { ...STAGES.dev.api, manageAccountCloudWatchRole: true } }, functions: { query: fn, ingest: fn } });
    const a = Template.fromStack(stack);
    const accounts = Object.values(resourcesOf(a, 'AWS::ApiGateway::Account'));
    expect(accounts.map((r) => r.DeletionPolicy)).toEqual(['Retain']);
    const [roleId] = Object.entries(resourcesOf(a, 'AWS::IAM::Role')).find(([, r]) => JSON.stringify(r.Properties).includes('AmazonAPIGatewayPushToCloudWatchLogs'))!;
    expect(accounts[0].Properties).toEqual({ CloudWatchRoleArn: { 'Fn::GetAtt': [roleId, 'Arn'] } });
    // The stage's access logs are configured the same way in both cases.
    a.hasResourceProperties('AWS::ApiGateway::Stage', { AccessLogSetting: Match.objectLike({ DestinationArn: Match.anyValue() }) });
  });

  it('answers gateway errors as problem+json: 429 throttled and quota, 413 naming the upload route, 504', () => {
    const responses = Object.values(resourcesOf(t, 'AWS::ApiGateway::GatewayResponse')).map((r) => r.Properties as any);
    const byType = Object.fromEntries(responses.map((r) => [r.ResponseType, r]));
    expect(Object.keys(byType).sort()).toEqual(['BAD_REQUEST_PARAMETERS', 'DEFAULT_4XX', 'DEFAULT_5XX', 'INTEGRATION_TIMEOUT', 'QUOTA_EXCEEDED', 'REQUEST_TOO_LARGE', 'THROTTLED']);
    expect(byType.THROTTLED.StatusCode).toBe('429');
    expect(byType.THROTTLED.ResponseParameters['gatewayresponse.header.Content-Type']).toBe("'application/problem+json'");
    expect(JSON.parse(byType.REQUEST_TOO_LARGE.ResponseTemplates['application/json'].replace('$context.path', '/p'))).toEqual({
      type: 'urn:medallion:problem:payload-too-large',
      title: 'Payload too large',
      status: 413,
      detail: 'the body is larger than API Gateway accepts; for large files ask POST /v1/uploads/{dataset} for a presigned S3 PUT URL',
      instance: '/p',
    });
    expect(byType.INTEGRATION_TIMEOUT.StatusCode).toBe('504');
  });

  it('CORS follows the stage config: preflights for * on dev, none on prod', () => {
    expect(methods.filter((m) => m.HttpMethod === 'OPTIONS').length).toBeGreaterThan(0);
    const prodMethods = Object.values(resourcesOf(prod.apiTemplate, 'AWS::ApiGateway::Method')).map((m) => (m.Properties as any).HttpMethod);
    expect(prodMethods).not.toContain('OPTIONS');
  });

  it('least privilege: the query role reads Gold, operations data and Athena results in its workgroup; the ingest role only writes bronze', () => {
    const query = actionsOf('QueryFunctionRole');
    expect(query.filter((a) => a.startsWith('s3:')).every((a) => /^s3:(GetObject\*|GetBucket\*|List\*|DeleteObject\*|PutObject|PutObjectLegalHold|PutObjectRetention|PutObjectTagging|PutObjectVersionTagging|Abort\*)$/.test(a))).toBe(true);
    expect(query.filter((a) => a.startsWith('athena:'))).toEqual(['athena:GetQueryExecution', 'athena:GetQueryResults', 'athena:StartQueryExecution']);
    expect(query.filter((a) => a.startsWith('glue:'))).toEqual(['glue:GetDatabase', 'glue:GetPartition', 'glue:GetPartitions', 'glue:GetTable']);
    const statements = policies().filter((p) => p.id.includes('QueryFunctionRole')).flatMap((p) => p.statements);
    const s3Writes = statements.filter((s) => JSON.stringify(s.Action).includes('s3:PutObject'));
    expect(s3Writes.map((s) => JSON.stringify(s.Resource))).toEqual([expect.stringMatching(/AthenaResults.*\/results\/\*/)]);
    expect(JSON.stringify(statements.find((s) => JSON.stringify(s.Action).includes('athena:'))!.Resource)).toContain(':workgroup/medallion-dev-analytics');
    const glue = JSON.stringify(statements.find((s) => JSON.stringify(s.Action).includes('glue:'))!.Resource);
    expect(glue).toContain('medallion_dev_gold/*_published');
    expect(glue).toContain('medallion_dev_ops/manifests');
    expect(glue).not.toContain('silver');
    const objectResources = statements.flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource])).map((r) => JSON.stringify(r));
    expect(objectResources.filter((r) => r.includes('Silver') && r.includes('/'))).toEqual([expect.stringContaining('/_operations/*')]);
    const ingest = actionsOf('IngestFunctionRole');
    expect(ingest.filter((a) => a.startsWith('s3:'))).toEqual(['s3:Abort*', 's3:PutObject', 's3:PutObjectLegalHold', 's3:PutObjectRetention', 's3:PutObjectTagging', 's3:PutObjectVersionTagging']);
    expect(ingest.filter((a) => /^(athena|glue|secretsmanager):/.test(a))).toEqual([]);
    const ingestS3 = policies().filter((p) => p.id.includes('IngestFunctionRole')).flatMap((p) => p.statements).filter((s) => JSON.stringify(s.Action).includes('s3:'));
    for (const s of ingestS3) expect(JSON.stringify(s.Resource)).toMatch(/Bronze/);
  });

  it('runs the query function with the stage settings and contracts bundled next to it', () => {
    const fn = Object.values(resourcesOf(t, 'AWS::Lambda::Function')).find((f) => (f.Properties as any).Environment?.Variables?.GOLD_READ_FROM);
    expect((fn!.Properties as any).Environment.Variables).toMatchObject({
      WORKGROUP: 'medallion-dev-analytics', GOLD_DATABASE: 'medallion_dev_gold', OPS_DATABASE: 'medallion_dev_ops', GOLD_READ_FROM: 'published',
      RESULT_REUSE_MINUTES: '60', QUERY_TIMEOUT_MS: '20000', CORS_ALLOW_ORIGINS: '*', CONTRACTS_DIR: '/var/task/contracts',
    });
    expect((fn!.Properties as any).TracingConfig).toEqual({ Mode: 'Active' });
  });

  it('with authorization api-key: every route method requires an API key of the usage plan', () => {
    const stack = new Stack(new App(), 'K');
    const fn = new lambda.Function(stack, 'F', { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler=1') });
    new PlatformRestApi(stack, 'Http', { config: { ...STAGES.dev, api: { ...STAGES.dev.api, authorization: 'api-key' } }, functions: { query: fn, ingest: fn } });
    const k = Template.fromStack(stack);
    const ms = Object.values(resourcesOf(k, 'AWS::ApiGateway::Method')).map((m) => m.Properties as any).filter((m) => m.HttpMethod !== 'OPTIONS');
    expect(ms).toHaveLength(ROUTES.length);
    for (const m of ms) expect([m.AuthorizationType, m.ApiKeyRequired]).toEqual(['NONE', true]);
    k.resourceCountIs('AWS::ApiGateway::ApiKey', 1);
    k.resourceCountIs('AWS::ApiGateway::UsagePlanKey', 1);
  });
});
