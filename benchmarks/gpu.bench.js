// 5. One full GPU sweep through NVML via FFI (koffi, against the fake
// libnvidia-ml.so.1 the host tests build) vs one nvidia-smi sweep (the fake
// script, the same two spawns the fallback does), with repetitions and
// medians. Needs `cc`. Measures our FFI/spawn overhead, not a
// real driver.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { emit, fmtNs, fmtX, median, QUICK } from './lib/harness.js';

// The sources are internal to @tokenmeter/host (not exported): load the built files.
const require = createRequire(import.meta.url);
const hostRoot = dirname(dirname(require.resolve('@tokenmeter/host')));
const { NvmlSource } = await import(pathToFileURL(join(hostRoot, 'dist', 'nvml-source.js')).href);
const { NvidiaSmiSource } = await import(pathToFileURL(join(hostRoot, 'dist', 'nvidia-smi-source.js')).href);

const out = join(dirname(fileURLToPath(import.meta.url)), '.cache');
mkdirSync(out, { recursive: true });
const lib = join(out, 'libnvidia-ml.so.1');
execFileSync('cc', ['-shared', '-fPIC', '-O2', '-o', lib, join(hostRoot, 'test', 'fixtures', 'fake-nvml.c')]);
const smi = join(out, 'nvidia-smi');
copyFileSync(join(hostRoot, 'test', 'fixtures', 'fake-nvidia-smi.sh'), smi);
chmodSync(smi, 0o755);
process.env.FAKE_NVML_PROC_PID = String(process.pid);

async function timeRounds(fn, { perRound, rounds }) {
  for (let i = 0; i < Math.min(20, perRound); i++) await fn();
  const xs = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < perRound; i++) await fn();
    xs.push(Number(process.hrtime.bigint() - t0) / perRound);
  }
  return median(xs);
}

const rounds = QUICK ? 3 : 9;
const rows = [];
const res = {};
for (const gpus of [2, 8]) {
  process.env.FAKE_NVML_GPU_COUNT = String(gpus);
  const sync = await NvmlSource.open(lib, 'sync');
  res[`sync${gpus}`] = await timeRounds(() => sync.sweep(), { perRound: QUICK ? 100 : 500, rounds });
  await sync.close();
  const asyncSrc = await NvmlSource.open(lib, 'async');
  res[`async${gpus}`] = await timeRounds(() => asyncSrc.sweep(), { perRound: QUICK ? 20 : 100, rounds });
  await asyncSrc.close();
  rows.push([
    `NVML via koffi, main thread (\`nvmlCallMode: 'sync'\`), ${gpus} GPUs`,
    fmtNs(res[`sync${gpus}`]),
  ]);
  rows.push([
    `NVML via koffi, worker thread (\`'async'\`, default), ${gpus} GPUs`,
    fmtNs(res[`async${gpus}`]),
  ]);
}
const smiSrc = new NvidiaSmiSource({ command: smi });
res.smi = await timeRounds(() => smiSrc.sweep(), { perRound: QUICK ? 5 : 20, rounds });
rows.push(['nvidia-smi fallback (fake script, 2 GPUs, 2 spawns)', fmtNs(res.smi)]);

emit({
  id: 'gpu',
  title: '5. GPU sweep: NVML via FFI vs nvidia-smi spawn',
  intro:
    'One sweep = every GPU metric for every GPU. NVML: the fake `libnvidia-ml.so.1` built from `packages/host/test/fixtures/fake-nvml.c` (returns at once, so this is our FFI and bookkeeping cost). nvidia-smi: `packages/host/test/fixtures/fake-nvidia-smi.sh` (prints canned CSV for 2 GPUs), i.e. the spawn cost; a real nvidia-smi also loads and initialises NVML on every run (not measurable here: no GPU).',
  tables: [{ columns: ['source', 'median per sweep'], rows }],
  notes: [
    `nvidia-smi / NVML sync (2 GPUs): ${fmtX(res.smi / res.sync2)}; nvidia-smi / NVML async (2 GPUs): ${fmtX(res.smi / res.async2)}.`,
  ],
  raw: res,
});
