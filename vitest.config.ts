import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Workspace packages export `tokenmeter-source` → src/*.ts, so tests run against the
  // sources without a build step. Tests run in Vite's SSR environment, which
  // has its own resolve conditions.
  resolve: { conditions: ['tokenmeter-source', 'module', 'node', 'development|production'] },
  ssr: { resolve: { conditions: ['tokenmeter-source', 'node', 'development|production'] } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
