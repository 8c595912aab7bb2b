/**
 * Model Context Protocol durations (`mcp.{client,server}.{operation,session}.duration`),
 * for an MCP integration to drive: one handle per request or notification,
 * one per session, each recording its duration once.
 */
import type { Histogram } from '@opentelemetry/api';
import type { AttrNode } from './attributes.js';
import { type LlmContext, seconds, startTime } from './context.js';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROMPT_NAME,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_MCP_METHOD_NAME,
  ATTR_MCP_PROTOCOL_VERSION,
  ATTR_NETWORK_PROTOCOL_NAME,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_NETWORK_TRANSPORT,
  ATTR_RPC_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  OTHER_VALUE,
} from './semconv.js';
import { bag } from './usage.js';
import { port } from './validate.js';

/** Which end of the connection is measuring. */
export type McpSide = 'client' | 'server';

interface McpConnection {
  /** `client` (the sender of requests) or `server`. Required. */
  side: McpSide;
  /** `mcp.protocol.version`, e.g. `2025-06-18`. */
  protocolVersion?: string;
  /** `network.protocol.name`: `http`, `websocket`… (not for stdio). */
  networkProtocolName?: string;
  /** `server.address` (client side only). */
  serverAddress?: string;
  /** `server.port` (client side only, with serverAddress). */
  serverPort?: number;
  /** When it started, in `performance.now()` milliseconds. @default now */
  startTime?: number;
}

export interface McpOperationOptions extends McpConnection {
  /** `mcp.method.name`: `tools/call`, `resources/read`, `initialize`… Required; `_OTHER` if missing. */
  method: string;
  /** `gen_ai.tool.name` when the operation concerns a tool. */
  toolName?: string;
  /** `gen_ai.prompt.name` when the operation concerns a prompt. */
  promptName?: string;
  /** `network.transport`: `tcp`, `quic`, or `pipe` for stdio. */
  transport?: string;
  /** `network.protocol.version`, e.g. `1.1`, `2`. */
  networkProtocolVersion?: string;
}

export type McpSessionOptions = McpConnection;

export interface McpEndInfo {
  /**
   * The JSON-RPC error code of the response, if it carried one: recorded as
   * `rpc.response.status_code`, and as `error.type` when it counts as an error.
   */
  rpcErrorCode?: number;
  /** A tool result with `isError: true` (recorded as `error.type=tool_error`). Operations only. */
  toolError?: boolean;
}

export interface McpFailInfo {
  rpcErrorCode?: number;
  /** Overrides the `error.type` derived from the error. */
  errorType?: string;
}

export interface McpHandle {
  readonly ended: boolean;
  /** The request completed (or the session closed normally). */
  end(info?: McpEndInfo): void;
  /** It failed: duration with `error.type`. */
  fail(error?: unknown, info?: McpFailInfo): void;
}

/**
 * JSON-RPC codes that mean the caller sent something the server could not
 * serve; on the server side they SHOULD NOT count as errors (GenAI repository
 * `mcp.server.status.attributes`). Parse error, invalid request, method not
 * found, invalid params, resource not found.
 */
const CALLER_ERRORS: ReadonlySet<number> = new Set([-32700, -32600, -32601, -32602, -32002]);

class McpHandleImpl implements McpHandle {
  ended = false;

  constructor(
    private readonly ctx: LlmContext,
    private readonly histogram: Histogram,
    private readonly node: AttrNode,
    private readonly start: number,
    private readonly server: boolean,
    /** Operations carry `rpc.response.status_code`; sessions do not. */
    private readonly operation: boolean,
  ) {}

  /** One duration per handle: false (and one diagnostic) once it has ended. */
  private finish(): boolean {
    if (this.ended) {
      this.ctx.diagnostics.warn('after-end', 'MCP handle ended twice; ignored');
      return false;
    }
    this.ended = true;
    return true;
  }

  end(info?: McpEndInfo): void {
    if (!this.finish()) return;
    try {
      const endInfo = bag<McpEndInfo>(info, 'MCP end() info', this.ctx);
      const code = this.operation ? rpcCode(endInfo?.rpcErrorCode) : undefined;
      let node = this.node.with(ATTR_RPC_RESPONSE_STATUS_CODE, code === undefined ? undefined : String(code));
      if (code !== undefined && !(this.server && CALLER_ERRORS.has(code)))
        node = node.with(ATTR_ERROR_TYPE, String(code));
      else if (this.operation && endInfo?.toolError === true) node = node.with(ATTR_ERROR_TYPE, 'tool_error');
      node.record(this.histogram, seconds(this.start, this.ctx.now()));
    } catch (err) {
      this.ctx.diagnostics.warn('internal-error', `MCP end(): ${String(err)}`);
    }
  }

