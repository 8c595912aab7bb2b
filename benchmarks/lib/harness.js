// Shared measurement helpers for `pnpm bench`. Every benchmark runs its
// baselines in the same process, interleaved round by round (A B C, A B C, …),
// so a noisy neighbour slows every variant of a round alike; ratios are taken
// per round and the median of those is reported.
import { spawnSync } from 'node:child_process';
import { PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

export const QUICK = process.env.TOKENMETER_BENCH_QUICK === '1';

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return Number.NaN;
  return n % 2 === 1 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

export function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const i = Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))));
  return s[i];
}

export function gc() {
  if (typeof globalThis.gc === 'function') {
    globalThis.gc();
    globalThis.gc();
  }
}

/**
 * {@link gc}, then one turn of the event loop before the caller times
 * anything. The first turn after a forced full GC runs the collector's
 * follow-up work on the main thread: measured on the benchmark VM
 * (2026-12-07), an empty `setImmediate` turn took ~45 µs right after `gc()`
 * and ~4 µs on the next turn. Timed without this turn, that work lands in
 * whichever variant first gives the loop a turn (an HTTP request, a scrape
 * that yields) and not in one that never does (prom-client's in-process
 * render); between real scrapes seconds apart it is long done.
 */
export async function gcSettled() {
  gc();
  await new Promise((resolve) => setImmediate(resolve));
}

/**
 * Synchronous micro-benchmark of several variants, interleaved.
 * `variants`: `[{ name, fn }]`, `fn()` performs one operation.
 * Returns per variant the median ns/op over `rounds`, and per-round samples.
 */
export function compareSync(variants, { opsPerRound = 20_000, rounds = 15, warmupRounds = 3 } = {}) {
  const samples = new Map(variants.map((v) => [v.name, []]));
  for (let r = -warmupRounds; r < rounds; r++) {
    // Rotate the order so no variant always runs first (after GC) or last.
    const order = variants.map((_, i) => variants[(i + Math.max(r, 0)) % variants.length]);
    for (const v of order) {
      const fn = v.fn;
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < opsPerRound; i++) fn();
      const ns = Number(process.hrtime.bigint() - t0) / opsPerRound;
      if (r >= 0) samples.get(v.name).push(ns);
    }
  }
  return summarize(samples);
}

/** Like {@link compareSync}; `fn()` returns a promise and reports how many operations it did. */
export async function compareAsync(variants, { rounds = 15, warmupRounds = 3 } = {}) {
  const samples = new Map(variants.map((v) => [v.name, []]));
  for (let r = -warmupRounds; r < rounds; r++) {
    const order = variants.map((_, i) => variants[(i + Math.max(r, 0)) % variants.length]);
    for (const v of order) {
      const t0 = process.hrtime.bigint();
      const ops = await v.fn();
      const ns = Number(process.hrtime.bigint() - t0) / ops;
      if (r >= 0) samples.get(v.name).push(ns);
    }
  }
  return summarize(samples);
}

function summarize(samples) {
  const out = {};
  for (const [name, xs] of samples) {
    out[name] = { median: median(xs), p25: quantile(xs, 0.25), p75: quantile(xs, 0.75), samples: xs };
  }
  return out;
}

/** Median over rounds of `a[i] / b[i]`: paired, so a slow round affects both sides. */
export function pairedRatio(result, a, b) {
  const xs = result[a].samples;
  const ys = result[b].samples;
  return median(xs.map((x, i) => x / ys[i]));
}

/** Median over rounds of `a[i] - b[i]`. */
export function pairedDiff(result, a, b) {
  const xs = result[a].samples;
  const ys = result[b].samples;
  return median(xs.map((x, i) => x - ys[i]));
}

