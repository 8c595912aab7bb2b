import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { pointWith, rig } from './helpers.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const BASE = { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai' };

describe('never-ended handles', () => {
  it('release their in-flight count once when garbage-collected and count as abandoned', async () => {
    const r = rig();
    (() => {
      for (let i = 0; i < 3; i++)
        r.llm.startRequest({ operation: 'chat', provider: 'openai', stream: true }).chunk();
    })();
    const ended = r.llm.startRequest({ operation: 'chat', provider: 'openai' });
    ended.end();
    let active: unknown;
    for (let i = 0; i < 50; i++) {
      gc();
      await new Promise((res) => setTimeout(res, 10));
      active = pointWith(await r.metric('tokenmeter.gen_ai.client.active_requests'), BASE)?.value;
      if (active === 0) break;
    }
    expect(active).toBe(0);
    const errors = await r.metric('tokenmeter.gen_ai.client.errors');
    expect(pointWith(errors, { ...BASE, 'error.type': 'abandoned' })?.value).toBe(3);
    // the ended handle was unregistered: collecting it later changes nothing
    expect(ended.ended).toBe(true);
  });
});
