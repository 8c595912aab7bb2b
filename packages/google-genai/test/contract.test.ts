import { GoogleGenAI } from '@google/genai';
import { runIntegrationContract } from '@tokenmeter/testkit/contract';
import { googleGenAIAdapter } from './adapter.js';

runIntegrationContract(googleGenAIAdapter('@google/genai 3', GoogleGenAI as never));
