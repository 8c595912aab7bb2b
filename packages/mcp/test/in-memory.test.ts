import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { createLlmMetrics } from '@tokenmeter/llm';
import {
  assertWithin,
  createTestMeterProvider,
  MCP_CLIENT_OPERATION,
  MCP_CLIENT_SESSION,
  MCP_SERVER_OPERATION,
  MCP_SERVER_SESSION,
  type TestMeterProvider,
} from '@tokenmeter/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { instrumentMcpClient, instrumentMcpServer } from '../src/index.js';
import { demoServer, SEARCH_MS } from './servers.js';

// Client and server in one process over the SDK's in-memory transport, each
// recording into its own provider as two processes would.
let open: { client: Client; close: () => Promise<void> }[] = [];

async function connect() {
  const c = createTestMeterProvider();
  const s = createTestMeterProvider();
  const server = instrumentMcpServer(demoServer(), {
    llm: createLlmMetrics({ meterProvider: s.meterProvider }),
  });
  const client = instrumentMcpClient(new Client({ name: 'test-client', version: '1.0.0' }), {
    llm: createLlmMetrics({ meterProvider: c.meterProvider }),
  });
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await server.connect(serverTransport);
  const connectedAt = performance.now();
  await client.connect(clientTransport);
  const entry = { client, close: () => client.close() };
  open.push(entry);
  return { client, c, s, connectedAt };
}

afterEach(async () => {
  for (const o of open) await o.close();
  open = [];
});

const V = LATEST_PROTOCOL_VERSION;

async function ops(t: TestMeterProvider, name: string, match: Record<string, unknown> = {}) {
  return t.histogram(name, match);
}

