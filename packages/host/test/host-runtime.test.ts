import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type HostMetricsHandle, registerHostMetrics } from '../src/index.js';
import { parseSmiComputeApps, parseSmiGpuCsv, parseSmiNumber } from '../src/nvidia-smi-source.js';
import { parseProcNetDev } from '../src/proc-net-dev.js';
import { collectAll, FIXTURES, testProvider } from './helpers.js';

const NET_FIXTURE = join(FIXTURES, 'proc-net-dev.txt');
let handle: HostMetricsHandle | undefined;
afterEach(async () => {
  await handle?.stop();
  handle = undefined;
});

describe('host, process and runtime groups', () => {
  it('reports semconv names, kinds and units; network from /proc/net/dev without a shell', async () => {
    const { provider, reader } = testProvider();
    handle = registerHostMetrics({ meterProvider: provider, gpu: false, procNetDevPath: NET_FIXTURE });
    await handle.ready;
    const m = await collectAll(reader);
    const shape = (name: string) => ({ unit: m.get(name)?.unit, type: m.get(name)?.type });
    expect(shape('system.cpu.time')).toEqual({ unit: 's', type: 'OBSERVABLE_COUNTER' });
    expect(shape('system.cpu.utilization')).toEqual({ unit: '1', type: 'OBSERVABLE_GAUGE' });
    expect(shape('system.memory.usage')).toEqual({ unit: 'By', type: 'OBSERVABLE_UP_DOWN_COUNTER' });
    expect(shape('system.memory.utilization')).toEqual({ unit: '1', type: 'OBSERVABLE_GAUGE' });
    expect(shape('system.memory.limit')).toEqual({ unit: 'By', type: 'OBSERVABLE_UP_DOWN_COUNTER' });
    expect(shape('process.cpu.time')).toEqual({ unit: 's', type: 'OBSERVABLE_COUNTER' });
    expect(shape('process.cpu.utilization')).toEqual({ unit: '1', type: 'OBSERVABLE_GAUGE' });
    expect(shape('process.memory.usage')).toEqual({ unit: 'By', type: 'OBSERVABLE_UP_DOWN_COUNTER' });
    expect(shape('system.network.io')).toEqual({ unit: 'By', type: 'OBSERVABLE_COUNTER' });

    const cpu = m.get('system.cpu.time')?.points[0]?.attributes;
    expect(typeof cpu?.['cpu.logical_number']).toBe('number');
    expect(
      m
        .get('system.memory.usage')
        ?.points.map((p) => p.attributes['system.memory.state'])
        .sort(),
    ).toEqual(['free', 'used']);
    const io = m.get('system.network.io')?.points ?? [];
    const eth0rx = io.find(
      (p) =>
        p.attributes['network.interface.name'] === 'eth0' &&
        p.attributes['network.io.direction'] === 'receive',
    );
    expect(eth0rx?.value).toBe(123456789);
    const eth0txDrop = m
      .get('system.network.packet.dropped')
      ?.points.find(
        (p) =>
          p.attributes['network.interface.name'] === 'eth0' &&
          p.attributes['network.io.direction'] === 'transmit',
      );
    expect(eth0txDrop?.value).toBe(5);
    expect(m.get('system.network.errors')?.points).toHaveLength(4);
    expect(m.has('system.device')).toBe(false);

    expect(m.get('process.memory.usage')?.points[0]?.value).toBeGreaterThan(0);
    for (const name of ['nodejs.eventloop.time', 'v8js.memory.heap.used', 'v8js.memory.heap.space.size']) {
      expect(m.get(name)?.points.length, name).toBeGreaterThan(0);
    }
    expect(m.get('v8js.memory.heap.used')?.unit).toBe('By');
  });

  it('two readers share one utilization window instead of splitting it', async () => {
    const a = testProvider();
    handle = registerHostMetrics({
      meterProvider: a.provider,
      gpu: false,
      runtime: true,
      procNetDevPath: NET_FIXTURE,
    });
    await handle.ready;
    await handle.sampleNow();
    const first = await collectAll(a.reader);
    const second = await collectAll(a.reader); // a scraper right after an OTLP push
    const util = (m: typeof first, name: string) => m.get(name)?.points.map((p) => p.value);
    expect(util(second, 'system.cpu.utilization')).toEqual(util(first, 'system.cpu.utilization'));
    expect(util(second, 'process.cpu.utilization')).toEqual(util(first, 'process.cpu.utilization'));
    expect(util(second, 'nodejs.eventloop.utilization')).toEqual(util(first, 'nodejs.eventloop.utilization'));
  });

  it('each group can be turned off, and stop() removes every callback', async () => {
    const { provider, reader } = testProvider();
    handle = registerHostMetrics({
      meterProvider: provider,
      host: false,
      process: true,
      runtime: false,
      gpu: false,
      procNetDevPath: NET_FIXTURE,
    });
    await handle.ready;
    const names = [...(await collectAll(reader)).keys()].sort();
    expect(names).toEqual(['process.cpu.time', 'process.cpu.utilization', 'process.memory.usage']);
    await handle.stop();
    const { provider: p2, reader: r2 } = testProvider();
    const h2 = registerHostMetrics({ meterProvider: p2, gpu: false, procNetDevPath: NET_FIXTURE });
    await h2.ready;
    await h2.stop();
    expect(
      [...(await collectAll(r2)).values()].every((m) => m.points.length === 0 || m.type === 'HISTOGRAM'),
    ).toBe(true);
  });
});

describe('parsers', () => {
  it('parses /proc/net/dev', () => {
    const rows = parseProcNetDev(readFileSync(NET_FIXTURE, 'utf8'));
    expect(rows).toEqual([
      {
        iface: 'lo',
        rxBytes: 1000,
        rxPackets: 10,
        rxErrors: 0,
        rxDropped: 0,
        txBytes: 1000,
        txPackets: 10,
        txErrors: 0,
        txDropped: 0,
      },
      {
        iface: 'eth0',
        rxBytes: 123456789,
        rxPackets: 9876,
        rxErrors: 2,
        rxDropped: 3,
        txBytes: 987654321,
        txPackets: 5432,
        txErrors: 4,
        txDropped: 5,
      },
    ]);
  });

  it('treats nvidia-smi placeholders as missing', () => {
    for (const raw of ['[N/A]', 'N/A', '[Not Supported]', '[Unknown Error]', '', ' ', 'abc', undefined]) {
      expect(parseSmiNumber(raw), String(raw)).toBeUndefined();
    }
    expect(parseSmiNumber(' 250.50 ')).toBe(250.5);
    expect(parseSmiGpuCsv('0, GPU-x, Name\n\n[N/A], GPU-y, a, b, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1')).toEqual(
      [],
    );
    const apps = parseSmiComputeApps('7, GPU-a, 10\n7, GPU-a, 5\n8, GPU-a, 100\n7, GPU-b, [N/A]\n', 7);
    expect([...apps]).toEqual([['GPU-a', 15 * 1024 * 1024]]);
  });
});