  fail(error?: unknown, info?: McpFailInfo): void {
    if (!this.finish()) return;
    try {
      const failInfo = bag<McpFailInfo>(info, 'MCP fail() info', this.ctx);
      const code = rpcCode(failInfo?.rpcErrorCode);
      const guard = this.ctx.guards.errorType;
      const type =
        guard.bound(failInfo?.errorType) ??
        (code !== undefined ? String(code) : guard.bound(errorTypeOf(error))) ??
        OTHER_VALUE;
      const node = this.node
        .with(ATTR_RPC_RESPONSE_STATUS_CODE, code === undefined || !this.operation ? undefined : String(code))
        .with(ATTR_ERROR_TYPE, type);
      node.record(this.histogram, seconds(this.start, this.ctx.now()));
    } catch (err) {
      this.ctx.diagnostics.warn('internal-error', `MCP fail(): ${String(err)}`);
    }
  }
}

function rpcCode(given: unknown): number | undefined {
  return typeof given === 'number' && Number.isInteger(given) ? given : undefined;
}

function errorTypeOf(error: unknown): string | undefined {
  const name = (error as { name?: unknown } | undefined)?.name;
  return typeof name === 'string' && name !== '' ? name : undefined;
}

const DEAD: McpHandle = Object.freeze({ ended: true, end() {}, fail() {} });

function side(ctx: LlmContext, given: unknown): McpSide | undefined {
  if (given === 'client' || given === 'server') return given;
  ctx.diagnostics.warn('invalid-option', 'MCP side must be "client" or "server"; nothing recorded');
  return undefined;
}

function connection(ctx: LlmContext, start: McpConnection, client: boolean): AttrNode {
  const { guards } = ctx;
  let node = ctx.root
    .with(ATTR_MCP_PROTOCOL_VERSION, guards.name.bound(start.protocolVersion))
    .with(ATTR_NETWORK_PROTOCOL_NAME, guards.name.bound(start.networkProtocolName));
  if (client) {
    const address = guards.address.bound(start.serverAddress);
    node = node
      .with(ATTR_SERVER_ADDRESS, address)
      .with(ATTR_SERVER_PORT, address === undefined ? undefined : port(start.serverPort, ctx.diagnostics));
  }
  return node;
}

export function startMcpOperation(ctx: LlmContext, options: McpOperationOptions): McpHandle {
  try {
    const start = bag<McpOperationOptions>(options, 'startMcpOperation() options', ctx);
    const measuredBy = side(ctx, start?.side);
    if (!start || !measuredBy) return DEAD;
    const { guards } = ctx;
    const method = guards.name.bound(start.method) ?? OTHER_VALUE;
    if (start.method === undefined)
      ctx.diagnostics.warn('invalid-attribute', 'MCP method is required; recorded as _OTHER');
    const node = connection(ctx, start, measuredBy === 'client')
      .with(ATTR_MCP_METHOD_NAME, method)
      // The conventions ask for execute_tool on tool calls only, so they read like other tool calls.
      .with(ATTR_GEN_AI_OPERATION_NAME, start.method === 'tools/call' ? 'execute_tool' : undefined)
      .with(ATTR_GEN_AI_TOOL_NAME, guards.name.bound(start.toolName))
      .with(ATTR_GEN_AI_PROMPT_NAME, guards.name.bound(start.promptName))
      .with(ATTR_NETWORK_TRANSPORT, guards.name.bound(start.transport))
      .with(ATTR_NETWORK_PROTOCOL_VERSION, guards.name.bound(start.networkProtocolVersion));
    const histogram =
      measuredBy === 'client'
        ? ctx.instruments.histogram.mcpClientOperationDuration
        : ctx.instruments.histogram.mcpServerOperationDuration;
    const startedAt = startTime(ctx, start.startTime);
    return new McpHandleImpl(ctx, histogram, node, startedAt, measuredBy === 'server', true);
  } catch (err) {
    ctx.diagnostics.warn('internal-error', `startMcpOperation(): ${String(err)}`);
    return DEAD;
  }
}

export function startMcpSession(ctx: LlmContext, options: McpSessionOptions): McpHandle {
  try {
    const start = bag<McpSessionOptions>(options, 'startMcpSession() options', ctx);
    const measuredBy = side(ctx, start?.side);
    if (!start || !measuredBy) return DEAD;
    const { histogram } = ctx.instruments;
    const duration =
      measuredBy === 'client' ? histogram.mcpClientSessionDuration : histogram.mcpServerSessionDuration;
    const node = connection(ctx, start, measuredBy === 'client');
    const startedAt = startTime(ctx, start.startTime);
    return new McpHandleImpl(ctx, duration, node, startedAt, measuredBy === 'server', false);
  } catch (err) {
    ctx.diagnostics.warn('internal-error', `startMcpSession(): ${String(err)}`);
    return DEAD;
  }
}
