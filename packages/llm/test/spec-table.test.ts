import { DataPointType } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { INSTRUMENTS, type InstrumentDefinition, type SemconvShape } from '../src/index.js';
import { hist, points, rig } from './helpers.js';

// The GenAI and MCP metric tables, written out here by hand from the spec
// files (not from our constants), so a drift in our definitions fails this
// test:
// - v1.41: core semantic-conventions v1.41.1, model/gen-ai/metrics.yaml,
//   model/mcp/{metrics,common}.yaml, docs/gen-ai/gen-ai-metrics.md and mcp.md
//   (bucket advice), docs/gen-ai/openai.md (the service-tier refinement).
// - latest_experimental: open-telemetry/semantic-conventions-genai at
//   066d4a7f356f8600de6f10c42874626ab88692fb, model/gen-ai/metrics.yaml and
//   token-metrics.yaml, docs/gen-ai/gen-ai-metrics.md, gen-ai-token-metrics.md
//   and client-inference.md (bucket advice), model/mcp/{metrics,common}.yaml.
// `required` is the Required level; `optional` every other level we may emit
// (Conditionally Required, Recommended, Opt-In).
const D = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];
const T = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];
const F = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0];
const P = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5];
const AGENT = [0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 51.2, 102.4, 204.8, 409.6];
const WORKFLOW = [1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200];
const CALLS = [1, 2, 4, 8, 16, 32, 64, 128];
const MCP = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300];
const DOUBLE = 1;
const INT = 0;

interface Row {
  name: string;
  kind: 'histogram' | 'counter';
  unit: string;
  value: number;
  buckets?: number[];
  required: string[];
  optional: string[];
}

const OP = 'gen_ai.operation.name';
const PROV = 'gen_ai.provider.name';
const GENAI = ['gen_ai.request.model', 'server.port', 'gen_ai.response.model', 'server.address'];
const OPENAI = ['openai.response.service_tier', 'openai.response.system_fingerprint'];
const ERR = 'error.type';

const MCP_OP = [
  ERR,
  'gen_ai.prompt.name',
  'gen_ai.tool.name',
  'rpc.response.status_code',
  OP,
  'jsonrpc.protocol.version',
  'mcp.protocol.version',
  'network.protocol.name',
  'network.protocol.version',
  'network.transport',
  'mcp.resource.uri',
];
const SERVER_ADDR = ['server.address', 'server.port'];

/** Core v1.41.1. */
const V141_MCP_SESSION = [
  ERR,
  'jsonrpc.protocol.version',
  'mcp.protocol.version',
  'network.protocol.name',
  'network.protocol.version',
  'network.transport',
];
/** GenAI repository: mcp.session.metrics.attributes. */
const LATEST_MCP_SESSION = [ERR, 'jsonrpc.protocol.version', 'mcp.protocol.version', 'network.protocol.name'];

/** One row: a histogram (with its bucket advice) or a counter. */
const H = (
  name: string,
  unit: string,
  value: number,
  buckets: number[],
  required: string[],
  optional: string[],
): Row => ({ name, kind: 'histogram', unit, value, buckets, required, optional });
const C = (name: string, unit: string, value: number, required: string[], optional: string[]): Row => ({
  name,
  kind: 'counter',
  unit,
  value,
  required,
  optional,
});

const mcpRows = (session: string[]): Row[] => [
  H('mcp.client.operation.duration', 's', DOUBLE, MCP, ['mcp.method.name'], [...MCP_OP, ...SERVER_ADDR]),
  H('mcp.server.operation.duration', 's', DOUBLE, MCP, ['mcp.method.name'], MCP_OP),
  H('mcp.client.session.duration', 's', DOUBLE, MCP, [], [...session, ...SERVER_ADDR]),
  H('mcp.server.session.duration', 's', DOUBLE, MCP, [], session),
];

const SERVER_ROWS: Row[] = [
  H('gen_ai.server.request.duration', 's', DOUBLE, D, [OP, PROV], [...GENAI, ERR]),
  H('gen_ai.server.time_to_first_token', 's', DOUBLE, F, [OP, PROV], GENAI),
  H('gen_ai.server.time_per_output_token', 's', DOUBLE, P, [OP, PROV], GENAI),
];

