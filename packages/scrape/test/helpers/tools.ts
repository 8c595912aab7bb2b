import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/** Fails (never skips) when a Debian tool the test needs is missing. */
export function requireBinary(path: string, debianPackage: string): string {
  if (!existsSync(path)) {
    throw new Error(
      `${path} is missing: install it with \`apt-get install ${debianPackage}\` to run this test`,
    );
  }
  return path;
}

const created: string[] = [];
// Registered while the importing test file is collected: runs after its last test.
afterAll(() => {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh temp folder, removed after the test file that made it. */
export function tempDir(prefix = 'tokenmeter-scrape-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface Pushgateway {
  url: string;
  stop: () => Promise<void>;
}

/** Starts Debian's prometheus-pushgateway on a free loopback port. */
export async function startPushgateway(): Promise<Pushgateway> {
  const bin = requireBinary('/usr/bin/prometheus-pushgateway', 'prometheus-pushgateway');
  const port = await freePort();
  const child = spawn(bin, [`--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  await waitFor('pushgateway', async () => ((await fetch(`${url}/-/ready`)).ok ? true : undefined));
  return { url, stop: () => stopChild(child) };
}

export function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** `promtool check metrics` problems that are errors (lint hints such as "no help text" are ignored). */
export function promtoolErrors(text: string): string[] {
  const bin = requireBinary('/usr/bin/promtool', 'prometheus');
  let out = '';
  try {
    out = execFileSync(bin, ['check', 'metrics'], {
      input: text,
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    out = `${e.stdout ?? ''}${e.stderr ?? ''}`;
  }
  return out.split('\n').filter((l) => /error/i.test(l));
}

export function writeTemp(dir: string, name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}
