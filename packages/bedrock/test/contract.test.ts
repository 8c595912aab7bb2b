import * as sdk from '@aws-sdk/client-bedrock-runtime';
import { runIntegrationContract } from '@tokenmeter/testkit/contract';
import { bedrockAdapter } from './adapter.js';

runIntegrationContract(
  bedrockAdapter('@aws-sdk/client-bedrock-runtime 3 (current)', sdk, {
    cutThrown: false,
    promptRouterTrace: true,
  }),
);
