import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { instrumentAcme, uninstrumentAcme } from './fixtures/acme-integration.js';
import { hist, points, rig } from './helpers.js';

// The README's "Writing an integration" example, run. `AcmeClient` is the
// made-up SDK the example instruments (there is no Acme SDK to run): it
// returns what LLM SDKs return — a promise of a result, or of an async
// iterable of events — and throws an error with an HTTP status.

const here = dirname(fileURLToPath(import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Body {
  model: string;
  stream?: boolean;
  status?: number;
}

class AcmeClient {
  async generate(body: Body): Promise<unknown> {
    await sleep(5);
    if (body.status) throw Object.assign(new Error('overloaded'), { status: body.status });
    const usage = { input: 12, output: 2, input_details: { cached: 4 } };
    if (!body.stream) return { model: `${body.model}-1`, text: 'hi', stop_reason: 'stop', usage };
    return (async function* () {
      yield { model: `${body.model}-1`, delta: 'h' };
      await sleep(5);
      yield { delta: 'i' };
      yield { stop_reason: 'length', usage };
    })();
  }
}

const DURATION = 'gen_ai.client.operation.duration';

describe('README: Writing an integration', () => {
  it('shows the example verbatim', () => {
    const readme = readFileSync(resolve(here, '../README.md'), 'utf8');
    const example = readFileSync(resolve(here, 'fixtures/acme-integration.ts'), 'utf8');
    expect(readme).toContain(`\`\`\`ts\n${example}\`\`\``);
  });

  it('the example measures calls, streams and failures, and comes off again', async () => {
    const r = rig({ now: () => performance.now() });
    const acme = instrumentAcme(new AcmeClient(), r.llm);
    expect(await acme.generate({ model: 'acme-large' })).toMatchObject({ text: 'hi' });
    let text = '';
    for await (const e of (await acme.generate({ model: 'acme-large', stream: true })) as AsyncIterable<{
      delta?: string;
    }>)
      text += e.delta ?? '';
    expect(text).toBe('hi');
    await expect(acme.generate({ model: 'acme-large', status: 503 })).rejects.toThrow('overloaded');
    uninstrumentAcme(acme);
    await acme.generate({ model: 'acme-large' });

    const d = points(await r.metric(DURATION));
    const by = (type: string | undefined) =>
      d.filter((p) => p.attributes['error.type'] === type).reduce((a, p) => a + hist(p).count, 0);
    expect([by(undefined), by('503')]).toEqual([2, 1]);
    expect(d.find((p) => !p.attributes['error.type'])?.attributes).toMatchObject({
      'gen_ai.provider.name': 'acme',
      'gen_ai.request.model': 'acme-large',
      'gen_ai.response.model': 'acme-large-1',
    });
    const usage = points(await r.metric('gen_ai.client.token.usage'));
    const tokens = (type: string) =>
      usage
        .filter((p) => p.attributes['gen_ai.token.type'] === type)
        .reduce((a, p) => a + (hist(p).sum ?? 0), 0);
    expect([tokens('input'), tokens('output')]).toEqual([24, 4]);
    const cached = points(await r.metric('tokenmeter.gen_ai.client.usage.cache_read.input_tokens'));
    expect(cached.reduce((a, p) => a + (p.value as number), 0)).toBe(8);
    const ttfc = points(await r.metric('gen_ai.client.operation.time_to_first_chunk'));
    const tpoc = points(await r.metric('gen_ai.client.operation.time_per_output_chunk'));
    expect([hist(ttfc[0]).count, hist(tpoc[0]).count]).toEqual([1, 1]);
    const reasons = points(await r.metric('tokenmeter.gen_ai.client.requests')).map(
      (p) => p.attributes['tokenmeter.finish_reason'],
    );
    expect(reasons.sort()).toEqual(['length', 'stop']);
  });
});
