/**
 * The MCP server the tests talk to: real `McpServer` tools, a resource and
 * a prompt, with scripted delays so durations can be checked.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';

export const SEARCH_MS = 60;

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });

/** A demo server: `search` (takes SEARCH_MS), `fail` (an `isError` result), `slow` (takes `ms`). */
export function demoServer(): McpServer {
  const server = new McpServer({ name: 'demo', version: '1.0.0' });
  server.registerTool('search', { description: 'Search', inputSchema: { q: z.string() } }, async ({ q }) => {
    await sleep(SEARCH_MS);
    return { content: [{ type: 'text', text: `results for ${q}` }] };
  });
  server.registerTool('fail', { description: 'Always fails' }, async () => ({
    content: [{ type: 'text', text: 'upstream unavailable' }],
    isError: true,
  }));
  server.registerTool(
    'slow',
    { description: 'Takes its time', inputSchema: { ms: z.number() } },
    async ({ ms }, extra) => {
      await sleep(ms, extra.signal);
      return { content: [{ type: 'text', text: 'done' }] };
    },
  );
  server.registerResource('readme', 'doc://readme', { description: 'The readme' }, async (uri) => ({
    contents: [{ uri: uri.href, text: 'hello' }],
  }));
  server.registerResource('broken', 'doc://broken', { description: 'Cannot be read' }, async () => {
    throw new Error('disk failure');
  });
  server.registerPrompt('greet', { description: 'Greets', argsSchema: { name: z.string() } }, ({ name }) => ({
    messages: [{ role: 'user', content: { type: 'text', text: `Hello ${name}` } }],
  }));
  return server;
}
