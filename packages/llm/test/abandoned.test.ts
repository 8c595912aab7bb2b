import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { AbandonTracker, type Finalizable, NURSERY_MS, NURSERY_SIZE } from '../src/abandon-tracker.js';
import { pointWith, rig } from './helpers.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const BASE = { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai' };
const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

/** Collects garbage until the in-flight gauge is back to 0, or gives up after `withinMs`. */
async function activeAfterGc(r: ReturnType<typeof rig>, withinMs: number): Promise<unknown> {
  let active: unknown;
  const until = performance.now() + withinMs;
  while (performance.now() < until) {
    gc();
    await sleep(20);
    active = pointWith(await r.metric('tokenmeter.gen_ai.client.active_requests'), BASE)?.value;
    if (active === 0) break;
  }
  return active;
}

describe('never-ended handles', () => {
  it('release their in-flight count once when garbage-collected and count as abandoned', async () => {
    const r = rig();
    (() => {
      for (let i = 0; i < 3; i++)
        r.llm.startRequest({ operation: 'chat', provider: 'openai', stream: true }).chunk();
    })();
    const ended = r.llm.startRequest({ operation: 'chat', provider: 'openai' });
    ended.end();
    // They wait in the nursery for up to NURSERY_MS before the registry sees them.
    expect(await activeAfterGc(r, NURSERY_MS + 3000)).toBe(0);
    const errors = await r.metric('tokenmeter.gen_ai.client.errors');
    expect(pointWith(errors, { ...BASE, 'error.type': 'abandoned' })?.value).toBe(3);
    expect(ended.ended).toBe(true);
  });

  it('are all released when more than a nursery-full is abandoned at once, and ended ones are not counted', async () => {
    const r = rig();
    const n = NURSERY_SIZE * 3 + 7;
    (() => {
      for (let i = 0; i < n; i++) {
        const h = r.llm.startRequest({ operation: 'chat', provider: 'openai' });
        if (i % 2 === 0) h.end(); // half end normally, half are dropped
      }
    })();
    expect(await activeAfterGc(r, NURSERY_MS + 3000)).toBe(0);
    const errors = await r.metric('tokenmeter.gen_ai.client.errors');
    expect(pointWith(errors, { ...BASE, 'error.type': 'abandoned' })?.value).toBe(Math.floor(n / 2));
  });
});

describe('AbandonTracker nursery', () => {
  // A recording stand-in for FinalizationRegistry: what matters here is which
  // handles reach the registry, which a real one does not let us see.
  function tracker() {
    const registered: object[] = [];
    const unregistered: object[] = [];
    const registry = {
      register: (h: object) => void registered.push(h),
      unregister: (h: object) => void unregistered.push(h),
    } as unknown as FinalizationRegistry<Finalizable>;
    return { t: new AbandonTracker(registry), registered, unregistered };
  }
  const core = (): Finalizable => ({ done: false, registered: false, abandon() {} });

  it('registers only the handles still open when the nursery fills, and unregisters only those', () => {
    const { t, registered, unregistered } = tracker();
    const handles = Array.from({ length: NURSERY_SIZE }, () => ({ h: {}, c: core() }));
    for (const [i, x] of handles.entries()) {
      t.track(x.h, x.c);
      if (i !== 5 && i !== 9) {
        x.c.done = true;
        t.release(x.h, x.c);
      }
    }
    // The sweep ran inside the last track(), while that handle was still open too.
    const last = handles[NURSERY_SIZE - 1]!;
    expect(registered).toEqual([handles[5]!.h, handles[9]!.h, last.h]);
    expect(last.c.registered).toBe(true);
    expect(handles[0]!.c.registered).toBe(false);
    expect(unregistered).toEqual([last.h]); // the loop ended it after the sweep
    handles[5]!.c.done = true;
    t.release(handles[5]!.h, handles[5]!.c);
    expect(unregistered).toEqual([last.h, handles[5]!.h]);
  });

  it('sweeps a part-full nursery after NURSERY_MS', async () => {
    const { t, registered } = tracker();
    const open = { h: {}, c: core() };
    t.track(open.h, open.c);
    expect(registered).toEqual([]);
    await sleep(NURSERY_MS + 100);
    expect(registered).toEqual([open.h]);
    expect(open.c.registered).toBe(true);
  });
});
