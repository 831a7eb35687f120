/**
 * Turns synthesized CloudFormation templates into an architecture graph: the resources a reader cares about
 * (buckets, queues, functions, state machines, Glue databases, workgroups, APIs, alarms, …) as nodes, and the
 * relations the templates really express (S3 notifications, event source mappings, IAM grants, state machine
 * definitions, alarm actions, table locations, …) as edges. CDK plumbing (roles, policies, custom-resource
 * providers, auto-delete and notification handlers, log groups) never becomes a node; it is followed through
 * where it connects two real resources.
 *
 * Pure: no I/O, no CDK. Input is the templates (with `aws:cdk:path` metadata) of every stack of an app.
 */

/** A CloudFormation template, as far as this module reads it. */
export interface CfnTemplate {
  readonly Resources?: Record<string, CfnResource>;
  readonly Outputs?: Record<string, { readonly Value: unknown; readonly Export?: { readonly Name: unknown } }>;
}

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
}

export interface StackTemplate {
  /** CloudFormation stack name (also the construct id of the stack). */
  readonly stackName: string;
  /** Short name for titles and file names, e.g. `storage`. */
  readonly shortName: string;
  readonly template: CfnTemplate;
}

export type NodeKind =
  | 'bucket'
  | 'queue'
  | 'topic'
  | 'function'
  | 'stateMachine'
  | 'database'
  | 'tables'
  | 'workgroup'
  | 'alarm'
  | 'dashboard'
  | 'secret'
  | 'parameter'
  | 'key'
  | 'api'
  | 'rule'
  | 'custom'
  | 'external'
  | 'other';

export interface DiagramNode {
  /** Stable id: the construct path (without `/Resource`), or `external:<name>`. */
  readonly id: string;
  /** Stack the node belongs to; undefined for nodes outside the app (sources, consumers, e-mail). */
  readonly stack?: string;
  readonly kind: NodeKind;
  /** Short label from the construct ids. */
  readonly label: string;
  /** What it is, e.g. `S3 bucket`. */
  readonly caption: string;
}

/**
 * `data`: data moves along the edge (reads point from the resource to the reader, writes from the writer);
 * `trigger`: an event starts the target; `control`: one resource drives or configures another;
 * `catalog`: a catalog entry describes data; `config`: a name or address handed over in configuration;
 * `monitoring`: metrics and notifications; `encryption`, `logging`: only in the per-stack diagrams.
 */
export type EdgeKind = 'data' | 'trigger' | 'control' | 'catalog' | 'config' | 'monitoring' | 'encryption' | 'logging';

export interface DiagramEdge {
  readonly from: string;
  readonly to: string;
  readonly kind: EdgeKind;
  /** Sorted, distinct. */
  readonly labels: readonly string[];
  /** Data moves both ways (read and write). */
  readonly both: boolean;
}

export interface Architecture {
  /** Stacks in app order. */
  readonly stacks: readonly { readonly stackName: string; readonly shortName: string }[];
  /** Sorted by id. */
  readonly nodes: readonly DiagramNode[];
  /** Sorted by from, to. */
  readonly edges: readonly DiagramEdge[];
}

export interface ArchitectureOptions {
  /** Names of the source datasets; a `Sources` node feeds every bucket whose object notifications start processing. @default none */
  readonly sources?: readonly string[];
}

/** Resource types that become nodes; other types are plumbing unless unknown (see PLUMBING_TYPES). */
const NODE_TYPES: Record<string, { readonly kind: NodeKind; readonly caption: string }> = {
  'AWS::S3::Bucket': { kind: 'bucket', caption: 'S3 bucket' },
  'AWS::SQS::Queue': { kind: 'queue', caption: 'SQS queue' },
  'AWS::SNS::Topic': { kind: 'topic', caption: 'SNS topic' },
  'AWS::Lambda::Function': { kind: 'function', caption: 'Lambda function' },
  'AWS::StepFunctions::StateMachine': { kind: 'stateMachine', caption: 'Step Functions state machine' },
  'AWS::Glue::Database': { kind: 'database', caption: 'Glue database' },
  'AWS::Athena::WorkGroup': { kind: 'workgroup', caption: 'Athena workgroup' },
  'AWS::CloudWatch::Alarm': { kind: 'alarm', caption: 'CloudWatch alarm' },
  'AWS::CloudWatch::CompositeAlarm': { kind: 'alarm', caption: 'CloudWatch composite alarm' },
  'AWS::CloudWatch::Dashboard': { kind: 'dashboard', caption: 'CloudWatch dashboard' },
  'AWS::SecretsManager::Secret': { kind: 'secret', caption: 'Secrets Manager secret' },
  'AWS::SSM::Parameter': { kind: 'parameter', caption: 'SSM parameter' },
  'AWS::KMS::Key': { kind: 'key', caption: 'KMS key' },
  'AWS::ApiGateway::RestApi': { kind: 'api', caption: 'API Gateway REST API' },
  'AWS::ApiGatewayV2::Api': { kind: 'api', caption: 'API Gateway HTTP API' },
  'AWS::Events::Rule': { kind: 'rule', caption: 'EventBridge rule' },
  'AWS::Scheduler::Schedule': { kind: 'rule', caption: 'EventBridge schedule' },
};