describe('@modelcontextprotocol/sdk over the in-memory transport', () => {
  it('tools/call: the tool name, execute_tool, the negotiated version, no network attributes', async () => {
    const { client, c, s } = await connect();
    const result = await client.callTool({ name: 'search', arguments: { q: 'otel' } });
    expect(result.content).toEqual([{ type: 'text', text: 'results for otel' }]);

    const [sent] = await ops(c, MCP_CLIENT_OPERATION, { 'mcp.method.name': 'tools/call' });
    expect(sent?.attributes).toEqual({
      'mcp.method.name': 'tools/call',
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'search',
      'mcp.protocol.version': V,
    });
    expect(sent?.count).toBe(1);
    assertWithin(sent?.sum, SEARCH_MS);
    const [served] = await ops(s, MCP_SERVER_OPERATION, { 'mcp.method.name': 'tools/call' });
    expect(served?.attributes).toEqual(sent?.attributes);
    assertWithin(served?.sum, SEARCH_MS);
  });

  it('the handshake: initialize both ways, notifications/initialized only where it was sent', async () => {
    const { c, s } = await connect();
    const init = { 'mcp.method.name': 'initialize', 'mcp.protocol.version': V, 'error.type': null };
    expect((await ops(c, MCP_CLIENT_OPERATION, init)).map((p) => p.count)).toEqual([1]);
    expect((await ops(s, MCP_SERVER_OPERATION, init)).map((p) => p.count)).toEqual([1]);
    const initialized = { 'mcp.method.name': 'notifications/initialized' };
    expect((await ops(c, MCP_CLIENT_OPERATION, initialized)).map((p) => p.count)).toEqual([1]);
    // A received notification has no response or ack to time.
    expect(await ops(s, MCP_SERVER_OPERATION, initialized)).toEqual([]);
    // No tool, prompt or execute_tool on anything but tools/call and prompts.
    const all = await ops(c, MCP_CLIENT_OPERATION);
    for (const p of all) expect(p.attributes['gen_ai.operation.name']).toBeUndefined();
  });

  it('an isError tool result is tool_error; a tool error is not a JSON-RPC error', async () => {
    const { client, c, s } = await connect();
    const result = await client.callTool({ name: 'fail', arguments: {} });
    expect(result.isError).toBe(true);
    for (const [t, name] of [
      [c, MCP_CLIENT_OPERATION],
      [s, MCP_SERVER_OPERATION],
    ] as const) {
      const [p] = await ops(t, name, { 'gen_ai.tool.name': 'fail' });
      expect(p?.attributes['error.type']).toBe('tool_error');
      expect(p?.attributes['rpc.response.status_code']).toBeUndefined();
    }
  });

  it('tools/list, resources/read and prompts/get, with the prompt name', async () => {
    const { client, c, s } = await connect();
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['search', 'fail', 'slow']);
    expect((await client.readResource({ uri: 'doc://readme' })).contents).toHaveLength(1);
    await client.getPrompt({ name: 'greet', arguments: { name: 'Ada' } });
    for (const [t, name] of [
      [c, MCP_CLIENT_OPERATION],
      [s, MCP_SERVER_OPERATION],
    ] as const) {
      const byMethod = new Map(
        (await ops(t, name)).map((p) => [p.attributes['mcp.method.name'], p.attributes]),
      );
      expect(byMethod.get('tools/list')).toEqual({
        'mcp.method.name': 'tools/list',
        'mcp.protocol.version': V,
      });
      // The resource's URI is not an attribute (opt-in in the conventions: unbounded).
      expect(byMethod.get('resources/read')).toEqual({
        'mcp.method.name': 'resources/read',
        'mcp.protocol.version': V,
      });
      expect(byMethod.get('prompts/get')).toEqual({
        'mcp.method.name': 'prompts/get',
        'gen_ai.prompt.name': 'greet',
        'mcp.protocol.version': V,
      });
    }
  });

  it('JSON-RPC errors: the code on both sides; the caller mistake is no error on the server', async () => {
    const { client, c, s } = await connect();
    // A resource whose read callback throws: the server answers -32603 (internal error).
    await expect(client.readResource({ uri: 'doc://broken' })).rejects.toThrow(/disk failure/);
    // An unknown prompt: -32602 (invalid params), the caller's mistake.
    await expect(client.getPrompt({ name: 'nope' })).rejects.toThrow(/not found/);

    const broken = { 'mcp.method.name': 'resources/read', 'rpc.response.status_code': '-32603' };
    expect((await ops(c, MCP_CLIENT_OPERATION, broken))[0]?.attributes['error.type']).toBe('-32603');
    expect((await ops(s, MCP_SERVER_OPERATION, broken))[0]?.attributes['error.type']).toBe('-32603');

    const unknown = { 'gen_ai.prompt.name': 'nope', 'rpc.response.status_code': '-32602' };
    expect((await ops(c, MCP_CLIENT_OPERATION, unknown))[0]?.attributes['error.type']).toBe('-32602');
    const [served] = await ops(s, MCP_SERVER_OPERATION, unknown);
    expect(served?.count).toBe(1);
    expect(served?.attributes['error.type']).toBeUndefined();
  });

  it('a request the server has no handler for: -32601, an error on the client only', async () => {
    const { client, c, s } = await connect();
    // The demo server completes nothing: no completion/complete handler.
    const complete = client.complete({
      ref: { type: 'ref/prompt', name: 'greet' },
      argument: { name: 'name', value: 'A' },
    });
    await expect(complete).rejects.toThrow(/Method not found/);
    const match = { 'mcp.method.name': 'completion/complete', 'rpc.response.status_code': '-32601' };
    const [sent] = await ops(c, MCP_CLIENT_OPERATION, match);
    // A completion of a prompt argument concerns that prompt.
    expect(sent?.attributes['gen_ai.prompt.name']).toBe('greet');
    expect(sent?.attributes['error.type']).toBe('-32601');
    const [served] = await ops(s, MCP_SERVER_OPERATION, match);
    expect(served?.count).toBe(1);
    expect(served?.attributes['error.type']).toBeUndefined();
  });

  it('a client timeout: timeout on both sides, when the SDK gives up', async () => {
    const { client, c, s } = await connect();
    const before = performance.now();
    await expect(
      client.callTool({ name: 'slow', arguments: { ms: 2000 } }, undefined, { timeout: 80 }),
    ).rejects.toThrow(/timed out/);
    const elapsed = performance.now() - before;
    const [sent] = await ops(c, MCP_CLIENT_OPERATION, { 'gen_ai.tool.name': 'slow' });
    expect(sent?.attributes['error.type']).toBe('timeout');
    expect(sent?.attributes['rpc.response.status_code']).toBeUndefined();
    assertWithin(sent?.sum, 80);
    expect((sent?.sum ?? 0) * 1000).toBeLessThanOrEqual(elapsed);
    // The server learns of it from notifications/cancelled, and stops its measurement there.
    await expect
      .poll(async () => (await ops(s, MCP_SERVER_OPERATION, { 'gen_ai.tool.name': 'slow' })).length)
      .toBe(1);
    const [served] = await ops(s, MCP_SERVER_OPERATION, { 'gen_ai.tool.name': 'slow' });
    expect(served?.attributes['error.type']).toBe('timeout');
    expect(served?.sum).toBeLessThan(1);
    expect(
      (await ops(c, MCP_CLIENT_OPERATION, { 'mcp.method.name': 'notifications/cancelled' })).length,
    ).toBe(1);
  });

  it('an AbortSignal cancels: cancelled', async () => {
    const { client, c } = await connect();
    const ac = new AbortController();
    const call = client.callTool({ name: 'slow', arguments: { ms: 2000 } }, undefined, { signal: ac.signal });
    setTimeout(() => ac.abort(), 30);
    await expect(call).rejects.toThrow();
    const [sent] = await ops(c, MCP_CLIENT_OPERATION, { 'gen_ai.tool.name': 'slow' });
    expect(sent?.attributes['error.type']).toBe('cancelled');
  });

  it('sessions: connect → close, on both sides, with the protocol version', async () => {
    const { client, c, s, connectedAt } = await connect();
    await new Promise((r) => setTimeout(r, 120));
    await client.close();
    const closedAt = performance.now();
    open = [];
    const [clientSession] = await ops(c, MCP_CLIENT_SESSION);
    expect(clientSession?.attributes).toEqual({ 'mcp.protocol.version': V });
    expect(clientSession?.count).toBe(1);
    expect(clientSession?.sum).toBeGreaterThanOrEqual(0.12);
    expect(clientSession?.sum ?? 1).toBeLessThanOrEqual((closedAt - connectedAt) / 1000 + 0.05);
    const [serverSession] = await ops(s, MCP_SERVER_SESSION);
    expect(serverSession?.attributes).toEqual({ 'mcp.protocol.version': V });
    expect(serverSession?.count).toBe(1);
  });

  it('closing with a request in flight: connection_closed', async () => {
    const { client, c, s } = await connect();
    const call = client.callTool({ name: 'slow', arguments: { ms: 2000 } });
    await new Promise((r) => setTimeout(r, 40));
    await client.close();
    open = [];
    await expect(call).rejects.toThrow(/closed/i);
    const [sent] = await ops(c, MCP_CLIENT_OPERATION, { 'gen_ai.tool.name': 'slow' });
    expect(sent?.attributes['error.type']).toBe('connection_closed');
    const [served] = await ops(s, MCP_SERVER_OPERATION, { 'gen_ai.tool.name': 'slow' });
    expect(served?.attributes['error.type']).toBe('connection_closed');
    // A session closed by its own side is not an error, whatever was in flight.
    expect((await ops(c, MCP_CLIENT_SESSION))[0]?.attributes['error.type']).toBeUndefined();
  });
});
