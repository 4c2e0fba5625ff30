// Exact text forms of the Arrow types that have no JSON equivalent. The same functions serve the
// Arrow IPC reader (raw buffers) and the Parquet decoder (raw physical values), so a value reads the
// same whichever file it came from, and equals pyarrow's `cast(string)` up to ISO punctuation:
//   timestamp[unit, tz]  "2023-11-14T17:13:20.123456789-05:00" (fraction digits of the unit; no offset when naive)
//   date32 / date64      "2023-11-14"
//   time32 / time64      "17:13:20.123" (fraction digits of the unit)
//   duration[unit]       integer count of the unit (the unit is in the column type)
//   decimal128 / 256     exact decimal text, e.g. "-4445.15" (scale digits kept: "0.00")
// No Node-only APIs: the webview may format values too.

export type TimeUnit = 's' | 'ms' | 'us' | 'ns';

/** What a column's leaves need to turn raw physical values into their exact form. */
export type ValueSpec =
  | { kind: 'plain' }
  | { kind: 'timestamp'; unit: TimeUnit; tz: string | null }
  | { kind: 'date'; unit: 'day' | 'ms' }
  | { kind: 'time'; unit: TimeUnit }
  | { kind: 'duration'; unit: TimeUnit }
  | { kind: 'decimal'; scale: number }
  | { kind: 'list'; item: ValueSpec }
  | { kind: 'struct'; fields: Record<string, ValueSpec> };

export const PLAIN: ValueSpec = { kind: 'plain' };

const PER_SECOND: Record<TimeUnit, bigint> = { s: 1n, ms: 1000n, us: 1000000n, ns: 1000000000n };
const DIGITS: Record<TimeUnit, number> = { s: 0, ms: 3, us: 6, ns: 9 };

function pad(n: number | bigint, width: number): string {
  const s = String(n);
  return s.length >= width ? s : '0'.repeat(width - s.length) + s;
}

/** Proleptic Gregorian civil date of a day count since 1970-01-01 (H. Hinnant's algorithm). */
export function civilFromDays(days: number): { y: number; m: number; d: number } {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return { y: era * 400 + yoe + (m <= 2 ? 1 : 0), m, d };
}

function yearText(y: number): string {
  return y < 0 ? `-${pad(-y, 4)}` : pad(y, 4);
}

export function formatDate(days: number): string {
  const { y, m, d } = civilFromDays(days);
  return `${yearText(y)}-${pad(m, 2)}-${pad(d, 2)}`;
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

function clockText(secOfDay: number, frac: bigint, unit: TimeUnit): string {
  const h = Math.floor(secOfDay / 3600);
  const mi = Math.floor((secOfDay % 3600) / 60);
  const s = secOfDay % 60;
  const digits = DIGITS[unit];
  return `${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}${digits ? '.' + pad(frac, digits) : ''}`;
}

const offsetCache = new Map<string, Intl.DateTimeFormat | null>();

/** UTC offset in seconds of time zone `tz` at the instant `epochSeconds`. */
export function tzOffsetSeconds(tz: string, epochSeconds: number): number {
  const fixed = /^([+-])(\d{2}):?(\d{2})$/.exec(tz);
  if (fixed) return (fixed[1] === '-' ? -1 : 1) * (Number(fixed[2]) * 3600 + Number(fixed[3]) * 60);
  if (tz === 'UTC' || tz === 'Z' || tz === 'Etc/UTC' || tz === 'utc') return 0;
  let fmt = offsetCache.get(tz);
  if (fmt === undefined) {
    try {
      fmt = new Intl.DateTimeFormat('en-US', {
        timeZone: tz,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
        era: 'short',
      });
    } catch {
      fmt = null;
    }
    offsetCache.set(tz, fmt);
  }
  if (!fmt) return 0;
  const ms = epochSeconds * 1000;
  if (!(Math.abs(ms) <= 8.64e15)) return 0;
  const p: Record<string, string> = {};
  for (const part of fmt.formatToParts(new Date(ms))) p[part.type] = part.value;
  let year = Number(p.year);
  if (p.era === 'BC' || p.era === 'B') year = 1 - year;
  const local = Date.UTC(year, Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second));
  // Date.UTC maps years 0..99 to 1900+: correct through setUTCFullYear.
  const d = new Date(local);
  d.setUTCFullYear(year);
  return Math.round((d.getTime() - ms) / 1000);
}