const TABLE: Record<SemconvShape, Row[]> = {
  'v1.41': [
    H('gen_ai.client.operation.duration', 's', DOUBLE, D, [OP, PROV], [...GENAI, ERR, ...OPENAI]),
    H('gen_ai.client.token.usage', '{token}', INT, T, [OP, PROV, 'gen_ai.token.type'], [...GENAI, ...OPENAI]),
    H('gen_ai.client.operation.time_to_first_chunk', 's', DOUBLE, D, [OP, PROV], GENAI),
    H('gen_ai.client.operation.time_per_output_chunk', 's', DOUBLE, D, [OP, PROV], GENAI),
    ...SERVER_ROWS,
    ...mcpRows(V141_MCP_SESSION),
  ],
  latest_experimental: [
    // The GenAI repository makes the provider Conditionally Required here ("if the operation involves a call to a GenAI provider").
    H('gen_ai.client.operation.duration', 's', DOUBLE, D, [OP], [PROV, ...GENAI, ERR, ...OPENAI]),
    H('gen_ai.client.inference.duration', 's', DOUBLE, D, [OP, PROV], [...GENAI, ERR, ...OPENAI]),
    H('gen_ai.client.inference.time_to_first_chunk', 's', DOUBLE, D, [OP, PROV], GENAI),
    H('gen_ai.client.inference.time_per_output_chunk', 's', DOUBLE, D, [OP, PROV], GENAI),
    ...[
      'gen_ai.client.inference.usage.input_tokens',
      'gen_ai.client.inference.usage.output_tokens',
      'gen_ai.client.inference.usage.cache_read.input_tokens',
      'gen_ai.client.inference.usage.cache_write.input_tokens',
      'gen_ai.client.inference.usage.reasoning.output_tokens',
    ].map((name) => C(name, '{token}', INT, [OP, PROV, 'gen_ai.token.modality'], [...GENAI, ...OPENAI])),
    H(
      'gen_ai.client.inference.operation.input_tokens',
      '{token}',
      INT,
      T,
      [OP, PROV],
      [...GENAI, ERR, ...OPENAI],
    ),
    H(
      'gen_ai.client.inference.operation.output_tokens',
      '{token}',
      INT,
      T,
      [OP, PROV],
      [...GENAI, ERR, ...OPENAI],
    ),
    H('gen_ai.invoke_workflow.duration', 's', DOUBLE, WORKFLOW, [], [ERR, 'gen_ai.workflow.name']),
    H(
      'gen_ai.invoke_agent.duration',
      's',
      DOUBLE,
      AGENT,
      [],
      [ERR, 'gen_ai.agent.name', 'gen_ai.request.model'],
    ),
    H('gen_ai.invoke_agent.inference_calls', '{inference_call}', INT, CALLS, [], ['gen_ai.agent.name']),
    H('gen_ai.invoke_agent.tool_calls', '{tool_call}', INT, CALLS, [], ['gen_ai.agent.name']),
    H(
      'gen_ai.execute_tool.duration',
      's',
      DOUBLE,
      D,
      ['gen_ai.tool.name'],
      [ERR, 'gen_ai.agent.name', 'gen_ai.tool.type'],
    ),
    ...SERVER_ROWS,
    ...mcpRows(LATEST_MCP_SESSION),
  ],
};

const DEFS = INSTRUMENTS as readonly InstrumentDefinition[];
const spec = (shape: SemconvShape) => DEFS.filter((d) => d.origin === 'spec' && d.shapes.includes(shape));
/** "Individual systems may include additional system-specific attributes": ours, in our namespace only. */
const isOurs = (k: string) => k.startsWith('tokenmeter.');

