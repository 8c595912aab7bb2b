import { describe, expect, it } from 'vitest';
import { hist, points, rig } from './helpers.js';

describe('MCP durations', () => {
  it('operations: method, tool calls as execute_tool, JSON-RPC codes, measured on the monotonic clock', async () => {
    const r = rig();
    const conn = {
      side: 'client' as const,
      protocolVersion: '2025-06-18',
      serverAddress: 'mcp.local',
      serverPort: 8080,
    };
    const call = r.llm.startMcpOperation({
      ...conn,
      method: 'tools/call',
      toolName: 'search',
      transport: 'tcp',
    });
    r.clock.advance(250);
    call.end();
    const read = r.llm.startMcpOperation({ ...conn, method: 'resources/read' });
    r.clock.advance(40);
    read.end({ rpcErrorCode: -32002 });
    r.llm.startMcpOperation({ ...conn, method: 'tools/call', toolName: 'search' }).end({ toolError: true });
    const m = points(await r.metric('mcp.client.operation.duration'));
    const ok = m.find(
      (p) => p.attributes['mcp.method.name'] === 'tools/call' && !('error.type' in p.attributes),
    );
    expect(ok?.attributes).toEqual({
      'mcp.method.name': 'tools/call',
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'search',
      'network.transport': 'tcp',
      'mcp.protocol.version': '2025-06-18',
      'server.address': 'mcp.local',
      'server.port': 8080,
    });
    expect(hist(ok).sum).toBeCloseTo(0.25, 9);
    // On the client every JSON-RPC error code is an error.
    const notFound = m.find((p) => p.attributes['rpc.response.status_code'] === '-32002');
    expect(notFound?.attributes['error.type']).toBe('-32002');
    expect(notFound?.attributes['gen_ai.operation.name']).toBeUndefined();
    expect(hist(notFound).sum).toBeCloseTo(0.04, 9);
    expect(m.some((p) => p.attributes['error.type'] === 'tool_error')).toBe(true);
  });

  it('server side: caller mistakes (-32602, -32002…) are not errors; failures are', async () => {
    const r = rig({ semconv: 'latest_experimental' });
    r.llm.startMcpOperation({ side: 'server', method: 'tools/call' }).end({ rpcErrorCode: -32602 });
    r.llm.startMcpOperation({ side: 'server', method: 'tools/call' }).end({ rpcErrorCode: -32603 });
    r.llm.startMcpOperation({ side: 'server', method: 'ping' }).fail(new TypeError('boom'));
    const m = points(await r.metric('mcp.server.operation.duration')).map((p) => [
      p.attributes['rpc.response.status_code'],
      p.attributes['error.type'],
    ]);
    expect(m).toEqual(
      expect.arrayContaining([
        ['-32602', undefined],
        ['-32603', '-32603'],
        [undefined, 'TypeError'],
      ]),
    );
    expect(
      points(await r.metric('mcp.server.operation.duration')).every(
        (p) => !('server.address' in p.attributes),
      ),
    ).toBe(true);
  });

  it('sessions: one duration each, error.type on failure, no RPC attributes', async () => {
    const r = rig();
    const s = r.llm.startMcpSession({
      side: 'client',
      protocolVersion: '2025-06-18',
      networkProtocolName: 'http',
    });
    r.clock.advance(3000);
    s.end({ rpcErrorCode: -32000, toolError: true });
    s.end(); // ignored: one duration per handle
    r.llm.startMcpSession({ side: 'server' }).fail(new Error('closed'), { errorType: 'transport_closed' });
    const client = points(await r.metric('mcp.client.session.duration'));
    expect(client.map((p) => [p.attributes, hist(p).count, hist(p).sum])).toEqual([
      [{ 'mcp.protocol.version': '2025-06-18', 'network.protocol.name': 'http' }, 1, 3],
    ]);
    const server = points(await r.metric('mcp.server.session.duration'));
    expect(server.map((p) => p.attributes)).toEqual([{ 'error.type': 'transport_closed' }]);
  });

  it('bad options record nothing and never throw', async () => {
    const r = rig();
    expect(() => r.llm.startMcpOperation({ side: 'sideways' } as never).end()).not.toThrow();
    expect(() => r.llm.startMcpSession(null as never).fail()).not.toThrow();
    r.llm.startMcpOperation({ side: 'client' } as never).end();
    const names = await r.names();
    expect(names.filter((n) => n.startsWith('mcp.'))).toEqual(['mcp.client.operation.duration']);
    expect(points(await r.metric('mcp.client.operation.duration'))[0]?.attributes['mcp.method.name']).toBe(
      '_OTHER',
    );
  });
});
