/**
 * One MCP connection as its transport sees it: every JSON-RPC message that
 * goes out (`send`) and comes in (`onmessage`), paired by request id.
 *
 * - A request this side sends is timed from `send()` until its response
 *   arrives: `mcp.client.operation.duration` (the conventions' "client" is
 *   whoever initiates: an MCP server asking for sampling records it too).
 * - A request this side receives is timed from its arrival until its
 *   response has been sent (`send()` resolved): `mcp.server.operation.duration`.
 * - A notification this side sends is timed until the transport accepted it
 *   (`send()` resolved — for Streamable HTTP, the server's `202 Accepted`).
 *   A received notification has no response or ack to time, so nothing is
 *   recorded for it.
 * - The session runs from the transport's `start()` (the SDK's `connect()`)
 *   to its `onclose`.
 *
 * Attributes are resolved when a measurement ends, with the start time kept
 * on the monotonic clock: the protocol version settled by `initialize` is
 * then known, even for `initialize` itself.
 */
import type { LlmMetrics, McpEndInfo, McpFailInfo, TelemetryGuard } from '@tokenmeter/llm';
import { isThenable } from '@tokenmeter/llm/integration';
import { cancellationType, ERROR_CONNECTION_CLOSED, transportErrorType } from './error-type.js';
import {
  cancelledRequest,
  isToolError,
  type Message,
  negotiatedVersion,
  type RequestId,
  readMessage,
  rpcErrorCode,
  type Target,
  targetOf,
} from './messages.js';
import type { NetworkAttributes } from './network.js';

/** Which end of MCP this process is. */
export type McpRole = 'client' | 'server';

/** Requests kept waiting for their response, per direction, before the oldest is let go. */
export const MAX_PENDING = 10_000;

interface Pending extends Target {
  readonly method: string;
  readonly start: number;
}

type Outcome = { ok: true; info: McpEndInfo } | { ok: false; error: unknown; info: McpFailInfo };

// Node's `performance` global is a lazy accessor: resolve it once.
const clock = globalThis.performance;

export class McpConnection {
  /** Requests this side sent, waiting for their response. */
  private readonly sent = new Map<RequestId, Pending>();
  /** Requests this side received, waiting for their response to be sent. */
  private readonly received = new Map<RequestId, Pending>();
  private protocolVersion: string | undefined;
  /** `network.protocol.version` seen on an incoming HTTP request (server transports). */
  private httpVersion: string | undefined;
  private sessionStart: number | undefined;
  /** Why the session failed: its `initialize` failed, or the transport reported an error. */
  private sessionFailure: { error: unknown; info: McpFailInfo } | undefined;
  private transportError: unknown;
  private closeRequested = false;
  private warnedFull = false;

  constructor(
    private readonly llm: LlmMetrics,
    private readonly role: McpRole,
    private readonly network: NetworkAttributes,
    private readonly telemetry: TelemetryGuard,
  ) {}

  /** The transport is starting (the SDK's `connect()`): a session begins. */
  starting(): void {
    this.sent.clear();
    this.received.clear();
    this.protocolVersion = undefined;
    this.sessionFailure = undefined;
    this.transportError = undefined;
    this.closeRequested = false;
    this.sessionStart = clock.now();
  }

  /** `start()` rejected: the session never opened. */
  startFailed(error: unknown): void {
    this.sessionFailure = { error, info: { errorType: transportErrorType(error) } };
    this.endSession();
  }

  /** This side is closing the transport (`close()`), so the close that follows is not an error. */
  closing(): void {
    this.closeRequested = true;
  }

  /** The transport reported an error (`onerror`). */
  failed(error: unknown): void {
    this.transportError = error;
  }

  /** The transport closed (`onclose`): requests still in flight failed, and the session ended. */
  closed(): void {
    for (const p of this.sent.values()) this.record('client', p, closedOutcome());
    for (const p of this.received.values()) this.record('server', p, closedOutcome());
    this.sent.clear();
    this.received.clear();
    if (!this.closeRequested && this.transportError !== undefined && this.sessionFailure === undefined) {
      const error = this.transportError;
      this.sessionFailure = { error, info: { errorType: transportErrorType(error) } };
    }
    this.endSession();
  }

  /** An HTTP request reached a server transport (`handleRequest(req)`). */
  httpRequest(info: { httpVersion?: string; mcpProtocolVersion?: string }): void {
    if (info.httpVersion) this.httpVersion = info.httpVersion;
    // A request of a session whose `initialize` this transport did not see (stateless servers) names the version in a header.
    if (info.mcpProtocolVersion && this.protocolVersion === undefined)
      this.protocolVersion = info.mcpProtocolVersion;
  }

  /**
   * A message is being sent; `sending` is what the transport's `send()`
   * returned. Called before the message leaves, so that a response that
   * comes back at once finds its request.
   */
  outgoing(message: unknown): ((sending: unknown) => void) | undefined {
    const m = readMessage(message);
    const start = clock.now();
    switch (m.kind) {
      case 'request': {
        const pending: Pending = { method: m.method, start, ...targetOf(m.method, m.params) };
        this.track(this.sent, m.id, pending);
        // A request the transport could not send gets no response: it fails with the send's error.
        return (sending) =>
          this.settle(sending, undefined, (error) => {
            if (this.sent.get(m.id) !== pending) return;
            this.sent.delete(m.id);
            this.record('client', pending, transportFailure(error));
          });
      }
      case 'notification': {
        if (m.method === 'notifications/cancelled') this.cancelled(this.sent, 'client', m.params);
        const pending: Pending = { method: m.method, start, ...targetOf(m.method, m.params) };
        return (sending) =>
          this.settle(
            sending,
            () => this.record('client', pending, { ok: true, info: {} }),
            (error) => this.record('client', pending, transportFailure(error)),
          );
      }
      case 'response': {
        const pending = this.received.get(m.id);
        if (!pending) return undefined;
        this.received.delete(m.id);
        if (pending.method === 'initialize')
          this.protocolVersion = negotiatedVersion(m.result) ?? this.protocolVersion;
        const outcome = responseOutcome(pending.method, m);
        return (sending) =>
          this.settle(
            sending,
            () => this.record('server', pending, outcome),
            (error) => this.record('server', pending, transportFailure(error)),
          );
      }
      default:
        return undefined;
    }
  }

