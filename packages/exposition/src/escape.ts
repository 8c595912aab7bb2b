/**
 * Escaping for the Prometheus text format (0.0.4) and OpenMetrics 1.0.
 *
 * Both formats are UTF-8, and Prometheus rejects a whole scrape that holds
 * invalid UTF-8. A JS string with a lone surrogate has no UTF-8 encoding
 * (Node would silently write U+FFFD), so every writer replaces them here,
 * where tests can see it, and all writers agree.
 */

interface WellFormedString {
  isWellFormed(): boolean;
  toWellFormed(): string;
}

/** `s` with every lone surrogate replaced by U+FFFD. */
export function wellFormed(s: string): string {
  const w = s as unknown as WellFormedString;
  return w.isWellFormed() ? s : w.toWellFormed();
}

const LABEL_VALUE_SPECIAL = /[\\"\n]/;
const LABEL_VALUE_SPECIAL_ALL = /[\\"\n]/g;
const HELP_SPECIAL_TEXT = /[\\\n]/g;
const HELP_SPECIAL_OPENMETRICS = /[\\"\n]/g;

function escapeChar(c: string): string {
  return c === '\\' ? '\\\\' : c === '"' ? '\\"' : '\\n';
}

/** A label value (or quoted name) as both formats write it inside `"…"`: `\\`, `\"`, `\n`. */
export function escapeLabelValue(value: string): string {
  const v = wellFormed(value);
  if (!LABEL_VALUE_SPECIAL.test(v)) return v;
  return v.replace(LABEL_VALUE_SPECIAL_ALL, escapeChar);
}

/**
 * A `# HELP` text. The text format escapes `\\` and `\n` only; OpenMetrics
 * also escapes `"`.
 */
export function escapeHelp(help: string, openMetrics = false): string {
  return wellFormed(help).replace(openMetrics ? HELP_SPECIAL_OPENMETRICS : HELP_SPECIAL_TEXT, escapeChar);
}
