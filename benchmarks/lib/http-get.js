import { request } from 'node:http';

/** GETs `url` (asking for gzip when `gzip`) and resolves with the bytes that came over the wire. */
export function get(url, gzip) {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: gzip ? { 'accept-encoding': 'gzip' } : {} }, (res) => {
      let wire = 0;
      res.on('data', (c) => {
        wire += c.length;
      });
      res.on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`));
        else resolve({ bytes: wire });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