  /** A message arrived. */
  incoming(message: unknown): void {
    const m = readMessage(message);
    switch (m.kind) {
      case 'request':
        this.track(this.received, m.id, {
          method: m.method,
          start: clock.now(),
          ...targetOf(m.method, m.params),
        });
        return;
      case 'notification':
        if (m.method === 'notifications/cancelled') this.cancelled(this.received, 'server', m.params);
        return;
      case 'response': {
        const pending = this.sent.get(m.id);
        if (!pending) return;
        this.sent.delete(m.id);
        if (pending.method === 'initialize')
          this.protocolVersion = negotiatedVersion(m.result) ?? this.protocolVersion;
        this.record('client', pending, responseOutcome(pending.method, m));
        return;
      }
    }
  }

  /** A `notifications/cancelled` for a request in flight: it ends now, cancelled or timed out. */
  private cancelled(pending: Map<RequestId, Pending>, side: McpRole, params: unknown): void {
    const c = cancelledRequest(params);
    const p = c && pending.get(c.id);
    if (!c || !p) return;
    pending.delete(c.id);
    this.record(side, p, { ok: false, error: undefined, info: { errorType: cancellationType(c.reason) } });
  }

  private track(pending: Map<RequestId, Pending>, id: RequestId, p: Pending): void {
    pending.set(id, p);
    if (pending.size <= MAX_PENDING) return;
    // A peer that never answers must not grow memory: the oldest request is let go, unrecorded.
    const oldest = pending.keys().next();
    if (!oldest.done) pending.delete(oldest.value);
    if (!this.warnedFull) {
      this.warnedFull = true;
      this.telemetry.report(
        'pending',
        new Error(`more than ${MAX_PENDING} MCP requests in flight; the oldest are not measured`),
      );
    }
  }

  /** Runs `ok` or `failed` when the transport's `send()` settles (synchronously for a non-promise). */
  private settle(sending: unknown, ok: (() => void) | undefined, failed: (error: unknown) => void): void {
    if (isThenable(sending)) {
      sending.then(
        () => this.telemetry.guard('send', () => ok?.()),
        (error: unknown) => this.telemetry.guard('send', () => failed(error)),
      );
    } else {
      ok?.();
    }
  }

  private record(side: McpRole, p: Pending, outcome: Outcome): void {
    // A session whose `initialize` failed ended with that error, however it closes.
    if (p.method === 'initialize') this.sessionFailure ??= sessionFailureOf(outcome);
    try {
      const n = this.network;
      const op = this.llm.startMcpOperation({
        side,
        method: p.method,
        toolName: p.toolName,
        promptName: p.promptName,
        protocolVersion: this.protocolVersion,
        transport: n.transport,
        networkProtocolName: n.protocolName,
        networkProtocolVersion: this.httpVersion ?? n.protocolVersion,
        serverAddress: n.serverAddress,
        serverPort: n.serverPort,
        startTime: p.start,
      });
      if (outcome.ok) op.end(outcome.info);
      else op.fail(outcome.error, outcome.info);
    } catch (error) {
      this.telemetry.report('record', error);
    }
  }

  private endSession(): void {
    const start = this.sessionStart;
    if (start === undefined) return;
    this.sessionStart = undefined;
    try {
      const n = this.network;
      const session = this.llm.startMcpSession({
        side: this.role,
        protocolVersion: this.protocolVersion,
        networkProtocolName: n.protocolName,
        serverAddress: n.serverAddress,
        serverPort: n.serverPort,
        startTime: start,
      });
      const failure = this.sessionFailure;
      if (failure) session.fail(failure.error, failure.info);
      else session.end();
    } catch (error) {
      this.telemetry.report('session', error);
    }
  }
}

function responseOutcome(method: string, m: Extract<Message, { kind: 'response' }>): Outcome {
  if (!m.error) return { ok: true, info: { toolError: isToolError(method, m.result) } };
  const code = rpcErrorCode(m.error);
  // An error response without an integer code is still an error: `_OTHER`.
  return code === undefined
    ? { ok: false, error: undefined, info: {} }
    : { ok: true, info: { rpcErrorCode: code } };
}

function sessionFailureOf(outcome: Outcome): { error: unknown; info: McpFailInfo } | undefined {
  if (!outcome.ok) return { error: outcome.error, info: outcome.info };
  const code = outcome.info.rpcErrorCode;
  return code === undefined ? undefined : { error: undefined, info: { errorType: String(code) } };
}

function transportFailure(error: unknown): Outcome {
  return { ok: false, error, info: { errorType: transportErrorType(error) } };
}

function closedOutcome(): Outcome {
  return { ok: false, error: undefined, info: { errorType: ERROR_CONNECTION_CLOSED } };
}