/** CPU time of this thread (user + system), in ms: the part of a loop gap the thread itself ran. */
function threadCpuMs() {
  const u = process.threadCpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * Measures the longest event-loop stall while `work()` runs with a
 * setImmediate-gap probe: the longest time the loop did not get round to a
 * queued setImmediate, which every phase of a turn (timers, I/O callbacks,
 * the work itself) delays. `monitorEventLoopDelay` is not used: its `max` is
 * the interval between two of its timer callbacks, so it carries part of its
 * own resolution (measured on Node 24 at resolution 10: an idle loop reads
 * 10.5 ms, a 5 ms busy wait 14.2 ms, a 15 ms one 18.5–25.5 ms, where this
 * probe reads 5.2 and 15.5 ms).
 * `maxGapCpuMs` is the most main-thread CPU time spent between two probe
 * turns: a wall-clock gap also holds time the OS ran other threads instead
 * (the client, GC helpers, the kernel's loopback work) on a small machine.
 */
export async function withLoopProbe(work) {
  let maxGap = 0;
  let maxGapCpu = 0;
  let last = performance.now();
  let lastCpu = threadCpuMs();
  let running = true;
  const tick = () => {
    const now = performance.now();
    const cpu = threadCpuMs();
    if (now - last > maxGap) maxGap = now - last;
    if (cpu - lastCpu > maxGapCpu) maxGapCpu = cpu - lastCpu;
    last = now;
    lastCpu = cpu;
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  // GC pauses during the work, so a long stall can be told apart from a slow serializer.
  let maxGcMs = 0;
  const gcs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (e.duration > maxGcMs) maxGcMs = e.duration;
  });
  gcs.observe({ entryTypes: ['gc'] });
  const t0 = performance.now();
  let value;
  try {
    value = await work();
  } finally {
    const wall = performance.now() - t0;
    running = false;
    // One more turn so the probe sees the tail of the work (and GC entries are delivered).
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 0));
    gcs.disconnect();
    value = { value, wallMs: wall };
  }
  return {
    ...value,
    maxGapMs: maxGap,
    maxGapCpuMs: maxGapCpu,
    maxGcMs,
  };
}

export function fmtNs(ns) {
  if (!Number.isFinite(ns)) return 'n/a';
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(2)} µs`;
  return `${ns.toFixed(0)} ns`;
}

export function fmtMs(ms) {
  if (!Number.isFinite(ms)) return 'n/a';
  return ms >= 100 ? `${ms.toFixed(0)} ms` : `${ms.toFixed(1)} ms`;
}

export function fmtBytes(b) {
  if (!Number.isFinite(b)) return 'n/a';
  if (b >= 1 << 20) return `${(b / (1 << 20)).toFixed(2)} MiB`;
  if (b >= 1 << 10) return `${(b / (1 << 10)).toFixed(1)} KiB`;
  return `${Math.round(b)} B`;
}

export const fmtX = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : 'n/a');

/**
 * The one thing a benchmark script prints for run.js: a section with tables,
 * notes and targets. `targets`: `[{ name, target, measured, met }]`.
 */
export function emit(section) {
  process.stdout.write(`\nBENCH_RESULT ${JSON.stringify(section)}\n`);
}

/**
 * Runs this benchmark file again in a fresh `node --expose-gc` child with
 * `env` added, and returns what the child passed to {@link childResult}.
 * For measurements whose JIT state must not be shared with other variants,
 * or that are repeated across processes so one slow minute or one unlucky
 * JIT decision does not decide the figure.
 */
export function inChild(fileUrl, env) {
  const r = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(fileUrl)], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    maxBuffer: 16 << 20,
  });
  const line = r.stdout.split('\n').find((l) => l.startsWith('CHILD_RESULT '));
  if (r.status !== 0 || !line) throw new Error(`${fileUrl} child ${JSON.stringify(env)} failed: ${r.stderr}`);
  return JSON.parse(line.slice('CHILD_RESULT '.length));
}

/** In a child started by {@link inChild}: hands `value` back to the parent. */
export function childResult(value) {
  process.stdout.write(`\nCHILD_RESULT ${JSON.stringify(value)}\n`);
}
