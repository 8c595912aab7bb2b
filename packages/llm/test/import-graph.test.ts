import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../src');

/** Each source file's relative imports and re-exports, type-only ones included. */
function importGraph(): Map<string, string[]> {
  const files = (readdirSync(SRC, { recursive: true }) as string[])
    .filter((file) => file.endsWith('.ts'))
    .map((file) => join(SRC, file));
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const targets = [...text.matchAll(/^(?:import|export)\s[^;]*?\sfrom\s+'(\.{1,2}\/[^']+)';/gms)].map(
      (match) => resolve(dirname(file), (match[1] as string).replace(/\.js$/, '.ts')),
    );
    graph.set(file, targets);
  }
  return graph;
}

/** One cycle per back edge of a depth-first walk, as paths relative to src. */
function cycles(graph: Map<string, string[]>): string[] {
  const found: string[] = [];
  const path: string[] = [];
  const onPath = new Set<string>();
  const done = new Set<string>();
  const visit = (file: string) => {
    path.push(file);
    onPath.add(file);
    for (const target of graph.get(file) ?? []) {
      if (onPath.has(target))
        found.push([...path.slice(path.indexOf(target)), target].map((f) => relative(SRC, f)).join(' → '));
      else if (!done.has(target) && graph.has(target)) visit(target);
    }
    path.pop();
    onPath.delete(file);
    done.add(file);
  };
  for (const file of graph.keys()) if (!done.has(file)) visit(file);
  return found;
}

describe("llm's modules", () => {
  it('import one another without a cycle, type-only imports included', () => {
    const graph = importGraph();
    expect(graph.size).toBeGreaterThan(40);
    // The walk sees the edges it must: context.ts imports abandon-tracker.ts.
    expect(graph.get(join(SRC, 'context.ts'))).toContain(join(SRC, 'abandon-tracker.ts'));
    expect(cycles(graph)).toEqual([]);
  });

  it('(the cycle finder finds a cycle, a type-only one included)', () => {
    const a = join(SRC, 'a.ts');
    const b = join(SRC, 'b.ts');
    expect(
      cycles(
        new Map([
          [a, [b]],
          [b, [a]],
        ]),
      ),
    ).toEqual(['a.ts → b.ts → a.ts']);
    const types = "import type { B } from './b.js';\nexport type { A } from './a.js';\n";
    expect([...types.matchAll(/^(?:import|export)\s[^;]*?\sfrom\s+'(\.{1,2}\/[^']+)';/gms)].length).toBe(2);
  });
});