/** Types that never become nodes: access control, wiring, deployment and logging plumbing. */
const PLUMBING_TYPES = new Set([
  'AWS::CDK::Metadata',
  'AWS::IAM::Role',
  'AWS::IAM::Policy',
  'AWS::IAM::ManagedPolicy',
  'AWS::IAM::InstanceProfile',
  'AWS::S3::BucketPolicy',
  'AWS::SQS::QueuePolicy',
  'AWS::SNS::TopicPolicy',
  'AWS::SNS::Subscription',
  'AWS::KMS::Alias',
  'AWS::Lambda::Permission',
  'AWS::Lambda::EventSourceMapping',
  'AWS::Lambda::Version',
  'AWS::Lambda::Alias',
  'AWS::Lambda::LayerVersion',
  'AWS::Logs::LogGroup',
  'AWS::Logs::LogStream',
  'AWS::Logs::ResourcePolicy',
  'AWS::Logs::SubscriptionFilter',
  'AWS::Logs::MetricFilter',
  'AWS::Glue::Partition',
  'AWS::SecretsManager::RotationSchedule',
  'AWS::SecretsManager::ResourcePolicy',
  'AWS::ApiGateway::Account',
  'AWS::ApiGateway::Deployment',
  'AWS::ApiGateway::Stage',
  'AWS::ApiGateway::Method',
  'AWS::ApiGateway::Resource',
  'AWS::ApiGateway::Model',
  'AWS::ApiGateway::RequestValidator',
  'AWS::ApiGateway::GatewayResponse',
  'AWS::ApiGateway::UsagePlan',
  'AWS::ApiGateway::UsagePlanKey',
  'AWS::ApiGateway::ApiKey',
  'AWS::ApiGateway::Authorizer',
  'AWS::ApiGatewayV2::Stage',
  'AWS::ApiGatewayV2::Route',
  'AWS::ApiGatewayV2::Integration',
  'AWS::ApiGatewayV2::Deployment',
  'AWS::ApiGatewayV2::Authorizer',
  'AWS::Events::EventBusPolicy',
  'AWS::Scheduler::ScheduleGroup',
]);

/** CDK's own custom resources: wiring or housekeeping, not architecture. */
const CDK_CUSTOM_TYPES = new Set([
  'Custom::S3BucketNotifications',
  'Custom::S3AutoDeleteObjects',
  'Custom::LogRetention',
  'Custom::AWS',
  'Custom::CDKBucketDeployment',
  'Custom::CrossRegionExportReader',
  'Custom::CrossRegionExportWriter',
  'Custom::VpcRestrictDefaultSG',
]);

/** Construct ids of CDK's custom-resource providers and singleton handlers. */
const CDK_INTERNAL_SEGMENT = /^(Custom::|AWS[0-9a-f]{32}$|BucketNotificationsHandler|LogRetention[0-9a-f]{32}$|framework-(onEvent|isComplete|onTimeout)$|waiter-state-machine$)/;

/** Property keys that hold prose or bookkeeping, never a relation. */
const IGNORED_KEYS = new Set(['Description', 'AlarmDescription', 'Tags', 'Code', 'Metadata', 'Handler', 'Runtime']);

/** How a reference found under a top-level property key reads as an edge. */
interface KeyRule {
  readonly kind: EdgeKind;
  readonly label: string;
  /** The edge points from the referenced resource to the referencing one. */
  readonly reverse?: boolean;
}

