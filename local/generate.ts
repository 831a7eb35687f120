import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';

export const VALUE_PROPS = ['cellphone_recharge', 'link_cobro', 'point', 'prepaid', 'send_money', 'transport', 'credits_consumer', 'virtual_card'];
const EVENT_TYPES = ['page_view', 'search', 'add_to_cart', 'checkout', 'purchase', 'login', 'logout'];
const COUNTRIES = ['AR', 'BR', 'CL', 'CO', 'MX', 'PE', 'UY'];
const DEVICES = ['mobile', 'desktop', 'tablet'];
const CURRENCIES = ['USD', 'ARS', 'BRL', 'MXN'];
/** Days of the value-proposition sources: four weeks, so three-week windows have history. */
const VP_DAYS = 28;
const VP_START = Date.UTC(2020, 10, 1);
const WEB_DAYS = 3;
const WEB_START = Date.UTC(2024, 2, 1);
const DAY_MS = 86_400_000;

export interface GenerateOptions {
  /** Prints to generate (other sources scale from it). @default 1000 */
  readonly rows?: number;
  /** PRNG seed: the same seed gives byte-identical files. @default 42 */
  readonly seed?: number;
  /** Inject realistic defects (bad types, invalid JSON, wrong column counts, BOM/CRLF, gzip, empty and duplicate files, an unknown dataset). */
  readonly dirty?: boolean;
}

export interface GeneratedFile {
  readonly path: string;
  readonly rows: number;
}

/** mulberry32: small, fast, seedable; good enough for sample data. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const isoDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** Buffered line writer that keeps memory flat for millions of rows. */
class LineFile {
  private readonly out;
  private buffer: string[] = [];
  rows = 0;
  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.out = createWriteStream(path);
  }
  async line(text: string, countsAsRow = true): Promise<void> {
    this.buffer.push(text);
    if (countsAsRow) this.rows++;
    if (this.buffer.length >= 5000) await this.flush();
  }
  private async flush(): Promise<void> {
    const chunk = `${this.buffer.join('\n')}\n`;
    this.buffer = [];
    if (!this.out.write(chunk)) await new Promise<void>((r) => this.out.once('drain', () => r()));
  }
  async close(): Promise<GeneratedFile> {
    if (this.buffer.length) await this.flush();
    await new Promise<void>((resolve, reject) => this.out.end((e?: Error | null) => (e ? reject(e) : resolve())));
    return { path: this.path, rows: this.rows };
  }
}

/** The example datasets `generate` writes files for: the sources of this repository's contracts/. */
export const EXAMPLE_DATASETS = ['events', 'pays', 'prints', 'taps', 'transactions', 'users'] as const;

/**
 * Checks that the project's source contracts define the example datasets `generate` writes.
 * @throws Error naming what is missing and what to do instead
 */
export function checkExampleDatasets(contractNames: readonly string[], contractsDir: string): void {
  const missing = EXAMPLE_DATASETS.filter((d) => !contractNames.includes(d));
  if (missing.length === 0) return;
  throw new Error(
    `generate writes sample files of the example datasets (${EXAMPLE_DATASETS.join(', ')}), but the contracts in ${contractsDir} do not define ${missing.join(', ')}. ` +
      `Put files of your own datasets under <input-dir>/<dataset>/ (e.g. <input-dir>/${contractNames[0] ?? '<dataset>'}/2026-11-01.csv) and run \`local run <input-dir>\`.`,
  );
}

/**
 * Writes sample source files for every shipped dataset in the layout `npm run local -- run` reads
 * (`<dir>/<dataset>/<file>`). Deterministic for a seed; scales from a few rows to millions.
 */
