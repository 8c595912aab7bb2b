/**
 * A request's identity — operation, provider, requested model, server address
 * and port (and, server side, the worker) — resolved through the guards into
 * a cached attribute set, for client and server requests alike.
 *
 * Resolving costs five guard lookups and five attribute-tree steps (~60 ns
 * with a no-op provider, ~0.4 µs a request once the SDK records too). Traffic
 * repeats the same identity request after request, so each resolver keeps its
 * last result and hands it back while all raw values are identical (the pino
 * `child()` idea, without asking callers to bind anything). Values are
 * compared, not the options object, so a reused and mutated object is safe.
 */
import type { AttrNode } from './attributes.js';
import type { Diagnostics } from './diagnostics.js';
import type { Guards } from './guards.js';
import {
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_TM_WORKER_ID,
  OTHER_VALUE,
} from './semconv.js';
import { isPort, port } from './validate.js';

/** The raw identity fields of startRequest() / startServerRequest() options. */
export interface RequestIdentity {
  operation?: unknown;
  provider?: unknown;
  requestModel?: unknown;
  serverAddress?: unknown;
  serverPort?: unknown;
  worker?: unknown;
}

export interface ResolvedIdentity {
  /** The bounded `gen_ai.operation.name`. */
  readonly op: string;
  readonly base: AttrNode;
}

export class IdentityResolver {
  private operation: unknown;
  private provider: unknown;
  private requestModel: unknown;
  private serverAddress: unknown;
  private serverPort: unknown;
  private worker: unknown;
  private last: ResolvedIdentity | undefined;

  constructor(
    private readonly guards: Guards,
    /** The empty attribute set the identity is built on. */
    private readonly root: AttrNode,
    private readonly diagnostics: Diagnostics,
    /** Add `tokenmeter.worker.id` (server requests). */
    private readonly withWorker: boolean,
  ) {}

  resolve(o: RequestIdentity): ResolvedIdentity {
    const last = this.last;
    if (
      last !== undefined &&
      o.operation === this.operation &&
      o.provider === this.provider &&
      o.requestModel === this.requestModel &&
      o.serverAddress === this.serverAddress &&
      o.serverPort === this.serverPort &&
      (!this.withWorker || o.worker === this.worker)
    ) {
      return last;
    }
    const { guards, diagnostics } = this;
    const op = guards.operation.bound(o.operation) ?? missing(diagnostics, 'operation');
    const address = guards.address.bound(o.serverAddress);
    let base = this.root
      .with(ATTR_GEN_AI_OPERATION_NAME, op)
      .with(ATTR_GEN_AI_PROVIDER_NAME, guards.provider.bound(o.provider) ?? missing(diagnostics, 'provider'))
      .with(ATTR_GEN_AI_REQUEST_MODEL, guards.model.bound(o.requestModel))
      .with(ATTR_SERVER_ADDRESS, address)
      .with(ATTR_SERVER_PORT, address === undefined ? undefined : port(o.serverPort, diagnostics));
    if (this.withWorker) base = base.with(ATTR_TM_WORKER_ID, guards.worker.bound(o.worker));
    const resolved: ResolvedIdentity = { op, base };
    this.operation = o.operation;
    this.provider = o.provider;
    this.requestModel = o.requestModel;
    this.serverAddress = o.serverAddress;
    this.serverPort = o.serverPort;
    this.worker = o.worker;
    // Only clean resolutions are reused: one that dropped or replaced a bad
    // value is done again, as before, so nothing about it is remembered.
    this.last = clean(o, this.withWorker) ? resolved : undefined;
    return resolved;
  }
}

function clean(o: RequestIdentity, withWorker: boolean): boolean {
  const optionalString = (v: unknown) => v === undefined || typeof v === 'string';
  return (
    typeof o.operation === 'string' &&
    typeof o.provider === 'string' &&
    optionalString(o.requestModel) &&
    optionalString(o.serverAddress) &&
    (o.serverPort === undefined || isPort(o.serverPort)) &&
    (!withWorker || optionalString(o.worker))
  );
}

function missing(diagnostics: Diagnostics, what: string): string {
  diagnostics.warn('invalid-attribute', `${what} is required; recorded as _OTHER`);
  return OTHER_VALUE;
}
