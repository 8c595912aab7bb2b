/**
 * What a JSON-RPC message of MCP says, read without trusting its shape:
 * its kind, method, id, the tool or prompt it concerns, and how it ended.
 * Arguments, results and resource URIs are never read beyond these fields.
 */
import { isObject, nonEmptyString, type UnknownRecord } from '@tokenmeter/llm/integration';

/** A JSON-RPC id (`null` and a missing id are not ids: such a message is not a request). */
export type RequestId = string | number;

export type Message =
  | { kind: 'request'; id: RequestId; method: string; params: unknown }
  | { kind: 'notification'; method: string; params: unknown }
  | { kind: 'response'; id: RequestId; result: unknown; error: UnknownRecord | undefined }
  | { kind: 'other' };

const OTHER: Message = Object.freeze({ kind: 'other' });

function idOf(v: unknown): RequestId | undefined {
  return typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)) ? v : undefined;
}

/** Classifies one JSON-RPC message. Anything unexpected is `other`, and is not measured. */
export function readMessage(m: unknown): Message {
  if (!isObject(m)) return OTHER;
  const method = nonEmptyString(m.method);
  const id = idOf(m.id);
  if (method !== undefined) {
    return id !== undefined
      ? { kind: 'request', id, method, params: m.params }
      : { kind: 'notification', method, params: m.params };
  }
  if (id === undefined) return OTHER;
  if (isObject(m.error)) return { kind: 'response', id, result: undefined, error: m.error };
  if ('result' in m) return { kind: 'response', id, result: m.result, error: undefined };
  return OTHER;
}

/** What an operation concerns: the tool of `tools/call`, the prompt of `prompts/get` or a prompt completion. */
export interface Target {
  toolName?: string;
  promptName?: string;
}

export function targetOf(method: string, params: unknown): Target {
  if (!isObject(params)) return {};
  if (method === 'tools/call') return { toolName: nonEmptyString(params.name) };
  if (method === 'prompts/get') return { promptName: nonEmptyString(params.name) };
  if (method === 'completion/complete' && isObject(params.ref) && params.ref.type === 'ref/prompt')
    return { promptName: nonEmptyString(params.ref.name) };
  return {};
}

/** The JSON-RPC error code of an error response, if it is an integer. */
export function rpcErrorCode(error: UnknownRecord | undefined): number | undefined {
  const code = error?.code;
  return typeof code === 'number' && Number.isInteger(code) ? code : undefined;
}

/** A `CallToolResult` with `isError: true`: the conventions' `tool_error`. */
export function isToolError(method: string, result: unknown): boolean {
  return method === 'tools/call' && isObject(result) && result.isError === true;
}

/** The protocol version an `initialize` result settled on. */
export function negotiatedVersion(result: unknown): string | undefined {
  return isObject(result) ? nonEmptyString(result.protocolVersion) : undefined;
}

/** The request a `notifications/cancelled` names, and its reason. */
export function cancelledRequest(params: unknown): { id: RequestId; reason: unknown } | undefined {
  if (!isObject(params)) return undefined;
  const id = idOf(params.requestId);
  return id === undefined ? undefined : { id, reason: params.reason };
}