function keyRule(type: string, key: string): KeyRule {
  if (/kms|encrypt/i.test(key)) return { kind: 'encryption', label: 'KMS key' };
  if (/^Logging/.test(key) || key === 'LogGroup') return { kind: 'logging', label: type === 'AWS::S3::Bucket' ? 'access logs' : 'logs' };
  switch (key) {
    case 'RedrivePolicy':
    case 'DeadLetterQueue':
    case 'DeadLetterConfig':
      return { kind: 'data', label: 'dead letters' };
    case 'AlarmActions':
    case 'OKActions':
    case 'InsufficientDataActions':
      return { kind: 'monitoring', label: 'notifies' };
    case 'Dimensions':
    case 'Metrics':
    case 'AlarmRule':
    case 'DashboardBody':
      return { kind: 'monitoring', label: 'metrics', reverse: true };
    case 'DefinitionString':
    case 'Definition':
    case 'DefinitionSubstitutions':
      return { kind: 'control', label: 'calls' };
    case 'Targets':
    case 'Target':
      return { kind: 'trigger', label: 'triggers' };
    case 'EventPattern':
      return { kind: 'trigger', label: 'events', reverse: true };
    case 'Environment':
      return { kind: 'config', label: 'config' };
    case 'TableInput':
    case 'StorageDescriptor':
      return { kind: 'catalog', label: 'catalogued', reverse: true };
    case 'DatabaseName':
      return { kind: 'catalog', label: 'tables in' };
    case 'WorkGroupConfiguration':
      return { kind: 'data', label: 'query results' };
    default:
      return { kind: 'control', label: key.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase() };
  }
}

/** A resource of a stack, addressed across stacks. */
interface ResourceRef {
  readonly stack: string;
  readonly logicalId: string;
}

const refKey = (r: ResourceRef) => `${r.stack}\u0000${r.logicalId}`;

/** Name characters: a name only matches where it is not part of a longer name. */
const NAME_CHAR = /[A-Za-z0-9_-]/;

class Graph {
  private readonly byKey = new Map<string, { stack: StackTemplate; logicalId: string; resource: CfnResource; path: string }>();
  private readonly nodeOfKey = new Map<string, string>();
  private readonly internal = new Set<string>();
  private readonly nodes = new Map<string, DiagramNode>();
  private readonly edges = new Map<string, { from: string; to: string; kind: EdgeKind; labels: Set<string>; both: boolean }>();
  private readonly outputs = new Map<string, unknown>();
  private readonly exports = new Map<string, { stack: string; value: unknown }>();
  private readonly names: { name: string; ref: ResourceRef }[] = [];
  private readonly roleUsers = new Map<string, Set<string>>();

  constructor(private readonly stacks: readonly StackTemplate[]) {
    for (const stack of stacks) {
      for (const [logicalId, resource] of Object.entries(stack.template.Resources ?? {})) {
        const path = resourcePath(stack.stackName, logicalId, resource);
        this.byKey.set(refKey({ stack: stack.stackName, logicalId }), { stack, logicalId, resource, path });
      }
      for (const [name, output] of Object.entries(stack.template.Outputs ?? {})) {
        this.outputs.set(`${stack.stackName}\u0000${name}`, output.Value);
        if (output.Export && typeof output.Export.Name === 'string') this.exports.set(output.Export.Name, { stack: stack.stackName, value: output.Value });
      }
    }
  }

  build(options: ArchitectureOptions): Architecture {
    this.classify();
    for (const entry of this.entries()) this.relate(entry);
    for (const entry of this.entries()) this.connect(entry);
    this.addSources(options.sources ?? []);
    this.addConsumers();
    this.dropRedundantConfigEdges();
    this.mergeOpposingDataEdges();
    return {
      stacks: this.stacks.map((s) => ({ stackName: s.stackName, shortName: s.shortName })),
      nodes: [...this.nodes.values()].sort((a, b) => cmp(a.id, b.id)),
      edges: [...this.edges.values()]
        .map((e) => ({ from: e.from, to: e.to, kind: e.kind, labels: [...e.labels].sort(cmp), both: e.both }))
        .sort((a, b) => cmp(a.from, b.from) || cmp(a.to, b.to)),
    };
  }

  private entries() {
    return [...this.byKey.values()];
  }

