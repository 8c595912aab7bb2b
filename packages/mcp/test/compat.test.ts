import { createLlmMetrics } from '@tokenmeter/llm';
import {
  createTestMeterProvider,
  MCP_CLIENT_OPERATION,
  MCP_CLIENT_SESSION,
  MCP_SERVER_OPERATION,
  MCP_SERVER_SESSION,
} from '@tokenmeter/testkit';
import { Client } from 'mcp-sdk-v1-0/client/index.js';
import { InMemoryTransport } from 'mcp-sdk-v1-0/inMemory.js';
import { Server } from 'mcp-sdk-v1-0/server/index.js';
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, McpError } from 'mcp-sdk-v1-0/types.js';
import { describe, expect, it } from 'vitest';
import { instrumentMcpClient, instrumentMcpServer } from '../src/index.js';

// The oldest SDK the peer range admits (1.0.4, before McpServer, Streamable
// HTTP and setProtocolVersion): the low-level Server and Client over its
// in-memory transport. The current SDK is covered in depth by the other files.
describe('@modelcontextprotocol/sdk 1.0', () => {
  it('tools/call (ok, isError, a JSON-RPC error), tools/list and both sessions', async () => {
    const c = createTestMeterProvider();
    const s = createTestMeterProvider();
    const server = new Server({ name: 'old', version: '1.0.0' }, { capabilities: { tools: {} } });
    server.setRequestHandler(ListToolsRequestSchema, async () => ({
      tools: [{ name: 'ok', inputSchema: { type: 'object' } }],
    }));
    server.setRequestHandler(CallToolRequestSchema, async (req) => {
      if (req.params.name === 'ok') return { content: [{ type: 'text', text: 'fine' }] };
      if (req.params.name === 'bad') return { content: [{ type: 'text', text: 'no' }], isError: true };
      throw new McpError(ErrorCode.InternalError, 'broken');
    });
    instrumentMcpServer(server, { llm: createLlmMetrics({ meterProvider: s.meterProvider }) });
    const client = instrumentMcpClient(
      new Client({ name: 'old-client', version: '1.0.0' }, { capabilities: {} }),
      {
        llm: createLlmMetrics({ meterProvider: c.meterProvider }),
      },
    );
    const [ct, st] = InMemoryTransport.createLinkedPair();
    await server.connect(st);
    await client.connect(ct);
    await client.listTools();
    await client.callTool({ name: 'ok', arguments: {} });
    await client.callTool({ name: 'bad', arguments: {} });
    await expect(client.callTool({ name: 'boom', arguments: {} })).rejects.toThrow(/broken/);
    await client.close();

    for (const [t, name] of [
      [c, MCP_CLIENT_OPERATION],
      [s, MCP_SERVER_OPERATION],
    ] as const) {
      const calls = await t.histogram(name, { 'mcp.method.name': 'tools/call' });
      const byTool = Object.fromEntries(
        calls.map((p) => [p.attributes['gen_ai.tool.name'], p.attributes['error.type']]),
      );
      expect(byTool).toEqual({ ok: undefined, bad: 'tool_error', boom: '-32603' });
      // 1.0 negotiated the protocol version of its day.
      expect(calls[0]?.attributes['mcp.protocol.version']).toBe('2024-11-05');
      expect((await t.histogram(name, { 'mcp.method.name': 'tools/list' })).length).toBe(1);
    }
    expect((await c.histogram(MCP_CLIENT_SESSION)).map((p) => p.count)).toEqual([1]);
    expect((await s.histogram(MCP_SERVER_SESSION)).map((p) => p.count)).toEqual([1]);
  });
});
