/**
 * Patching a client instance's methods, and undoing it. Methods become own
 * properties of the objects that are patched — never of an SDK's prototypes —
 * so other clients, and other libraries' clients, are untouched.
 */
import type { TelemetryGuard } from './telemetry-guard.js';
import { isObject } from './type-guards.js';

type AnyFn = (...args: never[]) => unknown;

interface Patch {
  readonly owner: object;
  readonly name: PropertyKey;
  /** The own property replaced, restored as it was; none when the method was inherited. */
  readonly own: PropertyDescriptor | undefined;
}

interface PatchState {
  readonly patches: Patch[];
}

/** Handed to `PatchRegistry.patch()`'s callback: patches one method. */
export interface MethodPatcher {
  /**
   * Replaces `owner[name]` by `wrap(original)`, as an own property (as
   * enumerable as the one it replaces; not enumerable for an inherited method). Skipped when `owner` is not an object or `owner[name]` is not a
   * function (an SDK version without that method).
   */
  method(owner: unknown, name: PropertyKey, wrap: (original: AnyFn) => AnyFn): void;
}

/**
 * The patches one integration made, kept on each patched client under
 * `key` (a `Symbol.for()` key, so two copies of an integration in one
 * process see each other's patches and never patch a client twice).
 */
export class PatchRegistry {
  constructor(private readonly key: symbol) {}

  /** True when `root` is currently patched by this registry. */
  isPatched(root: unknown): boolean {
    return isObject(root) && Boolean(root[this.key]);
  }

  /**
   * Patches `root` once: `apply` patches its methods (on `root` itself or on
   * objects it holds, such as `client.chat.completions`). A failure inside
   * `apply` is reported through `telemetry`; what was patched until then
   * stays patched and can be undone. Returns false (and patches nothing)
   * when `root` is not an object or is already patched.
   */
  patch(root: unknown, apply: (patcher: MethodPatcher) => void, telemetry: TelemetryGuard): boolean {
    if (!isObject(root) || root[this.key]) return false;
    const patches: Patch[] = [];
    const patcher: MethodPatcher = {
      method(owner, name, wrap) {
        if (!isObject(owner)) return;
        const original = owner[name];
        if (typeof original !== 'function') return;
        const wrapped = wrap(original as AnyFn);
        const own = Object.getOwnPropertyDescriptor(owner, name);
        patches.push({ owner, name, own });
        Object.defineProperty(owner, name, {
          configurable: true,
          writable: true,
          enumerable: own?.enumerable ?? false,
          value: wrapped,
        });
      },
    };
    telemetry.guard('patch', () => apply(patcher));
    const state: PatchState = { patches };
    Object.defineProperty(root, this.key, { value: state, configurable: true, enumerable: false });
    return true;
  }

  /**
   * Restores what `patch()` replaced on `root`, in reverse order. Calls
   * already in flight still finish recording. Returns false when `root` was
   * not patched.
   */
  unpatch(root: unknown): boolean {
    if (!isObject(root)) return false;
    const state = root[this.key] as PatchState | undefined;
    if (!state) return false;
    for (const patch of [...state.patches].reverse()) {
      if (patch.own) {
        Object.defineProperty(patch.owner, patch.name, patch.own);
      } else {
        delete (patch.owner as Record<PropertyKey, unknown>)[patch.name];
      }
    }
    delete root[this.key];
    return true;
  }
}