  /** Decides which resources are nodes (or members of an aggregated node), which are internal plumbing. */
  private classify(): void {
    const tablesByGroup = new Map<string, string[]>();
    const customCounts = new Map<string, number>();
    for (const e of this.entries()) {
      const key = refKey({ stack: e.stack.stackName, logicalId: e.logicalId });
      const type = e.resource.Type;
      const segments = e.path.split('/');
      if (segments.some((s) => CDK_INTERNAL_SEGMENT.test(s)) || CDK_CUSTOM_TYPES.has(type)) {
        this.internal.add(key);
        continue;
      }
      if (PLUMBING_TYPES.has(type)) continue;
      if (type === 'AWS::Glue::Table') {
        const group = `${e.stack.stackName}\u0000${this.databaseOf(e.stack.stackName, e.resource.Properties?.DatabaseName)}`;
        tablesByGroup.set(group, [...(tablesByGroup.get(group) ?? []), key]);
        continue;
      }
      if (type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource') {
        const parent = segments.slice(0, -1).join('/') || e.stack.stackName;
        const id = `${parent}/${type}`;
        customCounts.set(id, (customCounts.get(id) ?? 0) + 1);
        this.nodes.set(id, { id, stack: e.stack.stackName, kind: 'custom', label: shortLabel(parent, e.stack.stackName), caption: `${type} ×${customCounts.get(id)}` });
        this.nodeOfKey.set(key, id);
        continue;
      }
      const known = NODE_TYPES[type];
      const node: DiagramNode = {
        id: e.path,
        stack: e.stack.stackName,
        kind: known?.kind ?? 'other',
        label: shortLabel(e.path, e.stack.stackName),
        caption: known?.caption ?? type.replace(/^AWS::/, '').replace(/::/g, ' '),
      };
      this.nodes.set(node.id, node);
      this.nodeOfKey.set(key, node.id);
      const name = this.physicalName(type, e.resource.Properties ?? {});
      if (name !== undefined) this.names.push({ name, ref: { stack: e.stack.stackName, logicalId: e.logicalId } });
    }
    // Glue tables join their database node when it is in the same stack, else form one node per database.
    for (const [group, keys] of [...tablesByGroup.entries()].sort(([a], [b]) => cmp(a, b))) {
      const [stackName, database] = group.split('\u0000');
      const db = this.names.find((n) => n.name === database && n.ref.stack === stackName);
      const dbNode = db && this.nodeOfKey.get(refKey(db.ref));
      if (dbNode) {
        const node = this.nodes.get(dbNode)!;
        this.nodes.set(dbNode, { ...node, caption: `${node.caption}, ${keys.length} table${keys.length === 1 ? '' : 's'}` });
        for (const k of keys) this.nodeOfKey.set(k, dbNode);
        continue;
      }
      const id = `${stackName}/tables:${database}`;
      this.nodes.set(id, { id, stack: stackName, kind: 'tables', label: `${database} tables`, caption: `Glue tables ×${keys.length}` });
      for (const k of keys) this.nodeOfKey.set(k, id);
    }
    // A name two resources share (a schedule named like its state machine) says nothing about either.
    const counts = new Map<string, number>();
    for (const n of this.names) counts.set(n.name, (counts.get(n.name) ?? 0) + 1);
    this.names.splice(0, this.names.length, ...this.names.filter((n) => counts.get(n.name) === 1));
    this.names.sort((a, b) => b.name.length - a.name.length || cmp(a.name, b.name));
  }

  private physicalName(type: string, props: Record<string, unknown>): string | undefined {
    const raw =
      type === 'AWS::Glue::Database'
        ? (props.DatabaseInput as Record<string, unknown> | undefined)?.Name
        : (props[`${type.split('::')[2]}Name`] ?? props.Name ?? props.FunctionName ?? props.AlarmName);
    if (raw === undefined) return undefined;
    const name = this.flatten(raw);
    // Short or one-word names ("events") would match ordinary words in SQL and definitions.
    return name.length >= 6 && /[-_]/.test(name) ? name : undefined;
  }

  /** The name of a Glue table's database: a literal, or the name of the database resource it refers to. */
  private databaseOf(stackName: string, value: unknown): string {
    const literal = this.literal(value);
    if (literal !== undefined) return literal;
    const ref = (value as { Ref?: unknown } | undefined)?.Ref;
    const db = typeof ref === 'string' ? this.byKey.get(refKey({ stack: stackName, logicalId: ref })) : undefined;
    const name = (db?.resource.Properties?.DatabaseInput as { Name?: unknown } | undefined)?.Name;
    return typeof name === 'string' ? name : this.flatten(value);
  }

  /** A string property's literal value, if it is one. */
  private literal(value: unknown): string | undefined {
    return typeof value === 'string' ? value : undefined;
  }

