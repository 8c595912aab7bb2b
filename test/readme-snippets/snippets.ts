/**
 * Finds every fenced snippet of every README and groups the TypeScript and
 * JavaScript ones into programs, following the markers below.
 *
 * A snippet runs as it is shown. When it cannot, an HTML comment right before
 * its fence (GitHub does not render it) says why — one of:
 *
 *   <!-- snippet: skip (why it cannot run) -->
 *       Not run; the reason is required, and the test lists every skip.
 *   <!-- snippet: continues -->
 *       Appended to the program of the snippet before it in the same README,
 *       e.g. a section that goes on using the `llm` the first one created.
 *   <!-- snippet: run
 *   const queue: unknown[] = []; // stand-ins for the reader's own objects
 *   -->
 *       Lines after the first are hidden code run just before the snippet
 *       (also after `continues`): what the reader's application would have.
 *
 * Shell (`sh`/`bash`) snippets are never run; `shell-checks.ts` checks them.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export type Lang = 'ts' | 'js' | 'sh';

export interface Snippet {
  /** README path relative to the repository root. */
  readonly readme: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  /** The nearest heading above the snippet. */
  readonly heading: string;
  readonly lang: Lang;
  readonly code: string;
  readonly directive: 'run' | 'continues' | 'skip';
  /** The marker's text after the directive, e.g. the reason for a skip. */
  readonly note: string;
  /** Hidden code run before the snippet. */
  readonly prelude: string;
}

/** One or more snippets run together as one module. */
export interface Program {
  /** `README#heading` of its first snippet (plus ` #n` when a heading has several programs). */
  readonly id: string;
  readonly readme: string;
  readonly lang: 'ts' | 'js';
  readonly snippets: readonly Snippet[];
  readonly source: string;
}

const LANGS: Record<string, Lang> = {
  ts: 'ts',
  typescript: 'ts',
  js: 'js',
  javascript: 'js',
  mjs: 'js',
  sh: 'sh',
  bash: 'sh',
  shell: 'sh',
};

/** README.md at the root, and in every folder of packages/ and examples/. */
export function findReadmes(root: string): string[] {
  const found = existsSync(join(root, 'README.md')) ? ['README.md'] : [];
  for (const dir of ['packages', 'examples']) {
    for (const name of readdirSync(join(root, dir)).sort()) {
      const path = `${dir}/${name}/README.md`;
      if (existsSync(join(root, path))) found.push(path);
    }
  }
  return found;
}

interface Marker {
  directive: Snippet['directive'];
  note: string;
  prelude: string;
}

/** The `<!-- snippet: … -->` comment ending on the last non-blank line before `fence`, if any. */
function markerBefore(lines: readonly string[], fence: number, readme: string): Marker | undefined {
  let end = fence - 1;
  while (end >= 0 && lines[end]?.trim() === '') end--;
  if (end < 0 || !lines[end]?.trimEnd().endsWith('-->')) return undefined;
  let start = end;
  while (start >= 0 && !lines[start]?.includes('<!--')) start--;
  const text = lines
    .slice(start, end + 1)
    .join('\n')
    .replace(/^\s*<!--/, '')
    .replace(/-->\s*$/, '');
  const match = /^\s*snippet:\s*(\S+)([^\n]*)\n?([\s\S]*)$/.exec(text);
  if (!match) return undefined;
  const [, word, note = '', prelude = ''] = match;
  if (word !== 'run' && word !== 'continues' && word !== 'skip') {
    throw new Error(`${readme}:${start + 1}: unknown snippet directive "${word}" (run, continues, skip)`);
  }
  const reason = note.trim().replace(/^\((.*)\)$/, '$1');
  if (word === 'skip' && reason === '') throw new Error(`${readme}:${start + 1}: a skip needs a reason`);
  return { directive: word, note: reason, prelude: prelude.trimEnd() };
}

/** Every fenced block of `text` in a language we know (others, e.g. `yaml` or `promql`, are left out). */
export function extractSnippets(readme: string, text: string): Snippet[] {
  const lines = text.split('\n');
  const out: Snippet[] = [];
  let heading = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const h = /^#{1,6}\s+(.*)$/.exec(line);
    if (h) heading = (h[1] ?? '').trim();
    const open = /^```(\S*)\s*$/.exec(line);
    if (!open) continue;
    const close = lines.findIndex((l, j) => j > i && /^```\s*$/.test(l));
    if (close < 0) throw new Error(`${readme}:${i + 1}: unclosed code fence`);
    const lang = LANGS[(open[1] ?? '').toLowerCase()];
    if (lang) {
      const marker = markerBefore(lines, i, readme);
      out.push({
        readme,
        line: i + 1,
        heading,
        lang,
        code: lines.slice(i + 1, close).join('\n'),
        directive: marker?.directive ?? 'run',
        note: marker?.note ?? '',
        prelude: marker?.prelude ?? '',
      });
    }
    i = close;
  }
  return out;
}

/** Groups the runnable TS/JS snippets of one README into programs, in order. */
export function programsOf(snippets: readonly Snippet[]): Program[] {
  const groups: Snippet[][] = [];
  for (const s of snippets) {
    if (s.lang === 'sh' || s.directive === 'skip') continue;
    const last = groups.at(-1);
    if (s.directive === 'continues') {
      if (!last) throw new Error(`${s.readme}:${s.line}: "continues" with no snippet before it`);
      last.push(s);
    } else {
      groups.push([s]);
    }
  }
  const seen = new Map<string, number>();
  return groups.map((group) => {
    const first = group[0] as Snippet;
    const base = `${first.readme}#${first.heading}`;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    const lang = group.some((s) => s.lang === 'ts') ? 'ts' : 'js';
    const source = group
      .map((s) =>
        [`// ${s.readme}:${s.line}`, s.prelude && `// (hidden set-up)\n${s.prelude}`, s.code]
          .filter(Boolean)
          .join('\n'),
      )
      .join('\n\n');
    return {
      id: n === 1 ? base : `${base} #${n}`,
      readme: first.readme,
      lang,
      snippets: group,
      source: `${source}\n`,
    };
  });
}

/** Every snippet of every README, read from `root`. */
export function allSnippets(root: string): Snippet[] {
  return findReadmes(root).flatMap((readme) =>
    extractSnippets(readme, readFileSync(join(root, readme), 'utf8')),
  );
}
