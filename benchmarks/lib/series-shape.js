// The series shapes the scrape benchmarks share: semconv attribute keys, the
// last few of them unique to each series, and the values recorded into them.

/** Values spread over the duration buckets; series i's k-th value is SPREAD[(i + k) % 7]. */
export const SPREAD = [0.005, 0.03, 0.15, 0.7, 3.1, 12, 60];

// Attribute keys in the order a shape takes them; the constant value each has
// when it is not one of the series' unique attributes.
export const KEYS = [
  ['gen_ai.operation.name', 'chat'],
  ['gen_ai.provider.name', 'openai'],
  ['server.address', 'api.openai.com'],
  ['server.port', 443],
  ['gen_ai.request.model', 'gpt-4o'],
  ['gen_ai.response.model', 'gpt-4o-2024-08-06'],
  ['error.type', 'timeout'],
  ['gen_ai.token.type', 'input'],
  ['tokenmeter.finish_reason', 'stop'],
  ['tokenmeter.worker.id', 'worker-1'],
];

/** Series i of a shape: `attrs` keys, the last `unique` of them with values no other series has. */
export function attributesOf(i, attrs, unique) {
  const a = {};
  for (let k = 0; k < attrs; k++) {
    const [key, constant] = KEYS[k];
    const isUnique = k >= attrs - unique;
    a[key] = !isUnique ? constant : typeof constant === 'number' ? 1024 + i : `${constant}-${i}`;
  }
  return a;
}

/** The prom-client label name of an attribute key. */
export const promLabel = (key) => key.replaceAll('.', '_');
