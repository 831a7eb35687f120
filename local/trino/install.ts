import { spawnSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';

/**
 * Trino, the engine of Athena engine v3, as a local reference engine: the server and the Hive connector
 * from Maven Central, verified against pinned SHA-256 digests and unpacked once into the user's cache
 * (shared by every checkout and CI run on the machine), run on a Java 24+ JDK.
 */
export const TRINO_VERSION = '476';

const MAVEN = process.env.MEDALLION_MAVEN_REPOSITORY ?? 'https://repo1.maven.org/maven2';

interface Artifact {
  readonly artifactId: string;
  readonly extension: 'tar.gz' | 'zip';
  readonly sha256: string;
  /** Where it is unpacked, relative to the Trino home. */
  readonly into: string;
}

/** Trino 476 ships without connectors: the server, and the Hive connector as a plugin (Glue metastore, S3). */
const ARTIFACTS: readonly Artifact[] = [
  { artifactId: 'trino-server-core', extension: 'tar.gz', sha256: '0f388f9967c177ae70a47c099082fc95387f0c3cb96d8000d1d41fc3a5223158', into: '.' },
  { artifactId: 'trino-hive', extension: 'zip', sha256: '611bacdb07d9f3cf7b9d47f97ecc76fa2e7ff8bfe8a9728c3d06adc1bfb8662e', into: 'plugin' },
];

/** `MEDALLION_CACHE_DIR`, else `$XDG_CACHE_HOME/medallion-platform`, else `~/.cache/medallion-platform`. */
export function cacheDir(): string {
  return process.env.MEDALLION_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'medallion-platform');
}

export interface TrinoInstallation {
  /** The Trino home: `bin/launcher`, `lib/`, `plugin/hive/`. */
  readonly home: string;
  /** A JDK that runs it (Java 24 or newer). */
  readonly javaHome: string;
}

function javaMajor(javaHome: string): number | undefined {
  const java = join(javaHome, 'bin', 'java');
  if (!existsSync(java)) return undefined;
  const out = spawnSync(java, ['-version'], { encoding: 'utf8' });
  const m = /version "(\d+)/.exec(`${out.stderr}${out.stdout}`);
  return m ? Number(m[1]) : undefined;
}

/**
 * A JDK for Trino: `TRINO_JAVA_HOME`, `JAVA_HOME`, or the newest under /usr/lib/jvm, whichever is Java 24+.
 * @throws Error naming what was checked and how to fix it
 */
export function findTrinoJava(): string {
  const jvmDir = '/usr/lib/jvm';
  const candidates = [
    process.env.TRINO_JAVA_HOME,
    process.env.JAVA_HOME,
    ...(existsSync(jvmDir) ? readdirSync(jvmDir).sort().reverse().map((d) => join(jvmDir, d)) : []),
  ].filter((c): c is string => Boolean(c));
  const checked: string[] = [];
  for (const home of candidates) {
    const major = javaMajor(home);
    checked.push(`${home} (${major === undefined ? 'no java' : `Java ${major}`})`);
    if (major !== undefined && major >= 24) return home;
  }
  throw new Error(
    `Trino ${TRINO_VERSION} needs Java 24 or newer, and none was found (checked: ${checked.join(', ') || 'nothing'}). ` +
      'Install a JDK 24+ (e.g. Temurin 25) and point TRINO_JAVA_HOME at it.',
  );
}

async function download(artifact: Artifact, file: string, log: (line: string) => void): Promise<void> {
  const url = `${MAVEN}/io/trino/${artifact.artifactId}/${TRINO_VERSION}/${artifact.artifactId}-${TRINO_VERSION}.${artifact.extension}`;
  log(`downloading ${url}`);
  const res = await fetch(url);
  if (!res.ok || !res.body) throw new Error(`could not download ${url}: HTTP ${res.status}. Trino is fetched from Maven Central once; set MEDALLION_MAVEN_REPOSITORY to a mirror if it is not reachable.`);
  const hash = createHash('sha256');
  const partial = `${file}.${randomUUID()}.part`;
  const body = Readable.fromWeb(res.body as WebReadableStream);
  body.on('data', (chunk: Buffer) => hash.update(chunk));
  await pipeline(body, createWriteStream(partial));
  const digest = hash.digest('hex');
  if (digest !== artifact.sha256) {
    rmSync(partial, { force: true });
    throw new Error(`${url} has SHA-256 ${digest}, expected ${artifact.sha256}: refusing to run it`);
  }
  renameSync(partial, file);
}

function run(command: string, args: readonly string[]): void {
  const out = spawnSync(command, args, { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${out.error?.message ?? out.stderr}`);
}

/**
 * The Trino installation, downloaded and unpacked on first use (about 450 MB, once per machine); later
 * calls return at once. Safe when several processes call it together: each unpacks into a folder of its
 * own and the first to finish publishes it.
 */
export async function ensureTrino(log: (line: string) => void = () => {}): Promise<TrinoInstallation> {
  const javaHome = findTrinoJava();
  const root = cacheDir();
  const home = join(root, `trino-${TRINO_VERSION}`);
  if (existsSync(join(home, '.complete'))) return { home, javaHome };
  const downloads = join(root, 'downloads');
  mkdirSync(downloads, { recursive: true });
  const staging = join(root, `.trino-${TRINO_VERSION}-${randomUUID()}`);
  try {
    mkdirSync(staging, { recursive: true });
    for (const artifact of ARTIFACTS) {
      const file = join(downloads, `${artifact.artifactId}-${TRINO_VERSION}.${artifact.extension}`);
      if (!existsSync(file)) await download(artifact, file, log);
      const target = join(staging, artifact.into);
      mkdirSync(target, { recursive: true });
      if (artifact.extension === 'tar.gz') run('tar', ['xzf', file, '-C', target, '--strip-components=1']);
      else run('unzip', ['-q', file, '-d', target]);
    }
    // The plugin zip unpacks to plugin/trino-hive-476: the connector is registered under its folder's name.
    renameSync(join(staging, 'plugin', `trino-hive-${TRINO_VERSION}`), join(staging, 'plugin', 'hive'));
    writeFileSync(join(staging, '.complete'), `${new Date().toISOString()}\n`);
    try {
      renameSync(staging, home);
    } catch (e) {
      // Another process published it first.
      if (!existsSync(join(home, '.complete'))) throw e;
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  log(`Trino ${TRINO_VERSION} installed in ${home}`);
  return { home, javaHome };
}
