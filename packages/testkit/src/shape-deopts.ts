/**
 * Reads V8's deoptimization trace for optimized code thrown away because a
 * hidden class it checks for was garbage-collected ("embedded weak objects
 * cleared"): what happens to the hot path of a class whose every instance
 * dies between uses, unless something keeps one alive.
 *
 * The fixture a test runs calls `shapeControl()` once per round and prints
 * `SHAPE_MARKER` before the rounds that count. The control's instances all
 * die each round and nothing keeps its shape, so its method must show up in
 * the trace; `weakShapeDeopts` fails when it does not, so a V8 that stops
 * reporting these deopts fails the test instead of passing it.
 */
import { spawn } from 'node:child_process';

/** What a fixture prints before its measured rounds. */
export const SHAPE_MARKER = '--- measured rounds ---';

class ShapeProbe {
  count = 0;
  step = 1;
  probeHot(): void {
    this.count += this.step;
  }
}

// Where the control's instance lives while it runs: an object that escapes
// cannot be optimized away (escape analysis would leave no map to check).
let probe: ShapeProbe | undefined;

/** Runs the control once: a fresh instance, hot enough for V8 to optimize its method, dead afterwards. */
export function shapeControl(): void {
  probe = new ShapeProbe();
  for (let i = 0; i < 200_000; i++) probe.probeHot();
  probe = undefined;
}

/** The functions whose optimized code checks the control's map: its method, or the loop it was inlined into. */
const CONTROL = ['probeHot', 'shapeControl'];

export interface WeakShapeDeopts {
  /** Per function name, how often its optimized code was thrown away after the marker. */
  readonly cleared: ReadonlyMap<string, number>;
  /** How many of `names` were, by name (only those thrown away at least once). */
  of(names: readonly string[]): Record<string, number>;
}

const CLEARED =
  /<SharedFunctionInfo ([\w$]+)>\) \(opt id \d+\) for deoptimization, reason: embedded weak objects cleared/g;

/**
 * Runs `script` in a child Node with `--expose-gc --trace-deopt-verbose`
 * from `cwd`, and counts the weak-object deopts after `SHAPE_MARKER`.
 * Rejects when the script fails or the control's deopts are missing
 * (fewer than `minControl`).
 */
export async function weakShapeDeopts(script: string, cwd: string, minControl = 2): Promise<WeakShapeDeopts> {
  const child = spawn(process.execPath, ['--expose-gc', '--trace-deopt-verbose', script], {
    cwd,
    env: { PATH: process.env.PATH ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const add = (d: Buffer) => {
    out += d;
  };
  child.stdout.on('data', add);
  child.stderr.on('data', add);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`${script} exited with ${code}:\n${out.slice(-2000)}`);
  const at = out.indexOf(SHAPE_MARKER);
  if (at < 0) throw new Error(`${script} never printed ${SHAPE_MARKER}`);
  const cleared = new Map<string, number>();
  for (const m of out.slice(at).matchAll(CLEARED)) {
    const name = m[1] as string;
    cleared.set(name, (cleared.get(name) ?? 0) + 1);
  }
  const control = CONTROL.reduce((sum, name) => sum + (cleared.get(name) ?? 0), 0);
  if (control < minControl) {
    throw new Error(
      `the control was deoptimized ${control} time(s), expected ≥ ${minControl}: this V8 no longer traces weak-object deopts as the test expects`,
    );
  }
  return {
    cleared,
    of: (names) =>
      Object.fromEntries(names.map((n) => [n, cleared.get(n) ?? 0]).filter(([, c]) => (c as number) > 0)),
  };
}