export async function generate(dir: string, options: GenerateOptions = {}): Promise<GeneratedFile[]> {
  const rows = options.rows ?? 1000;
  const rand = prng(options.seed ?? 42);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)];
  const dirty = options.dirty ?? false;
  const defect = (rate: number) => dirty && rand() < rate;
  const files: GeneratedFile[] = [];
  const users = Math.max(10, Math.floor(rows / 20));
  const perDay = Math.max(1, Math.floor(rows / VP_DAYS));

  for (let d = 0; d < VP_DAYS; d++) {
    const day = isoDay(VP_START + d * DAY_MS);
    const prints = new LineFile(join(dir, 'prints', `${day}.json`));
    const taps = new LineFile(join(dir, 'taps', `${day}.json`));
    const pays = new LineFile(join(dir, 'pays', `${day}.csv`));
    await pays.line('pay_date,total,user_id,value_prop', false);
    const count = d === VP_DAYS - 1 ? rows - perDay * (VP_DAYS - 1) : perDay;
    for (let i = 0; i < count; i++) {
      const user = 1 + Math.floor(rand() * users);
      const vp = pick(VALUE_PROPS);
      const print = { day, event_data: { position: Math.floor(rand() * 4), value_prop: vp }, user_id: user };
      const roll = dirty ? rand() : 1;
      if (roll < 0.01) await prints.line(`{"day":"${day}","event_data":{"position":0,"value_prop":"${vp}"},"user_id":`);
      else if (roll < 0.02) await prints.line(JSON.stringify({ ...print, user_id: `u${user}` }));
      else if (roll < 0.025) await prints.line(JSON.stringify({ day, event_data: { position: 1 }, user_id: user }));
      else await prints.line(JSON.stringify(print));
      if (i === 0 || rand() < 0.1) await taps.line(JSON.stringify({ day, event_data: { position: print.event_data.position, value_prop: vp }, user_id: user }));
      if (i === 0 || rand() < 0.03) {
        const total = (rand() * 200).toFixed(2);
        const payRoll = dirty ? rand() : 1;
        if (payRoll < 0.05) await pays.line(`${day},${total},${user}`);
        else if (payRoll < 0.1) await pays.line(`${day},-${total},${user},${vp}`);
        else await pays.line(`${day},${total},${user},${vp}`);
      }
    }
    files.push(await prints.close(), await taps.close(), await pays.close());
  }

  const userIds = Array.from({ length: users }, (_, i) => `u-${String(i + 1).padStart(4, '0')}`);
  const userFile = new LineFile(join(dir, 'users', `${isoDay(WEB_START)}.csv`));
  await userFile.line('user_id,email,country,device,signup_date,updated_at', false);
  for (const [i, id] of userIds.entries()) {
    if (i === 0) continue; // u-0001 never appears in the users extract: an unknown user for Gold
    const country = defect(0.02) ? 'Peru' : pick(COUNTRIES);
    await userFile.line(`${id},user${i + 1}@example.com,${country},${pick(DEVICES)},2023-${String(1 + Math.floor(rand() * 12)).padStart(2, '0')}-15,2024-02-28T08:00:00Z`);
  }
  files.push(await userFile.close());

  let eventSeq = 0;
  let txSeq = 0;
  const sessionsPerDay = Math.max(2, Math.floor(rows / 5 / WEB_DAYS));
  let previousEvent: string | undefined;
  for (let d = 0; d < WEB_DAYS; d++) {
    const day = WEB_START + d * DAY_MS;
    const events = new LineFile(join(dir, 'events', `${isoDay(day)}.json`));
    const transactions = new LineFile(join(dir, 'transactions', `${isoDay(day)}.csv`));
    await transactions.line('transaction_id,session_id,user_id,amount,currency,status,timestamp', false);
    for (let s = 0; s < sessionsPerDay; s++) {
      const session = `s-${d}-${String(s).padStart(5, '0')}`;
      const user = pick(userIds);
      let t = day + Math.floor(rand() * 20 * 3_600_000);
      const n = 2 + Math.floor(rand() * 5);
      let converted = false;
      for (let e = 0; e < n; e++) {
        t += Math.floor(rand() * 120_000);
        const type = e === 0 ? 'login' : pick(EVENT_TYPES);
        converted ||= type === 'purchase';
        const event = {
          event_id: `e-${(eventSeq++).toString(16).padStart(6, '0')}`,
          session_id: session,
          user_id: user,
          event_type: defect(0.01) ? 'hover' : type,
          timestamp: new Date(t).toISOString(),
          device: pick(DEVICES),
          properties: type === 'add_to_cart' ? { sku: `A-${Math.floor(rand() * 100)}`, qty: 1 + Math.floor(rand() * 3) } : {},
        };
        const line = JSON.stringify(event);
        await events.line(line);
        previousEvent = line;
      }
      if (converted || rand() < 0.1) {
        const status = converted ? 'completed' : pick(['failed', 'refunded']);
        const currency = defect(0.02) ? 'usd' : pick(CURRENCIES);
        await transactions.line(`t-${String(txSeq++).padStart(6, '0')},${session},${user},${(5 + rand() * 300).toFixed(2)},${currency},${status},${new Date(t + 60_000).toISOString()}`);
      }
    }
    // At-least-once delivery: the last event of the previous day arrives again.
    if (d > 0 && previousEvent && dirty) await events.line(previousEvent);
    files.push(await events.close(), await transactions.close());
  }

  if (dirty) {
    // A producer on Windows: BOM and CRLF.
    const windows = join(dir, 'events', `${isoDay(WEB_START + (WEB_DAYS - 1) * DAY_MS)}.json`);
    writeFileSync(windows, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(readFileSync(windows, 'utf8').replace(/\n/g, '\r\n'))]));
    // A compressed delivery, an empty one, a re-sent one and one for a dataset nobody declared.
    const lastTaps = join(dir, 'taps', `${isoDay(VP_START + (VP_DAYS - 1) * DAY_MS)}.json`);
    writeFileSync(`${lastTaps}.gz`, gzipSync(readFileSync(lastTaps)));
    const gzRows = files.find((f) => f.path === lastTaps)!.rows;
    writeFileSync(lastTaps, '');
    files.splice(files.findIndex((f) => f.path === lastTaps), 1, { path: `${lastTaps}.gz`, rows: gzRows }, { path: lastTaps, rows: 0 });
    const firstPrints = join(dir, 'prints', `${isoDay(VP_START)}.json`);
    const copy = join(dir, 'prints', `resent-${isoDay(VP_START)}.json`);
    writeFileSync(copy, readFileSync(firstPrints));
    files.push({ path: copy, rows: files.find((f) => f.path === firstPrints)!.rows });
    const unknown = join(dir, 'clicks', `${isoDay(VP_START)}.json`);
    mkdirSync(dirname(unknown), { recursive: true });
    writeFileSync(unknown, '{"day":"2020-11-01","user_id":1}\n');
    files.push({ path: unknown, rows: 1 });
  }
  return files.sort((a, b) => a.path.localeCompare(b.path));
}
