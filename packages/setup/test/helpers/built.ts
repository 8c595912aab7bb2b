import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Child-process tests run the built package, as users do; say how to get it. */
export function requireBuiltSetup(): void {
  const dist = fileURLToPath(new URL('../../dist/index.js', import.meta.url));
  if (!existsSync(dist)) throw new Error(`${dist} is missing: run \`pnpm build\` first (\`pnpm test\` does)`);
}

export const SETUP_PACKAGE_DIR = fileURLToPath(new URL('../..', import.meta.url));
