// An HTTP client in its own process, as Prometheus is: it times a GET from the
// request to the last byte of the body (compressed bodies are not inflated, as
// a scraper's own decompression is its cost), so the process serving the
// scrape pays only for serving it.
import { fork } from 'node:child_process';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';

if (process.env.TOKENMETER_HTTP_CLIENT === '1') {
  process.on('message', ({ id, url, headers }) => {
    const t0 = performance.now();
    const req = request(url, { headers }, (res) => {
      let bytes = 0;
      res.on('data', (c) => {
        bytes += c.length;
      });
      res.on('end', () => {
        process.send({ id, ms: performance.now() - t0, bytes, status: res.statusCode });
      });
    });
    req.on('error', (e) => process.send({ id, error: String(e) }));
    req.end();
  });
}

/** Starts the client process; `get(url, headers)` resolves with `{ ms, bytes }` timed in that process. */
export function startHttpClient() {
  const child = fork(fileURLToPath(import.meta.url), [], {
    env: { ...process.env, TOKENMETER_HTTP_CLIENT: '1' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map();
  let next = 0;
  child.on('message', (m) => {
    const p = pending.get(m.id);
    pending.delete(m.id);
    if (m.error || m.status !== 200) p.reject(new Error(m.error ?? `status ${m.status}`));
    else p.resolve({ ms: m.ms, bytes: m.bytes });
  });
  return {
    get(url, headers = {}) {
      const id = next++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        child.send({ id, url, headers });
      });
    },
    close() {
      child.kill();
    },
  };
}
