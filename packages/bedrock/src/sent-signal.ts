/**
 * The AbortSignal a command was sent with (`client.send(command, { abortSignal })`).
 * Recent SDKs show it to middleware in the handler context; older ones hand
 * it to the HTTP handler only, so `instrumentBedrock()` also wraps the
 * client's `send` to note it here, by command, for the middleware to find.
 */
import { isObject } from '@tokenmeter/llm/integration';

const sent = new WeakMap<object, AbortSignal>();

/** A DOM-style signal: the SDK also accepts a legacy one with only `onabort`, which cannot be listened to. */
export function asSignal(x: unknown): AbortSignal | undefined {
  return isObject(x) && typeof x.addEventListener === 'function' && typeof x.aborted === 'boolean'
    ? (x as unknown as AbortSignal)
    : undefined;
}

/** Notes the signal of `send(command, options)`. Never throws. */
export function noteSentSignal(command: unknown, options: unknown): void {
  if (!isObject(command)) return;
  const signal = isObject(options) ? asSignal(options.abortSignal) : undefined;
  if (signal) sent.set(command, signal);
  else sent.delete(command);
}

/** The signal `command` was last sent with, if `send` was wrapped and it had one. */
export function sentSignal(command: unknown): AbortSignal | undefined {
  return isObject(command) ? sent.get(command) : undefined;
}