  /** An intrinsic as a string with placeholders, e.g. `medallion-dev-bronze-${AWS::AccountId}-${AWS::Region}`. */
  private flatten(value: unknown): string {
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    if (Array.isArray(value)) return value.map((v) => this.flatten(v)).join(',');
    if (value && typeof value === 'object') {
      const o = value as Record<string, unknown>;
      if ('Ref' in o) return `\${${String(o.Ref)}}`;
      if ('Fn::GetAtt' in o) return `\${${Array.isArray(o['Fn::GetAtt']) ? (o['Fn::GetAtt'] as unknown[]).join('.') : String(o['Fn::GetAtt'])}}`;
      if ('Fn::Join' in o) {
        const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
        return Array.isArray(parts) ? parts.map((p) => this.flatten(p)).join(sep) : '${?}';
      }
      if ('Fn::Sub' in o) return this.flatten(Array.isArray(o['Fn::Sub']) ? (o['Fn::Sub'] as unknown[])[0] : o['Fn::Sub']);
      if ('Fn::GetStackOutput' in o || 'Fn::ImportValue' in o) return '${import}';
    }
    return '${?}';
  }

  /** Every resource a property value refers to: Ref, GetAtt, cross-stack outputs and imports, and physical names in strings. */
  private resolve(value: unknown, stackName: string, out: ResourceRef[] = []): ResourceRef[] {
    if (typeof value === 'string') {
      this.matchNames(value, out);
      return out;
    }
    if (Array.isArray(value)) {
      for (const v of value) this.resolve(v, stackName, out);
      return out;
    }
    if (!value || typeof value !== 'object') return out;
    const o = value as Record<string, unknown>;
    if (typeof o.Ref === 'string') {
      if (!o.Ref.startsWith('AWS::')) out.push({ stack: stackName, logicalId: o.Ref });
      return out;
    }
    if ('Fn::GetAtt' in o) {
      const att = o['Fn::GetAtt'];
      const id = Array.isArray(att) ? att[0] : typeof att === 'string' ? att.split('.')[0] : undefined;
      if (typeof id === 'string') out.push({ stack: stackName, logicalId: id });
      return out;
    }
    if ('Fn::GetStackOutput' in o) {
      const spec = o['Fn::GetStackOutput'] as Record<string, unknown>;
      const producer = this.literal(spec.StackName);
      const outputName = this.literal(spec.OutputName);
      const v = producer && outputName ? this.outputs.get(`${producer}\u0000${outputName}`) : undefined;
      if (producer && v !== undefined) this.resolve(v, producer, out);
      return out;
    }
    if ('Fn::ImportValue' in o) {
      const exported = this.exports.get(this.flatten(o['Fn::ImportValue']));
      if (exported) this.resolve(exported.value, exported.stack, out);
      return out;
    }
    if ('Fn::Join' in o || 'Fn::Sub' in o) {
      this.matchNames(this.flatten(o), out);
      const inner = 'Fn::Join' in o ? o['Fn::Join'] : o['Fn::Sub'];
      if ('Fn::Sub' in o && typeof inner === 'string') {
        for (const m of inner.matchAll(/\$\{([A-Za-z0-9]+)(\.[A-Za-z0-9.]+)?\}/g)) out.push({ stack: stackName, logicalId: m[1] });
      }
      // Parts of a join are resolved one by one: literal pieces carry no whole name, refs do.
      const parts = Array.isArray(inner) ? (inner as unknown[]).slice(1) : [];
      for (const p of parts) this.resolveNonString(p, stackName, out);
      return out;
    }
    for (const [k, v] of Object.entries(o)) if (!IGNORED_KEYS.has(k)) this.resolve(v, stackName, out);
    return out;
  }

  private resolveNonString(value: unknown, stackName: string, out: ResourceRef[]): void {
    if (Array.isArray(value)) for (const v of value) this.resolveNonString(v, stackName, out);
    else if (value && typeof value === 'object') this.resolve(value, stackName, out);
  }

  private matchNames(text: string, out: ResourceRef[]): void {
    for (const { name, ref } of this.names) {
      let at = text.indexOf(name);
      while (at >= 0) {
        const before = at === 0 ? '' : text[at - 1];
        const after = text[at + name.length] ?? '';
        if (!NAME_CHAR.test(before) && !NAME_CHAR.test(after)) {
          out.push(ref);
          break;
        }
        at = text.indexOf(name, at + 1);
      }
    }
  }

