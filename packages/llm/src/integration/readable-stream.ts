/**
 * Observing a WHATWG `ReadableStream` (the AI SDK's model streams, `fetch`
 * bodies) as its consumer pulls from it.
 */
import type { Call } from './call.js';

/**
 * A stream that pulls from `source` one item at a time (no buffering of its
 * own: `highWaterMark` 0) and reports each item to `call.item()`, the end to
 * `call.complete()`, an error to `call.fail()` (and passes it on) and a
 * cancellation to `call.abort()` (and passes it on to `source`). Items pass
 * through untouched.
 */
export function observeReadableStream<T>(source: ReadableStream<T>, call: Call): ReadableStream<T> {
  const reader = source.getReader();
  return new ReadableStream<T>(
    {
      async pull(controller) {
        let result: Awaited<ReturnType<typeof reader.read>>;
        try {
          result = await reader.read();
        } catch (error) {
          call.fail(error);
          controller.error(error);
          return;
        }
        if (result.done) {
          call.complete();
          controller.close();
          return;
        }
        if (!call.done) {
          try {
            call.item(result.value);
          } catch (error) {
            call.report('stream', error);
          }
        }
        controller.enqueue(result.value);
      },
      async cancel(reason) {
        call.abort(reason);
        await reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}
