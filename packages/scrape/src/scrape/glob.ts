/**
 * Metric-name globs: `*` matches any run of characters, `?` one character;
 * everything else is literal (`vllm:*` must not treat `:` specially).
 */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (const ch of glob) {
    if (ch === '*') re += '.*';
    else if (ch === '?') re += '.';
    else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** A predicate that is true when `name` matches any of the globs (all names when `globs` is empty). */
export function nameMatcher(globs: readonly string[] | undefined): (name: string) => boolean {
  if (!globs || globs.length === 0) return () => true;
  const res = globs.map(globToRegExp);
  return (name) => res.some((r) => r.test(name));
}