  /** Direct references of a node's properties, by top-level key; also records which nodes use which roles. */
  private relate(e: { stack: StackTemplate; logicalId: string; resource: CfnResource }): void {
    const from = this.nodeOfKey.get(refKey({ stack: e.stack.stackName, logicalId: e.logicalId }));
    if (!from) return;
    const props = e.resource.Properties ?? {};
    for (const [key, value] of Object.entries(props)) {
      if (IGNORED_KEYS.has(key)) continue;
      const rule = keyRule(e.resource.Type, key);
      for (const ref of this.resolve(value, e.stack.stackName)) {
        const target = this.byKey.get(refKey(ref));
        if (target?.resource.Type === 'AWS::IAM::Role') {
          // A role named in a resource policy (a KMS key policy granting it use) is a principal, not this node's own role.
          if (/Policy/.test(key)) continue;
          const users = this.roleUsers.get(refKey(ref)) ?? new Set<string>();
          users.add(from);
          this.roleUsers.set(refKey(ref), users);
          continue;
        }
        if (key === 'ServiceToken') {
          for (const provider of this.providersBehind(ref)) this.addEdge(from, provider, 'control', 'provider');
          continue;
        }
        const to = this.nodeOfKey.get(refKey(ref));
        if (!to || to === from) continue;
        // A KMS key named anywhere in a property (a workgroup's result encryption) encrypts; it holds no data.
        if (this.nodes.get(to)?.kind === 'key' && rule.kind !== 'encryption') this.addEdge(from, to, 'encryption', 'KMS key');
        else if (rule.reverse) this.addEdge(to, from, rule.kind, rule.label);
        else this.addEdge(from, to, rule.kind, rule.label);
      }
    }
  }

  /** The functions and state machines a custom resource's service token leads to, through CDK's provider plumbing. */
  private providersBehind(start: ResourceRef): string[] {
    const found = new Set<string>();
    const seen = new Set<string>();
    const queue = [start];
    while (queue.length > 0) {
      const ref = queue.shift()!;
      const key = refKey(ref);
      if (seen.has(key)) continue;
      seen.add(key);
      const node = this.nodeOfKey.get(key);
      if (node) {
        if (this.nodes.get(node)?.kind === 'function' || this.nodes.get(node)?.kind === 'stateMachine') found.add(node);
        continue;
      }
      const entry = this.byKey.get(key);
      if (!entry || !this.internal.has(key)) continue;
      queue.push(...this.resolve(entry.resource.Properties ?? {}, ref.stack));
    }
    return [...found].sort(cmp);
  }

  /** Edges expressed by connector resources: IAM policies, event source mappings, notifications, subscriptions, permissions, API integrations. */
  private connect(e: { stack: StackTemplate; logicalId: string; resource: CfnResource }): void {
    const props = e.resource.Properties ?? {};
    const stackName = e.stack.stackName;
    const nodesOf = (value: unknown) => [...new Set(this.resolve(value, stackName).map((r) => this.nodeOfKey.get(refKey(r))).filter((n): n is string => !!n))].sort(cmp);
    switch (e.resource.Type) {
      case 'AWS::IAM::Policy':
      case 'AWS::IAM::ManagedPolicy':
        this.grant(this.resolve(props.Roles ?? [], stackName), props.PolicyDocument, stackName);
        return;
      case 'AWS::IAM::Role':
        for (const p of (props.Policies as { PolicyDocument?: unknown }[] | undefined) ?? []) this.grant([{ stack: stackName, logicalId: e.logicalId }], p.PolicyDocument, stackName);
        return;
      case 'AWS::Lambda::EventSourceMapping':
        for (const source of nodesOf(props.EventSourceArn)) for (const fn of nodesOf(props.FunctionName)) this.addEdge(source, fn, 'trigger', 'event source');
        return;
      case 'Custom::S3BucketNotifications': {
        const config = (props.NotificationConfiguration ?? {}) as Record<string, { Events?: string[] }[] | undefined>;
        for (const bucket of nodesOf(props.BucketName)) {
          for (const kind of ['QueueConfigurations', 'LambdaFunctionConfigurations', 'TopicConfigurations']) {
            for (const c of config[kind] ?? []) {
              const label = [...new Set((c.Events ?? []).map((ev) => ev.replace(/^s3:/, '').replace(/:\*$/, '')))].sort(cmp).join(', ') || 'notification';
              for (const target of nodesOf(c)) this.addEdge(bucket, target, 'trigger', label);
            }
          }
        }
        return;
      }
      case 'AWS::SNS::Subscription': {
        const protocol = this.literal(props.Protocol) ?? 'subscription';
        const targets = nodesOf(props.Endpoint);
        if (targets.length === 0 && (protocol === 'email' || protocol === 'email-json' || protocol === 'sms')) {
          targets.push(this.external('external:subscribers', 'Subscribers', protocol === 'sms' ? 'SMS' : 'e-mail'));
        }
        for (const topic of nodesOf(props.TopicArn)) for (const t of targets) this.addEdge(topic, t, 'monitoring', protocol);
        return;
      }
      case 'AWS::Lambda::Permission':
        for (const source of nodesOf(props.SourceArn)) for (const fn of nodesOf(props.FunctionName)) this.addEdge(source, fn, 'trigger', 'invokes');
        return;
      case 'AWS::ApiGateway::Method': {
        for (const api of nodesOf(props.RestApiId)) for (const t of nodesOf(props.Integration)) this.addEdge(api, t, 'trigger', 'integration');
        return;
      }
      case 'AWS::ApiGatewayV2::Integration': {
        for (const api of nodesOf(props.ApiId)) for (const t of nodesOf(props.IntegrationUri)) this.addEdge(api, t, 'trigger', 'integration');
        return;
      }
      default:
        return;
    }
  }

