/**
 * Every simulator's port speaks HTTP/1.1 and cleartext HTTP/2, by the
 * connection's first bytes; a cut is a dropped connection in both.
 */
import { connect } from 'node:http2';
import { describe, expect, it } from 'vitest';
import { startBedrockSimulator, startOpenAiSimulator } from '../src/index.js';

/** One HTTP/2 (prior knowledge) request; resolves with status, body and how the stream ended. */
function h2Request(url: string, path: string, body: string) {
  return new Promise<{ status: number; body: Buffer; error?: string }>((resolve) => {
    const session = connect(url);
    session.on('error', () => undefined);
    const req = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/json' });
    const parts: Buffer[] = [];
    let status = 0;
    req.on('response', (h) => {
      status = Number(h[':status']);
    });
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => {
      session.close();
      resolve({ status, body: Buffer.concat(parts) });
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      session.destroy();
      resolve({ status, body: Buffer.concat(parts), error: e.code });
    });
    req.end(body);
  });
}

describe('one port, HTTP/1.1 and cleartext HTTP/2', () => {
  it('answers the same request over both', async () => {
    const sim = await startOpenAiSimulator();
    try {
      const body = JSON.stringify({ model: 'm?chunks=2', messages: [{ role: 'user', content: 'x' }] });
      const h1 = await fetch(`${sim.baseURL}/chat/completions`, { method: 'POST', body });
      const h2 = await h2Request(sim.url, '/v1/chat/completions', body);
      expect(h1.status).toBe(200);
      expect(h2.status).toBe(200);
      const texts = [await h1.json(), JSON.parse(h2.body.toString())].map(
        (r: { choices: { message: { content: string } }[] }) => r.choices[0]!.message.content,
      );
      expect(texts).toEqual(['Hello from', 'Hello from']);
      expect(sim.requests.map((r) => r.model)).toEqual(['m?chunks=2', 'm?chunks=2']);
    } finally {
      await sim.close();
    }
  });

  it('a cut over HTTP/2 resets the connection: the client sees an error, not an end', async () => {
    const sim = await startBedrockSimulator();
    try {
      const path = `/model/${encodeURIComponent('m?chunks=6&gap=10&cut=2')}/converse-stream`;
      const r = await h2Request(sim.url, path, '{}');
      expect(r.status).toBe(200);
      expect(r.error).toBe('ECONNRESET');
      // messageStart and the two deltas sent before the cut arrived.
      expect(r.body.length).toBeGreaterThan(0);
    } finally {
      await sim.close();
    }
  });
});
