import { execFile } from 'node:child_process';
import type { GpuDeviceSample, GpuSource, GpuSweepResult } from './gpu-types.js';

/** Field list from semconv.md §5; order matters for parsing. */
export const SMI_GPU_FIELDS = [
  'index',
  'uuid',
  'name',
  'driver_version',
  'utilization.gpu',
  'utilization.memory',
  'memory.total',
  'memory.reserved',
  'memory.used',
  'memory.free',
  'temperature.gpu',
  'power.draw',
  'power.limit',
  'clocks.sm',
  'clocks.mem',
] as const;

const MIB = 1024 * 1024;
const MHZ = 1e6;

export interface NvidiaSmiOptions {
  /** Executable; resolved through PATH when bare. @default 'nvidia-smi' */
  command?: string;
  /** Per spawn; the child is killed after it. @default 5000 */
  timeoutMillis?: number;
  /** Process whose GPU memory is reported. @default process.pid */
  pid?: number;
}

function run(command: string, args: string[], timeout: number): Promise<string> {
  return new Promise((resolve, reject) => {
    // execFile, never a shell: no quoting issues, no extra process.
    execFile(
      command,
      args,
      { timeout, killSignal: 'SIGKILL', maxBuffer: 1024 * 1024, windowsHide: true },
      (err, stdout) => (err ? reject(err) : resolve(stdout)),
    );
  });
}

/** `[N/A]`, `N/A`, `[Not Supported]`, any bracketed text, empty or non-numeric → undefined. */
export function parseSmiNumber(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const v = raw.trim();
  if (v === '' || v.startsWith('[') || /^n\/?a$/i.test(v)) return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

function parseSmiText(raw: string | undefined): string | undefined {
  const v = raw?.trim();
  if (!v || v.startsWith('[') || /^n\/?a$/i.test(v)) return undefined;
  return v;
}

/** Parses `--query-gpu` CSV (noheader, nounits). Malformed lines are skipped, never thrown on. */
export function parseSmiGpuCsv(text: string): GpuDeviceSample[] {
  const out: GpuDeviceSample[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim()) continue;
    const cols = line.split(',').map((c) => c.trim());
    if (cols.length < SMI_GPU_FIELDS.length) continue;
    const get = (field: (typeof SMI_GPU_FIELDS)[number]) => cols[SMI_GPU_FIELDS.indexOf(field)];
    const index = parseSmiNumber(get('index'));
    const uuid = parseSmiText(get('uuid'));
    if (index === undefined || uuid === undefined) continue;
    const mib = (f: (typeof SMI_GPU_FIELDS)[number]) => {
      const n = parseSmiNumber(get(f));
      return n === undefined ? undefined : n * MIB;
    };
    const pct = (f: (typeof SMI_GPU_FIELDS)[number]) => {
      const n = parseSmiNumber(get(f));
      return n === undefined ? undefined : n / 100;
    };
    const mhz = (f: (typeof SMI_GPU_FIELDS)[number]) => {
      const n = parseSmiNumber(get(f));
      return n === undefined ? undefined : n * MHZ;
    };
    const temperature = parseSmiNumber(get('temperature.gpu'));
    out.push({
      index,
      uuid,
      vendor: 'NVIDIA',
      model: parseSmiText(get('name')),
      driverVersion: parseSmiText(get('driver_version')),
      utilization: { general: pct('utilization.gpu') },
      memory: { total: mib('memory.total'), reserved: mib('memory.reserved'), used: mib('memory.used') },
      temperatures: temperature === undefined ? {} : { gpu: temperature },
      power: parseSmiNumber(get('power.draw')),
      clocks: { sm: mhz('clocks.sm'), memory: mhz('clocks.mem') },
      unsupported: [],
    });
  }
  return out;
}

/** Sums `--query-compute-apps=pid,gpu_uuid,used_memory` (MiB) per GPU UUID for one pid. */
export function parseSmiComputeApps(text: string, pid: number): Map<string, number> {
  const byGpu = new Map<string, number>();
  for (const line of text.split(/\r?\n/)) {
    const [p, uuid, mem] = line.split(',').map((c) => c.trim());
    if (!uuid || parseSmiNumber(p) !== pid) continue;
    const mib = parseSmiNumber(mem);
    if (mib === undefined) continue;
    byGpu.set(uuid, (byGpu.get(uuid) ?? 0) + mib * MIB);
  }
  return byGpu;
}

/**
 * Fallback when NVML cannot be loaded: two asynchronous spawns per sweep
 * (GPUs, then compute apps). Slower by orders of magnitude (see bench/) and
 * its CSV is not a stable interface, hence only a fallback.
 */
export class NvidiaSmiSource implements GpuSource {
  readonly kind = 'nvidia-smi' as const;
  private readonly command: string;
  private readonly timeout: number;
  private readonly pid: number;

  constructor(options: NvidiaSmiOptions = {}) {
    this.command = options.command ?? 'nvidia-smi';
    this.timeout = options.timeoutMillis ?? 5000;
    this.pid = options.pid ?? process.pid;
  }

  /** Runs one query to prove the binary works; rejects otherwise. */
  static async open(options: NvidiaSmiOptions = {}): Promise<NvidiaSmiSource> {
    const source = new NvidiaSmiSource(options);
    await source.sweep();
    return source;
  }

  async sweep(): Promise<GpuSweepResult> {
    const gpus = await run(
      this.command,
      [`--query-gpu=${SMI_GPU_FIELDS.join(',')}`, '--format=csv,noheader,nounits'],
      this.timeout,
    );
    const devices = parseSmiGpuCsv(gpus);
    let apps: Map<string, number> | undefined;
    try {
      apps = parseSmiComputeApps(
        await run(
          this.command,
          ['--query-compute-apps=pid,gpu_uuid,used_memory', '--format=csv,noheader,nounits'],
          this.timeout,
        ),
        this.pid,
      );
    } catch {
      apps = undefined; // process memory is then unknown, the GPU gauges still stand
    }
    for (const d of devices) {
      if (apps) d.processMemory = apps.get(d.uuid) ?? 0;
      else d.unsupported.push('process.memory');
    }
    return { devices, problems: [] };
  }

  async close(): Promise<void> {}
}
