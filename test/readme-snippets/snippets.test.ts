import { describe, expect, it } from 'vitest';
import { commandsOf, importsOf, installedBy } from './shell-checks.js';
import { extractSnippets, programsOf } from './snippets.js';

const FENCE = '```';
const readme = [
  '# pkg',
  `${FENCE}sh`,
  'pnpm add @tokenmeter/llm @scope/x@1.2.3 openai@^7 # comment',
  FENCE,
  '## Use',
  `${FENCE}ts`,
  "import { a } from '@scope/x/sub';",
  'const llm = a();',
  FENCE,
  '<!-- snippet: continues',
  'const given = 1;',
  '-->',
  `${FENCE}ts`,
  'llm.use(given);',
  FENCE,
  '<!-- snippet: skip (a fragment of something else) -->',
  '',
  `${FENCE}ts`,
  'fragment();',
  FENCE,
  `${FENCE}yaml`,
  'not: extracted',
  FENCE,
].join('\n');

describe('snippet conventions', () => {
  it('extracts ts/sh blocks with their heading and marker; other languages are left out', () => {
    const s = extractSnippets('README.md', readme);
    expect(s.map((x) => [x.lang, x.heading, x.directive])).toEqual([
      ['sh', 'pkg', 'run'],
      ['ts', 'Use', 'run'],
      ['ts', 'Use', 'continues'],
      ['ts', 'Use', 'skip'],
    ]);
    expect(s[2]?.prelude).toBe('const given = 1;');
    expect(s[3]?.note).toBe('a fragment of something else');
  });

  it('joins a continuing snippet (after its hidden set-up) into the program above; skips none of it', () => {
    const [program, ...others] = programsOf(extractSnippets('README.md', readme));
    expect(others).toEqual([]);
    expect(program?.id).toBe('README.md#Use');
    expect(program?.source).toMatch(/const llm = a\(\);[\s\S]*const given = 1;\s*llm\.use\(given\);/);
    expect(program?.source).not.toContain('fragment()');
  });

  it('refuses a skip without a reason and an unknown directive', () => {
    expect(() => extractSnippets('R.md', `<!-- snippet: skip -->\n${FENCE}ts\nx\n${FENCE}`)).toThrow(
      /reason/,
    );
    expect(() => extractSnippets('R.md', `<!-- snippet: maybe -->\n${FENCE}ts\nx\n${FENCE}`)).toThrow(
      /unknown/,
    );
  });

  it('reads install lines, imports and commands as a shell would split them', () => {
    const [install] = commandsOf(extractSnippets('README.md', readme)[0]?.code ?? '');
    expect(installedBy(install ?? [])).toEqual(['@tokenmeter/llm', '@scope/x', 'openai']);
    expect(installedBy(['npm', 'i', '-g', 'tokenmeter'])).toEqual(['tokenmeter']);
    expect(installedBy(['pnpm', 'demo'])).toBeUndefined();
    expect(
      importsOf(
        "import a from '@scope/x/sub';\nimport 'side';\nimport { b } from 'node:fs';\nimport c from './c.js';",
      ),
    ).toEqual(['@scope/x', 'side']);
    expect(commandsOf('A=1 B=2 \\\n  node x.js --y && curl -s "a b" | grep c')).toEqual([
      ['node', 'x.js', '--y'],
      ['curl', '-s', 'a b'],
      ['grep', 'c'],
    ]);
  });
});
