import { runIntegrationContract } from '@tokenmeter/testkit/contract';
import * as oldest from 'bedrock-runtime-oldest';
import { bedrockAdapter } from './adapter.js';

// The oldest version the peer range admits (3.588.0, the first with the
// Converse API) predates the SDK's HTTP/2 default, the AbortSignal in the
// middleware context and the schema-based serde: the whole contract again,
// over HTTP/1.1, with the signal noted by instrumentBedrock's send wrapper.
runIntegrationContract(
  bedrockAdapter('@aws-sdk/client-bedrock-runtime 3.588 (oldest)', oldest, {
    cutThrown: true,
    promptRouterTrace: false,
  }),
);
