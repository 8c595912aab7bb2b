import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { PrometheusSerializer } from '@tokenmeter/setup';
import { TestMetricReader } from '@tokenmeter/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseExposition, writeExposition } from '../src/index.js';

/** What `@tokenmeter/setup`'s serializer writes for one gauge with one label and a description. */
async function setupText(help: string, value: string): Promise<string> {
  const reader = new TestMetricReader();
  const provider = new MeterProvider({ readers: [reader] });
  provider.getMeter('m').createGauge('w', { description: help }).record(1, { v: value });
  const { resourceMetrics } = await reader.collect();
  await provider.shutdown();
  return new PrometheusSerializer({ withoutScopeInfo: true, withoutTargetInfo: true }).serializeSync(
    resourceMetrics,
  );
}

/** What `@tokenmeter/scrape`'s writer (Prometheus text file, Pushgateway) writes for the same gauge. */
function scrapeText(help: string, value: string): string {
  return writeExposition([
    { name: 'w', type: 'gauge', help, samples: [{ name: 'w', labels: { v: value }, value: 1 }] },
  ]);
}

/** The string as UTF-8 can carry it: Node's encoder replaces each lone surrogate with U+FFFD. */
const asUtf8 = (s: string) => Buffer.from(s, 'utf8').toString('utf8');

/** Characters, escapes and halves of surrogate pairs, alone or not. */
const textUnit = fc.oneof(
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
  fc.constantFrom('"', '\\', '\n'),
  fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
);

// Both writers escape and encode through @tokenmeter/exposition. They used to
// disagree on lone surrogates: setup's wrote U+FFFD, scrape's wrote the lone
// surrogate, which Node then encoded to U+FFFD or not depending on the path.
describe("setup's serializer and scrape's writer", () => {
  it('write the same bytes for the same label value and help, and read back the same', async () => {
    const tricky = ['plain', 'a"b\\c\nd', 'lone \uD800 high', 'lone \uDC00 low', 'pair 🚀', 'x\uD83D"'];
    for (const value of tricky) {
      const help = `help for ${value}`;
      const a = await setupText(help, value);
      const b = scrapeText(help, value);
      expect(b).toBe(a);
      for (const text of [a, b]) {
        const family = parseExposition(text, { format: 'prometheus' }).families[0];
        expect(family?.help).toBe(asUtf8(help));
        expect(family?.samples[0]?.labels.v).toBe(asUtf8(value));
      }
    }
  });

  it('agree on any string, surrogates included', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: textUnit, maxLength: 12 }), async (value) => {
        // A description is never empty here: setup writes a fallback help text for none.
        const help = `h${value}`;
        expect(scrapeText(help, value)).toBe(await setupText(help, value));
      }),
      { numRuns: 200 },
    );
  });
});
