import type { Labels, MetricFamily } from '../text/types.js';
import { nameMatcher } from './glob.js';

/** A PromQL-style label matcher. */
export interface LabelMatcher {
  name: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

/** Which series to keep from a scrape. */
export interface MetricSelection {
  /** Family-name globs to keep (`vllm:*`). @default all families */
  include?: string[];
  /** Family-name globs to drop, applied after `include`. @default none */
  exclude?: string[];
  /** Every matcher must hold for a sample to be kept; a missing label reads as `""`, as in PromQL. @default none */
  labels?: LabelMatcher[];
}

/** Parses `name="v"`, `name=v`, `name!=v`, `name=~re`, `name!~re`. Throws on anything else. */
export function parseLabelMatcher(text: string): LabelMatcher {
  const m = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$/.exec(text);
  if (!m)
    throw new Error(
      `invalid label filter '${text}' (expected name=value, name!=value, name=~regex or name!~regex)`,
    );
  let value = m[3] as string;
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
  const matcher: LabelMatcher = { name: m[1] as string, op: m[2] as LabelMatcher['op'], value };
  if (matcher.op === '=~' || matcher.op === '!~') new RegExp(value); // fail early on a bad regex
  return matcher;
}

function labelPredicate(matchers: readonly LabelMatcher[]): (labels: Labels) => boolean {
  const compiled = matchers.map((m) => {
    // PromQL regexes are fully anchored.
    const re = m.op === '=~' || m.op === '!~' ? new RegExp(`^(?:${m.value})$`) : undefined;
    return (labels: Labels) => {
      const v = labels[m.name] ?? '';
      switch (m.op) {
        case '=':
          return v === m.value;
        case '!=':
          return v !== m.value;
        case '=~':
          return (re as RegExp).test(v);
        case '!~':
          return !(re as RegExp).test(v);
      }
    };
  });
  return (labels) => compiled.every((p) => p(labels));
}

/** Returns a function that filters families (and their samples) by `selection`. */
export function compileSelection(
  selection: MetricSelection = {},
): (families: MetricFamily[]) => MetricFamily[] {
  const include = nameMatcher(selection.include);
  const exclude = selection.exclude?.length ? nameMatcher(selection.exclude) : () => false;
  const labelsOk = selection.labels?.length ? labelPredicate(selection.labels) : undefined;
  return (families) => {
    const out: MetricFamily[] = [];
    for (const f of families) {
      if (!include(f.name) || exclude(f.name)) continue;
      if (!labelsOk) {
        out.push(f);
        continue;
      }
      const samples = f.samples.filter((s) => labelsOk(s.labels));
      if (samples.length > 0) out.push({ ...f, samples });
    }
    return out;
  };
}
