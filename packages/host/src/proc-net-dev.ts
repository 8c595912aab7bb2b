import { readFile } from 'node:fs/promises';

export interface NetDevCounters {
  iface: string;
  rxBytes: number;
  rxPackets: number;
  rxErrors: number;
  rxDropped: number;
  txBytes: number;
  txPackets: number;
  txErrors: number;
  txDropped: number;
}

/** Parses Linux /proc/net/dev. Header and malformed lines are skipped. */
export function parseProcNetDev(text: string): NetDevCounters[] {
  const out: NetDevCounters[] = [];
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon === -1) continue;
    const iface = line.slice(0, colon).trim();
    const f = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
      .map(Number);
    if (!iface || f.length < 16 || f.some((n) => !Number.isFinite(n))) continue;
    out.push({
      iface,
      rxBytes: f[0]!,
      rxPackets: f[1]!,
      rxErrors: f[2]!,
      rxDropped: f[3]!,
      txBytes: f[8]!,
      txPackets: f[9]!,
      txErrors: f[10]!,
      txDropped: f[11]!,
    });
  }
  return out;
}

/**
 * Replaces the OTel host-metrics network group, which runs a blocking
 * `execSync('ip route …')` through a shell on every collection: one async
 * read of a procfs file, no child process. Non-Linux → empty list.
 */
export async function readProcNetDev(path = '/proc/net/dev'): Promise<NetDevCounters[]> {
  try {
    return parseProcNetDev(await readFile(path, 'utf8'));
  } catch {
    return [];
  }
}
