import type { LibraryHandle } from 'koffi';

type KoffiFunction = ReturnType<LibraryHandle['func']>;

/**
 * How vendor library functions are invoked. `'async'` runs each call on a
 * koffi worker thread so a wedged driver (GPU falling off the bus, an init
 * that takes seconds) never stalls the event loop; it costs a thread hop per
 * call. `'sync'` calls directly on the main thread (~µs each).
 */
export type NvmlCallMode = 'sync' | 'async';

/** A function that invokes a bound koffi function in `mode` and resolves to its return code. */
export function invoker(mode: NvmlCallMode): (fn: KoffiFunction, ...args: unknown[]) => Promise<number> {
  return mode === 'async'
    ? (fn, ...args) =>
        new Promise<number>((resolve, reject) => {
          fn.async(...args, (err: unknown, res: number) => (err ? reject(err) : resolve(res)));
        })
    : (fn, ...args) => Promise.resolve(fn(...args) as number);
}

/**
 * Binds `required` (a missing one unloads the library and throws what
 * `missing(name)` makes) and whichever of `optional` the library has: older
 * drivers lack the newer symbols, and the sources report those metrics as
 * unsupported.
 */
export function bindSymbols(
  lib: LibraryHandle,
  required: Record<string, string>,
  optional: Record<string, string>,
  missing: (name: string, cause: unknown) => Error,
): Record<string, KoffiFunction> {
  const fns: Record<string, KoffiFunction> = {};
  for (const [name, decl] of Object.entries(required)) {
    try {
      fns[name] = lib.func(decl);
    } catch (err) {
      lib.unload();
      throw missing(name, err);
    }
  }
  for (const [name, decl] of Object.entries(optional)) {
    try {
      fns[name] = lib.func(decl);
    } catch {
      // Not in this version of the library.
    }
  }
  return fns;
}
