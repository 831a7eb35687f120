import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../emulator';
import { ensureTrino } from './install';

/** A column of a Trino result: its name and type signature (`decimal(12, 2)`, `array(varchar)`, …). */
export interface TrinoColumn {
  readonly name: string;
  readonly type: string;
  readonly typeSignature: { readonly rawType: string; readonly arguments: readonly { readonly kind: string; readonly value: unknown }[] };
}

export interface TrinoResult {
  readonly columns: readonly TrinoColumn[];
  /** Values as Trino's client protocol sends them (JSON: numbers, strings, booleans, arrays, objects, null). */
  readonly rows: readonly (readonly unknown[])[];
}

/** An error Trino returned for a statement: its message and error name (`SYNTAX_ERROR`, `TYPE_MISMATCH`, …). */
export class TrinoQueryError extends Error {
  constructor(
    message: string,
    readonly errorName: string,
  ) {
    super(message);
  }
}

export interface TrinoSession {
  readonly catalog?: string;
  readonly schema?: string;
  /** Session properties, e.g. `{ 'aws_1.compression_codec': 'ZSTD' }`. */
  readonly properties?: Readonly<Record<string, string>>;
}

/** The connection settings of a Hive catalog over an AWS endpoint: Glue for the metastore, S3 for the files. */
export interface AwsCatalogSettings {
  /** Endpoint of the Glue API (the emulator's, or moto's beside LocalStack). */
  readonly glueEndpoint: string;
  /** Endpoint of the S3 API. */
  readonly s3Endpoint: string;
  readonly region: string;
}

/** A Trino server started by this process, on 127.0.0.1 only. */
export interface TrinoServer {
  readonly url: string;
  query(sql: string, session?: TrinoSession): Promise<TrinoResult>;
  /**
   * Creates (once) a Hive catalog reading the Glue catalog and S3 of an AWS endpoint, with Athena's
   * partition projection, as Athena's `AwsDataCatalog` does; returns its name.
   */
  awsCatalog(settings: AwsCatalogSettings): Promise<string>;
  close(): Promise<void>;
}

/** Runs one statement through Trino's client protocol (POST /v1/statement, then follow nextUri), in UTC as Athena does. */
export async function trinoQuery(url: string, sql: string, session: TrinoSession = {}): Promise<TrinoResult> {
  const headers: Record<string, string> = { 'X-Trino-User': 'medallion', 'X-Trino-Time-Zone': 'UTC', 'X-Trino-Source': 'medallion-local' };
  if (session.catalog) headers['X-Trino-Catalog'] = session.catalog;
  if (session.schema) headers['X-Trino-Schema'] = session.schema;
  const properties = Object.entries(session.properties ?? {});
  if (properties.length) headers['X-Trino-Session'] = properties.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join(',');
  let res = await fetch(`${url}/v1/statement`, { method: 'POST', headers, body: sql });
  let columns: TrinoColumn[] | undefined;
  const rows: unknown[][] = [];
  for (;;) {
    if (!res.ok) throw new TrinoQueryError(`Trino answered HTTP ${res.status}: ${(await res.text()).slice(0, 500)}`, 'HTTP_ERROR');
    const page = (await res.json()) as { columns?: TrinoColumn[]; data?: unknown[][]; nextUri?: string; error?: { message: string; errorName: string } };
    if (page.error) throw new TrinoQueryError(page.error.message, page.error.errorName);
    columns ??= page.columns;
    if (page.data) rows.push(...page.data);
    if (!page.nextUri) break;
    res = await fetch(page.nextUri, { headers });
  }
  return { columns: columns ?? [], rows };
}

/** The SQL string literal of a catalog property value. */
const quoted = (v: string): string => `'${v.replace(/'/g, "''")}'`;

/**
 * Starts Trino (installing it on first use) with dynamic catalogs, bound to 127.0.0.1, and waits until it
 * answers a real query (its /v1/info says "started" before it can run one). About 15–20 s.
 */