  /** IAM statements as access edges from the nodes that use the roles to the resources they name. */
  private grant(roles: ResourceRef[], document: unknown, stackName: string): void {
    const principals = [...new Set(roles.flatMap((r) => [...(this.roleUsers.get(refKey(r)) ?? [])]))].sort(cmp);
    if (principals.length === 0) return;
    const statements = ((document as { Statement?: unknown[] } | undefined)?.Statement ?? []) as Record<string, unknown>[];
    const access = new Map<string, Set<Access>>();
    for (const s of statements) {
      if (s.Effect !== 'Allow') continue;
      const actions = ([] as unknown[]).concat(s.Action ?? []).filter((a): a is string => typeof a === 'string');
      const kinds = new Set(actions.map(classifyAction).filter((a): a is Access => a !== undefined));
      if (kinds.size === 0) continue;
      for (const ref of this.resolve(s.Resource ?? [], stackName)) {
        const node = this.nodeOfKey.get(refKey(ref));
        if (!node) continue;
        const set = access.get(node) ?? new Set<Access>();
        for (const k of kinds) set.add(k);
        access.set(node, set);
      }
    }
    for (const principal of principals) {
      for (const [resource, kinds] of [...access.entries()].sort(([a], [b]) => cmp(a, b))) {
        if (resource === principal) continue;
        const kind: EdgeKind = this.nodes.get(resource)?.kind === 'key' ? 'encryption' : 'data';
        const label = ACCESS_ORDER.filter((a) => kinds.has(a)).join('/');
        const reads = [...kinds].some((k) => READS.has(k));
        const writes = [...kinds].some((k) => !READS.has(k));
        if (writes) this.addEdge(principal, resource, kind, label, reads);
        else this.addEdge(resource, principal, kind, label);
      }
    }
  }

  private external(id: string, label: string, caption: string): string {
    if (!this.nodes.has(id)) this.nodes.set(id, { id, kind: 'external', label, caption });
    return id;
  }

  /** Sources land in every bucket whose object notifications start processing. */
  private addSources(sources: readonly string[]): void {
    if (sources.length === 0) return;
    const landing = [...this.edges.values()].filter((e) => e.kind === 'trigger' && this.nodes.get(e.from)?.kind === 'bucket').map((e) => e.from);
    if (landing.length === 0) return;
    const id = this.external('external:sources', 'Sources', [...sources].sort(cmp).join(', '));
    for (const bucket of [...new Set(landing)].sort(cmp)) this.addEdge(id, bucket, 'data', 'files');
  }

  /** Analysts and applications read through every Athena workgroup (SQL) and API (HTTP). */
  private addConsumers(): void {
    const entries = [...this.nodes.values()]
      .filter((n) => n.kind === 'workgroup' || n.kind === 'api')
      .sort((a, b) => cmp(a.id, b.id));
    if (entries.length === 0) return;
    const id = this.external('external:consumers', 'Consumers', 'analysts, applications');
    for (const n of entries) this.addEdge(n.id, id, 'data', n.kind === 'api' ? 'HTTP' : 'SQL');
  }

  /**
   * A name handed over in configuration, or a reference in a definition, says less than a grant or an event
   * between the same two nodes.
   */
  private dropRedundantConfigEdges(): void {
    const weak = (e: { kind: EdgeKind; labels: Set<string> }) => e.kind === 'config' || (e.kind === 'control' && !e.labels.has('provider'));
    for (const [key, e] of [...this.edges.entries()]) {
      if (!weak(e)) continue;
      const other = [...this.edges.values()].some((o) => o !== e && !weak(o) && ((o.from === e.from && o.to === e.to) || (o.from === e.to && o.to === e.from)));
      if (other) this.edges.delete(key);
    }
  }

