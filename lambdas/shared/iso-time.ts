/**
 * Strict ISO-8601 dates and timestamps: a regular expression for the shape, then range checks of every
 * field. JavaScript's `Date` is never trusted to validate: it rolls impossible dates over
 * (`2024-02-31` becomes March 2) and reads `24:00` as midnight of the next day.
 *
 * The platform's rule: a timestamp carries `Z` or an offset (`±HH:MM`, at most ±18:00); a timestamp
 * without a zone is refused, never guessed to be UTC or local time.
 */

/** A parse result: the value, or why it is not one (a short clause, e.g. `2024-02 has 29 days`). */
export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason?: string };

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** Date, `T`, HH:MM[:SS[.fraction]], then optionally Z or ±HH:MM (a missing zone is detected to say so). */
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?$/;

/** Largest offset from UTC, in minutes (ISO-8601 / java.time allow ±18:00). */
export const MAX_OFFSET_MINUTES = 18 * 60;

const isLeap = (year: number) => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;

/** Days in a month (1-12) of a year. */
export function daysInMonth(year: number, month: number): number {
  return [31, isLeap(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

function checkDate(y: string, m: string, d: string): string | undefined {
  const year = Number(y);
  const month = Number(m);
  const day = Number(d);
  if (month < 1 || month > 12) return `month ${m} does not exist`;
  if (day < 1) return `day ${d} does not exist`;
  if (day > daysInMonth(year, month)) return `${y}-${m} has ${daysInMonth(year, month)} days`;
  return undefined;
}

/** A calendar date `YYYY-MM-DD` (years 0000-9999), checked field by field. */
export function parseIsoDate(text: string): Parsed<string> {
  const m = DATE.exec(text);
  if (!m) return { ok: false };
  const reason = checkDate(m[1], m[2], m[3]);
  return reason ? { ok: false, reason } : { ok: true, value: text };
}

/**
 * An instant `YYYY-MM-DDTHH:MM[:SS[.fraction]](Z|±HH:MM)` as its UTC ISO text
 * `YYYY-MM-DDTHH:MM:SS.sssZ` (fractions beyond milliseconds are truncated, as Athena's `timestamp` keeps
 * milliseconds). Refused: impossible fields (month 13, Feb 30, hour 24, minute or second 60), offsets beyond
 * ±18:00, a missing zone, and instants outside years 0000-9999 once converted to UTC.
 */
export function parseIsoTimestamp(text: string): Parsed<string> {
  const m = TIMESTAMP.exec(text);
  if (!m) return { ok: false };
  const [, y, mo, d, h, mi, s = '00', fraction = '', zone] = m;
  const reason =
    checkDate(y, mo, d) ??
    (Number(h) > 23 ? `hour ${h} does not exist${h === '24' ? ' (write 00:00 of the next day)' : ''}` : undefined) ??
    (Number(mi) > 59 ? `minute ${mi} does not exist` : undefined) ??
    (Number(s) > 59 ? `second ${s} does not exist${s === '60' ? ' (leap seconds are not accepted)' : ''}` : undefined) ??
    (zone === undefined ? 'it has no time zone; add Z (UTC) or an offset such as +02:00' : undefined);
  if (reason) return { ok: false, reason };
  let offsetMinutes = 0;
  if (zone !== 'Z') {
    const [oh, om] = zone.slice(1).split(':').map(Number);
    if (om > 59) return { ok: false, reason: `offset ${zone} has minute ${pad(om)}` };
    offsetMinutes = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om);
    if (Math.abs(offsetMinutes) > MAX_OFFSET_MINUTES) return { ok: false, reason: `offset ${zone} is beyond ±18:00` };
  }
  // setUTCFullYear, unlike Date.UTC, does not map years 0-99 to 1900-1999.
  const instant = new Date(0);
  instant.setUTCFullYear(Number(y), Number(mo) - 1, Number(d));
  instant.setUTCHours(Number(h), Number(mi) - offsetMinutes, Number(s), Number(fraction.padEnd(3, '0').slice(0, 3)));
  const year = instant.getUTCFullYear();
  if (year < 0) return { ok: false, reason: 'in UTC it falls before year 0000' };
  if (year > 9999) return { ok: false, reason: 'in UTC it falls after year 9999' };
  const value = `${pad(year, 4)}-${pad(instant.getUTCMonth() + 1)}-${pad(instant.getUTCDate())}T${pad(instant.getUTCHours())}:${pad(instant.getUTCMinutes())}:${pad(instant.getUTCSeconds())}.${pad(instant.getUTCMilliseconds(), 3)}Z`;
  return { ok: true, value };
}