/** Drives every spec instrument of `shape` at least once. */
async function exercise(shape: SemconvShape) {
  const r = rig({ semconv: shape });
  const client = {
    provider: 'openai',
    requestModel: 'gpt-4o',
    serverAddress: 'api.openai.com',
    serverPort: 443,
  };
  const chat = r.llm.startRequest({ ...client, operation: 'chat', stream: true });
  r.clock.advance(100);
  chat.chunk();
  r.clock.advance(10);
  chat.chunk();
  chat.end({
    responseModel: 'gpt-4o-2024-08-06',
    inputTokens: 50,
    outputTokens: 20,
    cachedInputTokens: 10,
    reasoningTokens: 5,
    cacheWriteInputTokens: 2,
    serviceTier: 'default',
  });
  r.llm.startRequest({ ...client, operation: 'chat' }).fail(Object.assign(new Error('x'), { status: 429 }));
  r.llm.startRequest({ ...client, operation: 'embeddings' }).end({ inputTokens: 3 });
  r.llm
    .startRequest({ ...client, operation: 'invoke_agent', agentName: 'planner' })
    .end({ inferenceCalls: 2, toolCalls: 1 });
  r.llm
    .startRequest({ ...client, operation: 'execute_tool', toolName: 'search', toolType: 'function' })
    .end();
  r.llm
    .startRequest({ ...client, operation: 'invoke_workflow', workflowName: 'rag' })
    .fail(new TypeError('x'));
  const srv = r.llm.startServerRequest({
    operation: 'chat',
    provider: 'vllm',
    requestModel: 'llama',
    worker: 'w0',
  });
  srv.scheduled();
  r.clock.advance(20);
  srv.token();
  r.clock.advance(10);
  srv.token();
  srv.end({ inputTokens: 5, outputTokens: 2, finishReason: 'stop' });
  r.llm
    .startServerRequest({ operation: 'chat', provider: 'vllm', requestModel: 'llama' })
    .fail(new Error('x'));
  const mcp = {
    protocolVersion: '2025-06-18',
    networkProtocolName: 'http',
    serverAddress: 'mcp.example',
    serverPort: 443,
  };
  r.llm
    .startMcpOperation({ ...mcp, side: 'client', method: 'tools/call', toolName: 'search', transport: 'tcp' })
    .end();
  r.llm
    .startMcpOperation({ ...mcp, side: 'client', method: 'prompts/get', promptName: 'p' })
    .fail(new Error('x'), { rpcErrorCode: -32603 });
  r.llm
    .startMcpOperation({ ...mcp, side: 'server', method: 'resources/read', networkProtocolVersion: '2' })
    .end({ rpcErrorCode: -32002 });
  r.llm.startMcpSession({ ...mcp, side: 'client' }).end();
  r.llm.startMcpSession({ ...mcp, side: 'server' }).fail(new Error('x'));
  return (await r.collect()).resourceMetrics.scopeMetrics.flatMap((sm) => sm.metrics);
}

describe.each(['v1.41', 'latest_experimental'] as const)(
  'the %s shape matches the hand-written spec table',
  (shape) => {
    const rows = TABLE[shape];

    it('the same spec instruments, with the same kind, unit, value type, buckets and required attributes', () => {
      expect(
        spec(shape)
          .map((d) => d.name)
          .sort(),
      ).toEqual(rows.map((r) => r.name).sort());
      for (const row of rows) {
        const d = spec(shape).find((x) => x.name === row.name);
        expect(d, row.name).toBeDefined();
        if (!d) continue;
        expect([d.kind, d.unit, d.valueType === 'int' ? INT : DOUBLE], row.name).toEqual([
          row.kind,
          row.unit,
          row.value,
        ]);
        expect(d.buckets ? [...d.buckets] : undefined, row.name).toEqual(row.buckets);
        // Everything the spec requires we mark required (the provider is always set, so a CR provider may be too).
        for (const k of row.required) expect(d.required ?? [], `${row.name} requires ${k}`).toContain(k);
        for (const k of d.required ?? []) expect([...row.required, PROV], `${row.name}: ${k}`).toContain(k);
        for (const k of d.attributes)
          if (!isOurs(k))
            expect([...row.required, ...row.optional], `${row.name} may not carry ${k}`).toContain(k);
      }
    });

    it('what is recorded: every instrument, its descriptor and buckets, required attributes present, no others', async () => {
      const metrics = await exercise(shape);
      for (const row of rows) {
        const m = metrics.find((x) => x.descriptor.name === row.name);
        expect(m, `${row.name} was not recorded`).toBeDefined();
        if (!m) continue;
        expect(m.descriptor.unit, row.name).toBe(row.unit);
        expect(m.descriptor.valueType, row.name).toBe(row.value);
        if (row.kind === 'histogram') expect(m.dataPointType, row.name).toBe(DataPointType.HISTOGRAM);
        else
          expect([m.dataPointType, m.dataPointType === DataPointType.SUM && m.isMonotonic], row.name).toEqual(
            [DataPointType.SUM, true],
          );
        expect(points(m).length, row.name).toBeGreaterThan(0);
        for (const p of points(m)) {
          const keys = Object.keys(p.attributes);
          for (const k of row.required) expect(keys, `${row.name} point lacks ${k}`).toContain(k);
          for (const k of keys)
            if (!isOurs(k))
              expect([...row.required, ...row.optional], `${row.name} carries ${k}`).toContain(k);
          if (row.buckets) expect(hist(p).buckets.boundaries, row.name).toEqual(row.buckets);
        }
      }
      // Nothing in gen_ai.* or mcp.* that the table does not list.
      const specNames = metrics.map((m) => m.descriptor.name).filter((n) => /^(gen_ai|mcp)\./.test(n));
      for (const n of specNames)
        expect(
          rows.map((r) => r.name),
          n,
        ).toContain(n);
    });
  },
);
