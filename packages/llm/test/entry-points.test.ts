import { describe, expect, it } from 'vitest';
import * as root from '../src/index.js';
import * as integration from '../src/integration/index.js';

describe('entry points', () => {
  it('@tokenmeter/llm still exports, deprecated, the helpers that moved to @tokenmeter/llm/integration', () => {
    expect(root.errorTypeOr).toBe(integration.errorTypeOr);
    expect(root.serverEndpointOf).toBe(integration.serverEndpointOf);
    expect(root.telemetryGuard).toBe(integration.telemetryGuard);
  });

  it('share nothing else: the root is the application API, the subpath the integration authors’ one', () => {
    const shared = Object.keys(root).filter((name) => name in integration);
    expect(shared.sort()).toEqual(['errorTypeOr', 'serverEndpointOf', 'telemetryGuard']);
  });
});
