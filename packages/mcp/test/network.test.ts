import { randomUUID } from 'node:crypto';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { createLlmMetrics } from '@tokenmeter/llm';
import {
  assertWithin,
  createTestMeterProvider,
  MCP_CLIENT_OPERATION,
  MCP_CLIENT_SESSION,
  MCP_SERVER_OPERATION,
  MCP_SERVER_SESSION,
} from '@tokenmeter/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instrumentMcpClient, instrumentMcpServer } from '../src/index.js';
import { demoServer, SEARCH_MS } from './servers.js';

const V = LATEST_PROTOCOL_VERSION;
const newClient = (meterProvider = createTestMeterProvider().meterProvider) =>
  instrumentMcpClient(new Client({ name: 'test-client', version: '1.0.0' }), {
    llm: createLlmMetrics({ meterProvider }),
  });

describe('Streamable HTTP: a real HTTP server and client on loopback', () => {
  const s = createTestMeterProvider();
  const serverLlm = createLlmMetrics({ meterProvider: s.meterProvider });
  const transports = new Map<string, StreamableHTTPServerTransport>();
  let http: HttpServer;
  let url: URL;

  beforeAll(async () => {
    // A stateful server as the SDK documents it: one McpServer and transport per session.
    http = createServer(async (req, res) => {
      const id = req.headers['mcp-session-id'];
      let transport = typeof id === 'string' ? transports.get(id) : undefined;
      if (!transport) {
        const created: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
          sessionIdGenerator: () => randomUUID(),
          onsessioninitialized: (sid: string): void => {
            transports.set(sid, created);
          },
        });
        await instrumentMcpServer(demoServer(), { llm: serverLlm }).connect(created);
        transport = created;
      }
      await transport.handleRequest(req, res);
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    url = new URL(`http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`);
  });
  afterAll(async () => {
    for (const t of transports.values()) await t.close();
    await new Promise((resolve) => http.close(resolve));
  });

  it('server.address/port, tcp and http on the client; the HTTP version on the server; both sessions', async () => {
    const c = createTestMeterProvider();
    const client = newClient(c.meterProvider);
    const transport = new StreamableHTTPClientTransport(url);
    await client.connect(transport);
    // Twice: the first call on a fresh server also pays for compiling its schemas; the faster one is judged.
    for (const q of ['x', 'y']) await client.callTool({ name: 'search', arguments: { q } });
    const port = Number(url.port);

    const [sent] = await c.histogram(MCP_CLIENT_OPERATION, { 'mcp.method.name': 'tools/call' });
    expect(sent?.attributes).toEqual({
      'mcp.method.name': 'tools/call',
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'search',
      'mcp.protocol.version': V,
      'network.transport': 'tcp',
      'network.protocol.name': 'http',
      'server.address': '127.0.0.1',
      'server.port': port,
    });
    expect(sent?.count).toBe(2);
    assertWithin(sent?.min, SEARCH_MS);
    const [served] = await s.histogram(MCP_SERVER_OPERATION, { 'mcp.method.name': 'tools/call' });
    expect(served?.attributes).toEqual({
      'mcp.method.name': 'tools/call',
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'search',
      'mcp.protocol.version': V,
      'network.transport': 'tcp',
      'network.protocol.name': 'http',
      'network.protocol.version': '1.1',
    });
    assertWithin(served?.min, SEARCH_MS);
    // The initialized notification is acknowledged by the server's 202: timed on the client.
    expect(
      (await c.histogram(MCP_CLIENT_OPERATION, { 'mcp.method.name': 'notifications/initialized' })).length,
    ).toBe(1);

    // Ending the session: DELETE closes the server's transport; close() the client's.
    await transport.terminateSession();
    await client.close();
    const [clientSession] = await c.histogram(MCP_CLIENT_SESSION);
    expect(clientSession?.attributes).toEqual({
      'mcp.protocol.version': V,
      'network.protocol.name': 'http',
      'server.address': '127.0.0.1',
      'server.port': port,
    });
    await expect.poll(async () => (await s.histogram(MCP_SERVER_SESSION)).map((p) => p.count)).toEqual([1]);
    const [serverSession] = await s.histogram(MCP_SERVER_SESSION);
    expect(serverSession?.attributes).toEqual({ 'mcp.protocol.version': V, 'network.protocol.name': 'http' });
  });

  it('a refused connection: initialize fails with ECONNREFUSED, and so does the session', async () => {
    const c = createTestMeterProvider();
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const client = newClient(c.meterProvider);
    await expect(
      client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`))),
    ).rejects.toThrow();
    await client.close();
    const [init] = await c.histogram(MCP_CLIENT_OPERATION, { 'mcp.method.name': 'initialize' });
    expect(init?.attributes['error.type']).toBe('ECONNREFUSED');
    expect(init?.attributes['server.port']).toBe(port);
    await expect.poll(async () => (await c.histogram(MCP_CLIENT_SESSION)).length).toBe(1);
    const [session] = await c.histogram(MCP_CLIENT_SESSION);
    expect(session?.attributes['error.type']).toBe('ECONNREFUSED');
  });
});

describe('stdio: a server process on pipes', () => {
  it('network.transport=pipe, no protocol name, no server address', async () => {
    const c = createTestMeterProvider();
    const client = newClient(c.meterProvider);
    const fixture = fileURLToPath(new URL('./fixtures/stdio-server.mjs', import.meta.url));
    await client.connect(
      new StdioClientTransport({ command: process.execPath, args: [fixture], stderr: 'inherit' }),
    );
    const result = await client.callTool({ name: 'echo', arguments: { text: 'hi' } });
    expect(result.content).toEqual([{ type: 'text', text: 'hi' }]);
    await client.close();
    const [sent] = await c.histogram(MCP_CLIENT_OPERATION, { 'mcp.method.name': 'tools/call' });
    expect(sent?.attributes).toEqual({
      'mcp.method.name': 'tools/call',
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'echo',
      'mcp.protocol.version': V,
      'network.transport': 'pipe',
    });
    const [session] = await c.histogram(MCP_CLIENT_SESSION);
    expect(session?.attributes).toEqual({ 'mcp.protocol.version': V });
    expect(session?.count).toBe(1);
  });
});
