/**
 * How numbers, durations, times and counts read, everywhere mlnb shows them.
 *
 * The same rules as mlnb/display/format.py (read its docstring for them); both must reproduce
 * tests/display/format_cases.json, so a metric reads the same in the sidebar, the widget panels,
 * the run card, the static fallbacks and the CLI. Ties round away from zero on the exact binary
 * value, which is what toPrecision, toExponential and toFixed do.
 */

const EXP_BELOW = 1e-4;
const EXP_FROM = 1e6;
const INT_FROM = 1e4;

export function formatNumber(value: number | boolean | null | undefined): string {
  if (value === null || value === undefined) {
    return '';
  }
  if (typeof value === 'boolean') {
    return value ? 'true' : 'false';
  }
  if (Number.isNaN(value)) {
    return 'NaN';
  }
  if (!Number.isFinite(value)) {
    return value > 0 ? '∞' : '-∞';
  }
  const a = Math.abs(value);
  if (Number.isInteger(value) && a < 1e15) {
    return String(a === 0 ? 0 : value);
  }
  const sign = value < 0 ? '-' : '';
  if (a < EXP_BELOW || a >= EXP_FROM) {
    const [mantissa, exponent] = a.toExponential(3).split('e');
    const digits = mantissa.includes('.') ? mantissa.replace(/\.?0+$/, '') : mantissa;
    return `${sign}${digits}e${Number(exponent)}`;
  }
  if (a >= INT_FROM) {
    return `${sign}${Math.round(a)}`;
  }
  return `${sign}${Number(a.toPrecision(4))}`;
}

export function formatDelta(value: number | null | undefined): string {
  if (value === null || value === undefined) {
    return '';
  }
  const text = formatNumber(value);
  return text.startsWith('-') || text === 'NaN' ? text : `+${text}`;
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || Number.isNaN(ms) || ms < 0) {
    return '';
  }
  const whole = Math.round(ms);
  if (whole < 1000) {
    return `${whole} ms`;
  }
  const tenths = Math.floor((whole + 50) / 100);
  if (tenths < 100) {
    return `${Math.floor(tenths / 10)}.${tenths % 10} s`;
  }
  const s = Math.floor((whole + 500) / 1000);
  if (s < 60) {
    return `${s} s`;
  }
  if (s < 3600) {
    return `${Math.floor(s / 60)} min ${s % 60} s`;
  }
  if (s < 86400) {
    return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  }
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

export function formatTimestamp(ms: number | null | undefined, utc = false): string {
  if (ms === null || ms === undefined) {
    return '';
  }
  const d = new Date(Math.floor(ms / 1000) * 1000);
  const parts = utc
    ? [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()]
    : [d.getFullYear(), d.getMonth() + 1, d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds()];
  const [y, mo, da, ho, mi, se] = parts;
  return `${y}-${pad(mo)}-${pad(da)} ${pad(ho)}:${pad(mi)}:${pad(se)}`;
}

export function formatAgo(ms: number, now = Date.now(), utc = false): string {
  const s = Math.max(0, Math.floor((now - ms) / 1000));
  if (s < 60) {
    return `${s} s ago`;
  }
  if (s < 3600) {
    return `${Math.floor(s / 60)} min ago`;
  }
  if (s < 86400) {
    return `${Math.floor(s / 3600)} h ago`;
  }
  if (s < 7 * 86400) {
    return `${Math.floor(s / 86400)} d ago`;
  }
  return formatTimestamp(ms, utc).slice(0, 10);
}

export function formatCount(n: number, noun: string, plural?: string): string {
  const word = n === 1 ? noun : plural ?? `${noun}s`;
  return `${n.toLocaleString('en-US')} ${word}`;
}

export function formatBytes(n: number): string {
  if (n < 1024) {
    return `${n} B`;
  }
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = n / 1024;
  let i = 0;
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024;
    i += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[i]}`;
}

/** The last eight characters of a run id: ids start with their creation time, the tail is random. */
export function shortId(runId: string): string {
  return runId.slice(-8);
}
