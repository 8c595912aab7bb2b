import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { createLlmMetrics, type LlmMetrics } from '@tokenmeter/llm';
import { createTestMeterProvider, MCP_CLIENT_OPERATION, MCP_SERVER_OPERATION } from '@tokenmeter/testkit';
import { describe, expect, it } from 'vitest';
import {
  instrumentMcpClient,
  instrumentMcpServer,
  isMcpInstrumented,
  observeMcpTransport,
  uninstrumentMcp,
} from '../src/index.js';
import { demoServer } from './servers.js';

const newClient = () => new Client({ name: 'test-client', version: '1.0.0' });

async function pair(client: Client, server = demoServer()) {
  const [ct, st] = InMemoryTransport.createLinkedPair();
  await server.connect(st);
  await client.connect(ct);
  return { ct, st };
}

describe('instrumenting', () => {
  it('once per client: a second instrumentMcpClient records nothing twice', async () => {
    const t = createTestMeterProvider();
    const llm = createLlmMetrics({ meterProvider: t.meterProvider });
    const client = instrumentMcpClient(instrumentMcpClient(newClient(), { llm }), { llm });
    await pair(client);
    await client.callTool({ name: 'fail', arguments: {} });
    await client.close();
    expect(
      (await t.histogram(MCP_CLIENT_OPERATION, { 'gen_ai.tool.name': 'fail' })).map((p) => p.count),
    ).toEqual([1]);
  });

  it('uninstrumentMcp restores connect; the next connection is not measured', async () => {
    const t = createTestMeterProvider();
    const client = instrumentMcpClient(newClient(), {
      llm: createLlmMetrics({ meterProvider: t.meterProvider }),
    });
    expect(isMcpInstrumented(client)).toBe(true);
    expect(Object.hasOwn(client, 'connect')).toBe(true);
    uninstrumentMcp(client);
    expect(isMcpInstrumented(client)).toBe(false);
    expect(Object.hasOwn(client, 'connect')).toBe(false);
    await pair(client);
    await client.callTool({ name: 'fail', arguments: {} });
    await client.close();
    expect(await t.names()).not.toContain(MCP_CLIENT_OPERATION);
  });

  it('observeMcpTransport: the same measurements on a transport given to connect() by hand', async () => {
    const t = createTestMeterProvider();
    const llm = createLlmMetrics({ meterProvider: t.meterProvider });
    const [ct, st] = InMemoryTransport.createLinkedPair();
    await instrumentMcpServer(demoServer(), {
      llm: createLlmMetrics({ meterProvider: createTestMeterProvider().meterProvider }),
    }).connect(st);
    const client = newClient();
    await client.connect(
      observeMcpTransport(ct, {
        role: 'client',
        llm,
        networkTransport: 'tcp',
        serverAddress: 'mcp.internal',
        serverPort: 9000,
      }),
    );
    await client.listTools();
    await client.close();
    const [p] = await t.histogram(MCP_CLIENT_OPERATION, { 'mcp.method.name': 'tools/list' });
    expect(p?.attributes).toMatchObject({
      'network.transport': 'tcp',
      'server.address': 'mcp.internal',
      'server.port': 9000,
    });
    expect(() => observeMcpTransport(ct, { role: 'peer' as never })).toThrow(TypeError);
  });

  it('telemetry that throws never reaches the client, the server or their results', async () => {
    const bug = () => {
      throw new Error('telemetry bug');
    };
    const throwing = { startMcpOperation: bug, startMcpSession: bug } as unknown as LlmMetrics;
    const handles = {
      startMcpOperation: () => ({ ended: false, end: bug, fail: bug }),
      startMcpSession: () => ({ ended: false, end: bug, fail: bug }),
    } as unknown as LlmMetrics;
    for (const llm of [throwing, handles]) {
      const client = instrumentMcpClient(newClient(), { llm });
      await pair(client, instrumentMcpServer(demoServer(), { llm }));
      const ok = await client.callTool({ name: 'search', arguments: { q: 'a' } });
      expect(ok.content).toEqual([{ type: 'text', text: 'results for a' }]);
      await expect(client.getPrompt({ name: 'nope' })).rejects.toThrow(/not found/);
      await client.close();
    }
  });

  it('a server measures the requests it receives and the ones it sends (sampling) as the initiator', async () => {
    const c = createTestMeterProvider();
    const s = createTestMeterProvider();
    const server = instrumentMcpServer(demoServer(), {
      llm: createLlmMetrics({ meterProvider: s.meterProvider }),
    });
    const client = instrumentMcpClient(
      new Client({ name: 'c', version: '1' }, { capabilities: { roots: {} } }),
      {
        llm: createLlmMetrics({ meterProvider: c.meterProvider }),
      },
    );
    const { ListRootsRequestSchema } = await import('@modelcontextprotocol/sdk/types.js');
    client.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: [] }));
    await pair(client, server);
    // The server asks the client for its roots: the server is the sender here.
    expect((await server.server.listRoots()).roots).toEqual([]);
    await client.close();
    const sent = await s.histogram(MCP_CLIENT_OPERATION, { 'mcp.method.name': 'roots/list' });
    const served = await c.histogram(MCP_SERVER_OPERATION, { 'mcp.method.name': 'roots/list' });
    expect(sent.map((p) => p.count)).toEqual([1]);
    expect(served.map((p) => p.count)).toEqual([1]);
  });
});
