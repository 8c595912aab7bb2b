/**
 * Just enough PromQL lexing to list the metric names an expression reads, so
 * the tests can check every name in the shipped JSON and YAML against the
 * names derived from the instrument definitions (and against a real scrape).
 */

const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'inf',
  'nan',
  'Inf',
  'NaN',
]);

/** Metric names an expression selects, in order of appearance (duplicates kept). */
export function metricNamesIn(expr: string): string[] {
  const s = expr
    // Label matchers (a `}` may sit inside a quoted value). A `__name__` matcher
    // names metrics too: `{__name__=~"a_count|b_count"}` reads as `a_count b_count`.
    .replace(/\{(?:[^}"]|"(?:[^"\\]|\\.)*")*\}/g, (m) => {
      const names = /__name__\s*=~?\s*"([^"]*)"/.exec(m)?.[1];
      if (names === undefined) return '{}';
      const alternatives = names.split('|');
      for (const a of alternatives)
        if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(a))
          throw new Error(`__name__ pattern too clever to check: ${a}`);
      return ` ${alternatives.join(' ')} {}`;
    })
    // String literals (label_replace arguments and the like).
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    // Range and subquery brackets ($__rate_interval lives there).
    .replace(/\[[^\]]*\]/g, '[]')
    // Label lists of aggregations and vector matching.
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const out: string[] = [];
  // An identifier not glued to a number or another identifier, and not a function call.
  for (const m of s.matchAll(/(?<![\w:.$])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![a-zA-Z0-9_:]|\s*\()/g)) {
    const id = m[1] as string;
    if (!KEYWORDS.has(id)) out.push(id);
  }
  return out;
}

/**
 * A Grafana Prometheus variable query `label_values(<selector>, <label>)` (or
 * `label_values(<label>)`): the series selector and the label.
 */
export function parseLabelValues(query: string): { selector?: string; label: string } {
  const m = /^\s*label_values\(\s*(?:(.*\S)\s*,\s*)?([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*$/.exec(query);
  if (!m) throw new Error(`not a label_values() query: ${query}`);
  return m[1] ? { selector: m[1], label: m[2] as string } : { label: m[2] as string };
}
