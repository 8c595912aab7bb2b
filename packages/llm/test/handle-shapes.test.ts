/**
 * Request code stays optimized across an idle spell. Once every handle of a
 * burst has finished and left the abandon tracker's nursery, nothing refers
 * to a handle any more; had llm not kept the last finished one, the next full
 * garbage collection would free the handles' hidden classes and V8 would
 * throw away every optimized function that checks for them (traced as
 * "embedded weak objects cleared"): the first few hundred requests after
 * each idle spell ran 3–10× slower.
 *
 * Read from V8's own deoptimization trace, in a child process running the
 * built package with the flags that produce it. The fixture's control class
 * proves the trace still reports this on the running V8.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { weakShapeDeopts } from '@tokenmeter/testkit';
import { beforeAll, describe, expect, it } from 'vitest';

const APP = fileURLToPath(new URL('./fixtures/handle-shapes-app.mjs', import.meta.url));
const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));

beforeAll(() => {
  const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));
  if (!existsSync(dist)) throw new Error(`${dist} is missing: run \`pnpm build\` first (\`pnpm test\` does)`);
});

/** Functions of a request's path from start to end (client and server). */
const HOT = [
  'startClientRequest',
  'startServerRequest',
  'ClientCore',
  'ClientRequestHandle',
  'ServerCore',
  'ServerRequestHandle',
  'chunk',
  'end',
  'finish',
  'finishOnce',
  'recordSeries',
  'UnboundSeries',
];

describe('request handles across idle spells and full garbage collections', () => {
  it('no request function is deoptimized because a collected hidden class was embedded in it', async () => {
    const deopts = await weakShapeDeopts(APP, PACKAGE_DIR);
    // Before the last finished handle was kept, each of these was thrown away after an idle spell.
    expect(deopts.of(HOT)).toEqual({});
  }, 60_000);
});
