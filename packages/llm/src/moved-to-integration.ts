/**
 * Helpers only integration authors need, which `@tokenmeter/llm/integration`
 * now exports. The package root keeps exporting them, deprecated, for
 * importers written against 0.1; they leave the root in the next minor
 * release.
 */
import { errorTypeOr as errorTypeOrHelper } from './integration/error-type-or.js';
import {
  type ServerEndpoint as ServerEndpointOf,
  serverEndpointOf as serverEndpointOfHelper,
} from './integration/server-endpoint.js';
import {
  type TelemetryGuard as TelemetryGuardOf,
  telemetryGuard as telemetryGuardHelper,
} from './integration/telemetry-guard.js';

/** @deprecated Import it from `@tokenmeter/llm/integration`. */
export const errorTypeOr = errorTypeOrHelper;
/** @deprecated Import it from `@tokenmeter/llm/integration`. */
export const serverEndpointOf = serverEndpointOfHelper;
/** @deprecated Import it from `@tokenmeter/llm/integration`. */
export type ServerEndpoint = ServerEndpointOf;
/** @deprecated Import it from `@tokenmeter/llm/integration`. */
export const telemetryGuard = telemetryGuardHelper;
/** @deprecated Import it from `@tokenmeter/llm/integration`. */
export type TelemetryGuard = TelemetryGuardOf;