  private addEdge(from: string, to: string, kind: EdgeKind, label: string, both = false): void {
    if (from === to) return;
    const key = `${from}\u0000${to}\u0000${kind}`;
    const e = this.edges.get(key) ?? { from, to, kind, labels: new Set<string>(), both: false };
    for (const l of label.split('/')) if (l) e.labels.add(l);
    e.both = e.both || both;
    this.edges.set(key, e);
  }

  /** A read and a write of the same resource by the same node are one two-way edge from the writer. */
  private mergeOpposingDataEdges(): void {
    for (const [key, e] of [...this.edges.entries()].sort(([a], [b]) => cmp(a, b))) {
      if (e.kind !== 'data' || !this.edges.has(key)) continue;
      const reverseKey = `${e.to}\u0000${e.from}\u0000data`;
      const reverse = this.edges.get(reverseKey);
      if (!reverse) continue;
      const onlyReads = (x: typeof e) => [...x.labels].every((l) => READS.has(l as Access));
      const [keep, drop, dropKey] = onlyReads(e) && !onlyReads(reverse) ? [reverse, e, key] : [e, reverse, reverseKey];
      for (const l of drop.labels) keep.labels.add(l);
      keep.both = true;
      this.edges.delete(dropKey);
    }
    // An event source's consumer also holds grants on it: one edge with both.
    for (const [key, e] of [...this.edges.entries()]) {
      const trigger = e.kind === 'data' ? this.edges.get(`${e.from}\u0000${e.to}\u0000trigger`) : undefined;
      if (!trigger) continue;
      for (const l of e.labels) trigger.labels.add(l);
      this.edges.delete(key);
    }
  }
}

type Access = 'read' | 'consume' | 'write' | 'send' | 'query' | 'invoke' | 'start' | 'encrypt' | 'decrypt';
/** Access that moves data from the resource to the principal. */
const READS = new Set<Access>(['read', 'consume', 'decrypt']);
const ACCESS_ORDER: readonly Access[] = ['read', 'consume', 'write', 'send', 'query', 'invoke', 'start', 'decrypt', 'encrypt'];

/** What an IAM action does to its resource, for an edge label; undefined for actions that add nothing (X-Ray, logs). */
function classifyAction(action: string): Access | undefined {
  const [service, verb = ''] = action.split(':');
  if (service === 'xray' || service === 'logs' || action === '*') return undefined;
  if (service === 'kms') return /^(Decrypt|DescribeKey)$/.test(verb) ? 'decrypt' : /^(Encrypt|GenerateDataKey|ReEncrypt)/.test(verb) ? 'encrypt' : undefined;
  if (service === 'sqs') return /^(ReceiveMessage|DeleteMessage|ChangeMessageVisibility)/.test(verb) ? 'consume' : /^SendMessage/.test(verb) ? 'send' : undefined;
  if (service === 'sns' && /^Publish/.test(verb)) return 'send';
  if (service === 'athena') return /Query/.test(verb) ? 'query' : undefined;
  if (service === 'lambda' && /^Invoke/.test(verb)) return 'invoke';
  if (service === 'states' && /^(StartExecution|StartSyncExecution)$/.test(verb)) return 'start';
  if (/^(Get|List|Describe|Head|Select|BatchGet|Query|Scan|Search|Receive)/.test(verb)) return 'read';
  if (/^(Put|Create|Update|Delete|Abort|Batch|Restore|Replicate|Write|Copy|Tag|Untag|Start|Stop)/.test(verb)) return 'write';
  return undefined;
}

/** The construct path of a resource without its trailing `Resource`/`Default`, or the stack and logical id when the template has no path metadata. */
function resourcePath(stackName: string, logicalId: string, resource: CfnResource): string {
  const path = resource.Metadata?.['aws:cdk:path'];
  if (typeof path !== 'string') return `${stackName}/${logicalId}`;
  return path.replace(/(\/(Resource|Default))+$/, '');
}

/** A label from construct ids: the path inside the stack. */
function shortLabel(path: string, stackName: string): string {
  const inside = path.startsWith(`${stackName}/`) ? path.slice(stackName.length + 1) : path;
  return inside || stackName;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Builds the architecture graph of an app from the templates of all its stacks (in app order). */
export function buildArchitecture(stacks: readonly StackTemplate[], options: ArchitectureOptions = {}): Architecture {
  return new Graph(stacks).build(options);
}