export async function startTrino(options: { log?: (line: string) => void; heap?: string; timeoutMs?: number } = {}): Promise<TrinoServer> {
  const { home, javaHome } = await ensureTrino(options.log);
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'medallion-trino-'));
  const etc = join(dir, 'etc');
  mkdirSync(etc);
  writeFileSync(
    join(etc, 'node.properties'),
    ['node.environment=medallion_local', `node.id=medallion-${port}`, `node.data-dir=${join(dir, 'data')}`, 'node.bind-ip=127.0.0.1', 'node.internal-address=127.0.0.1', ''].join('\n'),
  );
  writeFileSync(
    join(etc, 'config.properties'),
    [
      'coordinator=true',
      'node-scheduler.include-coordinator=true',
      `http-server.http.port=${port}`,
      `discovery.uri=http://127.0.0.1:${port}`,
      'catalog.management=dynamic',
      'catalog.store=memory',
      'query.max-memory=512MB',
      'query.max-memory-per-node=512MB',
      '',
    ].join('\n'),
  );
  // Small and quick to start: one node, serial GC, the C1 compiler only; UTC like Athena.
  writeFileSync(join(etc, 'jvm.config'), ['-server', `-Xmx${options.heap ?? '1G'}`, '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Duser.timezone=UTC', '-Djdk.attach.allowAttachSelf=true', ''].join('\n'));
  writeFileSync(join(etc, 'log.properties'), 'io.trino=WARN\nio.airlift=WARN\n');
  const child: ChildProcess = spawn(join(home, 'bin', 'launcher'), ['run', `--etc-dir=${etc}`, `--data-dir=${join(dir, 'data')}`], {
    env: { ...process.env, JAVA_HOME: javaHome, PATH: `${join(javaHome, 'bin')}:${process.env.PATH}` },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  const keep = (chunk: Buffer): void => void (output = (output + chunk.toString('utf8')).slice(-4000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.pid) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`Trino exited with code ${child.exitCode} before answering a query:\n${output}`);
    }
    try {
      await trinoQuery(url, 'SELECT 1');
      break;
    } catch {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`Trino did not answer a query on ${url} within ${(options.timeoutMs ?? 120_000) / 1000} s:\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  return connectTrino(url, stop);
}


/**
 * A Trino server at `url` (one this process started, or one shared by a test run through
 * `MEDALLION_TRINO_URL`); `close` stops it when this process owns it.
 */
export function connectTrino(url: string, close: () => Promise<void> = async () => {}): TrinoServer {
  const catalogs = new Map<string, Promise<string>>();
  return {
    url,
    query: (sql, session) => trinoQuery(url, sql, session),
    awsCatalog(settings) {
      const key = `${settings.glueEndpoint} ${settings.s3Endpoint} ${settings.region}`;
      let created = catalogs.get(key);
      if (!created) {
        // Named after its endpoints, so that processes sharing one server share the catalog of one emulator.
        const name = `aws_${createHash('sha256').update(key).digest('hex').slice(0, 12)}`;
        const properties: Record<string, string> = {
          'hive.metastore': 'glue',
          'hive.metastore.glue.region': settings.region,
          'hive.metastore.glue.endpoint-url': settings.glueEndpoint,
          'hive.metastore.glue.aws-access-key': 'test',
          'hive.metastore.glue.aws-secret-key': 'test',
          // Athena's partition projection, read from the Glue table's projection.* parameters.
          'hive.partition-projection-enabled': 'true',
          // UNLOAD is a CREATE TABLE AS with an external location, as Athena runs it.
          'hive.non-managed-table-writes-enabled': 'true',
          // Column statistics live in Glue APIs the emulators lack; Athena's UNLOAD writes none either.
          'hive.collect-column-statistics-on-write': 'false',
          'fs.native-s3.enabled': 'true',
          's3.endpoint': settings.s3Endpoint,
          's3.region': settings.region,
          's3.path-style-access': 'true',
          's3.aws-access-key': 'test',
          's3.aws-secret-key': 'test',
        };
        const withClause = Object.entries(properties).map(([k, v]) => `"${k}" = ${quoted(v)}`).join(', ');
        created = trinoQuery(url, `CREATE CATALOG ${name} USING hive WITH (${withClause})`).then(
          () => name,
          (e: unknown) => {
            if (e instanceof TrinoQueryError && /already exists/i.test(e.message)) return name;
            throw e;
          },
        );
        catalogs.set(key, created);
      }
      return created;
    },
    close,
  };
}
