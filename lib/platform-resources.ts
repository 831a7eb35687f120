/**
 * What the platform's parts use of one another: resources (buckets, keys, queues, databases, functions),
 * never whole stacks. The platform's own stacks provide them (a `StorageStack` is a `PlatformStorage`), and
 * a team composing its own stacks can pass its own or imported resources instead.
 */
import { Stack } from 'aws-cdk-lib';
import type * as glue from 'aws-cdk-lib/aws-glue';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IConstruct } from 'constructs';

/** The platform's storage: its buckets, the key encrypting them, and the bronze notification queues. */
export interface PlatformStorage {
  /** The KMS key encrypting the buckets and queues. */
  readonly key: IKey;
  /** Raw files as delivered (PII in clear): immutable, versioned. */
  readonly bronze: IBucket;
  /** Typed, validated Parquet (PII hashed), and the run manifests under `_operations/`. */
  readonly silver: IBucket;
  /** The published Gold builds. */
  readonly gold: IBucket;
  /** Rejected rows and files, each with its reason. */
  readonly quarantine: IBucket;
  /** Athena query results. */
  readonly athenaResults: IBucket;
  /** Queue of bronze ObjectCreated notifications, consumed by the transform. */
  readonly bronzeQueue: IQueue;
  /** Dead-letter queue of `bronzeQueue`. */
  readonly bronzeDeadLetterQueue: IQueue;
}

/** The Glue databases of the platform, by layer. */
export type PlatformDatabases = Readonly<Record<'bronze' | 'silver' | 'gold' | 'ops', glue.CfnDatabase>>;

/** The platform's catalog: the Glue databases and the Athena workgroup every platform query runs in. */
export interface PlatformCatalog {
  /** The Glue databases (the silver and ops tables are created with them). */
  readonly databases: PlatformDatabases;
  /** The Athena workgroup: its name, and the construct that creates it. */
  readonly workgroup: IConstruct & { readonly name: string };
}

/**
 * Makes `stack` depend on the stacks that own `resources` (other stacks of the same app or stage), so that it
 * deploys after them. Call it before granting on those resources: with the dependency declared, a grant on a
 * resource of another stack is written into this stack's role policies, not into that resource's policy
 * (which would make the other stack depend on this one, a cycle).
 */
export function dependOnOwners(stack: Stack, ...resources: IConstruct[]): void {
  const owners = new Set(resources.map((r) => Stack.of(r)).filter((s) => s !== stack));
  for (const owner of owners) stack.addStackDependency(owner);
}
