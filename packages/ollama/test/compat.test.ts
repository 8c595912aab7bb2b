import { runIntegrationContract } from '@tokenmeter/testkit/contract';
import { Ollama as Ollama05 } from 'ollama-v05';
import { ollamaAdapter } from './adapter.js';

// The oldest minor the peer range admits (ollama 0.5) runs the whole
// integration contract over real HTTP against the simulator: the
// instrumentation wraps the client's methods and its AbortableAsyncIterator,
// whose internals changed between minors. instrument.test.ts covers the
// current release in depth.
runIntegrationContract(ollamaAdapter('ollama 0.5', Ollama05));