function offsetText(sec: number): string {
  const sign = sec < 0 ? '-' : '+';
  const a = Math.abs(sec);
  return `${sign}${pad(Math.floor(a / 3600), 2)}:${pad(Math.floor((a % 3600) / 60), 2)}`;
}

export function formatTimestamp(value: bigint, unit: TimeUnit, tz: string | null): string {
  const per = PER_SECOND[unit];
  const secs = floorDiv(value, per);
  const frac = value - secs * per;
  let local = Number(secs);
  let suffix = '';
  if (tz) {
    const off = tzOffsetSeconds(tz, local);
    local += off;
    suffix = offsetText(off);
  }
  const days = Math.floor(local / 86400);
  return `${formatDate(days)}T${clockText(local - days * 86400, frac, unit)}${suffix}`;
}

export function formatTime(value: bigint, unit: TimeUnit): string {
  const per = PER_SECOND[unit];
  const secs = floorDiv(value, per);
  return clockText(Number(secs), value - secs * per, unit);
}

/** Unscaled integer and scale → exact decimal text ("-4445.15", "0.00", scale < 0: trailing zeros). */
export function formatDecimal(unscaled: bigint, scale: number): string {
  const neg = unscaled < 0n;
  let digits = (neg ? -unscaled : unscaled).toString();
  if (scale <= 0) return (neg ? '-' : '') + (digits === '0' ? '0' : digits + '0'.repeat(-scale));
  if (digits.length <= scale) digits = '0'.repeat(scale - digits.length + 1) + digits;
  return `${neg ? '-' : ''}${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
}

/** Two's-complement big-endian bytes (Parquet FIXED_LEN_BYTE_ARRAY / BYTE_ARRAY decimals) → bigint. */
export function bigEndianSigned(bytes: Uint8Array): bigint {
  if (!bytes.length) return 0n;
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  const bits = BigInt(bytes.length * 8);
  return bytes[0] & 0x80 ? v - (1n << bits) : v;
}

/** Little-endian 32-bit words (apache-arrow's Decimal storage) → signed bigint. */
export function littleEndianWords(words: Uint32Array, start: number, count: number): bigint {
  let v = 0n;
  for (let k = count - 1; k >= 0; k--) v = (v << 32n) | BigInt(words[start + k]);
  const bits = BigInt(count * 32);
  return words[start + count - 1] & 0x80000000 ? v - (1n << bits) : v;
}

function asBig(x: unknown): bigint | undefined {
  if (typeof x === 'bigint') return x;
  if (typeof x === 'number' && Number.isInteger(x)) return BigInt(x);
  return undefined;
}

/**
 * A raw physical value (number / bigint / bytes, or nested arrays and objects of them) → its exact form
 * per `spec`. Used by the Parquet decoder, which hands out physical values for these types.
 */
export function applySpec(x: unknown, spec: ValueSpec): unknown {
  if (x === null || x === undefined || spec.kind === 'plain') return x;
  switch (spec.kind) {
    case 'list':
      return Array.isArray(x) || (ArrayBuffer.isView(x) && !(x instanceof DataView))
        ? Array.from(x as ArrayLike<unknown>, (e) => applySpec(e, spec.item))
        : x;
    case 'struct': {
      if (typeof x !== 'object') return x;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(x as object)) out[k] = spec.fields[k] ? applySpec(v, spec.fields[k]) : v;
      return out;
    }
    case 'decimal': {
      const v = x instanceof Uint8Array ? bigEndianSigned(x) : asBig(x);
      return v === undefined ? x : formatDecimal(v, spec.scale);
    }
    case 'timestamp': {
      const v = asBig(x);
      return v === undefined ? x : formatTimestamp(v, spec.unit, spec.tz);
    }
    case 'date': {
      const v = asBig(x);
      if (v === undefined) return x;
      return formatDate(spec.unit === 'day' ? Number(v) : Number(floorDiv(v, 86400000n)));
    }
    case 'time': {
      const v = asBig(x);
      return v === undefined ? x : formatTime(v, spec.unit);
    }
    case 'duration':
      return x;
  }
}

/** A spec needs work only when some leaf is not plain. */
export function specIsPlain(spec: ValueSpec): boolean {
  if (spec.kind === 'plain') return true;
  if (spec.kind === 'list') return specIsPlain(spec.item);
  if (spec.kind === 'struct') return Object.values(spec.fields).every(specIsPlain);
  return false;
}
