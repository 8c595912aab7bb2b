/**
 * Every fenced TypeScript/JavaScript snippet of every README runs, and every
 * shell snippet is checked, so that a snippet cannot rot. Conventions for
 * snippets that cannot run as shown: `snippets.ts`; what is checked in shell
 * snippets instead of running them: `shell-checks.ts`.
 *
 * Each program is written to `test/readme-snippets/.run/<readme>/` (inside the
 * repository, so the workspace packages resolve from this package's
 * dependencies, built) and run with this Node, which strips the types of a
 * `.ts` file itself. Programs of one README run in order in one folder (the
 * scrape README summarises the recording its first snippet made). It gets what a user would set in the environment, aimed
 * at local stand-ins, no network: `OPENAI_BASE_URL`/`OPENAI_API_KEY`,
 * `OLLAMA_HOST`, `ANTHROPIC_BASE_URL`/`ANTHROPIC_API_KEY` and
 * `GOOGLE_GEMINI_BASE_URL`/`GEMINI_API_KEY` and
 * `AWS_ENDPOINT_URL_BEDROCK_RUNTIME` (with static AWS credentials and region)
 * point at testkit's simulators, `OTEL_EXPORTER_OTLP_ENDPOINT` at
 * a real OTLP receiver with `OTEL_METRICS_EXPORTER=prometheus,otlp` (so the
 * final export of `registerMetrics()` shows what a snippet recorded), and
 * `OTEL_EXPORTER_PROMETHEUS_PORT`/`PORT` at a free port. A program must exit 0
 * (an unhandled rejection exits 1) within its time; `EXPECT` below adds what
 * each one must visibly do. All TS programs are also type-checked with `tsc`.
 *
 * Modes, from `EXPECT`: `serves` — an application that would serve until
 * stopped: kept alive, the path is fetched from the free port, then SIGTERM;
 * `sigintWhen` — one that runs until Ctrl-C: SIGINT once the condition holds,
 * then it must exit 0 by itself.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import {
  type AnthropicSimulator,
  type BedrockSimulator,
  type GoogleSimulator,
  hasToolResult,
  type OllamaSimulator,
  type OpenAiSimulator,
  type SimRequest,
  type SimScript,
  startAnthropicSimulator,
  startBedrockSimulator,
  startGoogleSimulator,
  startOllamaSimulator,
  startOpenAiSimulator,
} from '@tokenmeter/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  attributesOf,
  findMetric,
  type OtlpMetric,
  type OtlpReceiver,
  type ReceivedRequest,
  startOtlpReceiver,
} from '../../packages/setup/test/helpers/otlp-receiver.js';
import { closedPort as freePort, REPO_ROOT, requireBuilt } from '../reliability/helpers.js';
import {
  CliHelp,
  checkInstallLines,
  checkRepoCommands,
  commandsOf,
  importsOf,
  installedBy,
  shellSyntaxError,
} from './shell-checks.js';
import { allSnippets, type Program, programsOf } from './snippets.js';

const RUN_DIR = join(REPO_ROOT, 'test/readme-snippets/.run');
const snippets = allSnippets(REPO_ROOT);
const programs = [...new Set(snippets.map((s) => s.readme))].flatMap((readme) =>
  programsOf(snippets.filter((s) => s.readme === readme)),
);

/** What one run left behind, for the checks. */
interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The OTLP exports it made (the last one holds the cumulative totals). */
  exports: ReceivedRequest[];
  openai: SimRequest[];
  ollama: SimRequest[];
  anthropic: SimRequest[];
  google: SimRequest[];
  bedrock: SimRequest[];
  /** Its working directory (files it wrote). */
  dir: string;
  /** With `serves`: the fetched response. */
  served?: { status: number; body: string };
}

interface Expectation {
  /** Serve until stopped: fetch this path from the free port, then SIGTERM. */
  serves?: string;
  /** With `serves`: fetch again until the body passes this (e.g. a first scrape round is in). */
  servedWhen?: (body: string) => boolean;
  /** Run until Ctrl-C: SIGINT once this holds. */
  sigintWhen?: (dir: string) => boolean;
  check?: (run: Run) => void;
  timeoutMillis?: number;
}

/** The metric of the last export, or undefined. */
function exported(run: Run, name: string): OtlpMetric | undefined {
  const last = run.exports.at(-1);
  return last ? findMetric(last.body, name) : undefined;
}
function sumOf(metric: OtlpMetric | undefined, match: Record<string, unknown> = {}): number {
  return (metric?.sum?.dataPoints ?? [])
    .filter((p) => Object.entries(match).every(([k, v]) => attributesOf(p.attributes)[k] === v))
    .reduce((a, p) => a + Number(p.asInt ?? p.asDouble ?? 0), 0);
}
function histogramCount(metric: OtlpMetric | undefined, match: Record<string, unknown> = {}): number {
  return (metric?.histogram?.dataPoints ?? [])
    .filter((p) => Object.entries(match).every(([k, v]) => attributesOf(p.attributes)[k] === v))
    .reduce((a, p) => a + Number(p.count), 0);
}
function sqliteScrapes(file: string): number {
  if (!existsSync(file)) return 0;
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    return Number((db.prepare('SELECT count(*) AS n FROM scrapes').get() as { n: number }).n);
  } catch {
    return 0; // not created yet
  } finally {
    db.close();
  }
}

const CHAT = { 'gen_ai.operation.name': 'chat' };
const EXPECT: Record<string, Expectation> = {
  'packages/setup/README.md#In code': {
    check: (r) => {
      // The forceFlush and the final export of shutdown(): both arrived, the last one with the counter.
      expect(r.exports.length).toBeGreaterThanOrEqual(2);
      expect(sumOf(exported(r, 'app.requests'))).toBe(1);
      expect(r.stdout + r.stderr).toMatch(
        /metrics at http:\/\/127\.0\.0\.1:9464\/metrics|MetricsServerError/,
      );
    },
  },
  'packages/setup/README.md#Mount on your own server': {
    serves: '/metrics',
    check: (r) => expect(r.served?.body).toMatch(/^target_info\{/m),
  },
  'packages/setup/README.md#More routes on the metrics server': {
    serves: '/version',
    check: (r) => expect(r.served?.body).toBe('1.4.2\n'),
  },
  'packages/setup/README.md#Exemplars': {
    // The OpenMetrics bucket line of the recorded value, with the span's trace and span id.
    check: (r) =>
      expect(r.stdout).toMatch(
        /^http_server_request_duration_seconds_bucket\{[^}]*le="1\.0"\} 1 # \{trace_id="[0-9a-f]{32}",span_id="[0-9a-f]{16}"\} 0\.42 \d+(\.\d+)?$/m,
      ),
  },
  'packages/setup/README.md#Your own provider and readers': {
    // The application's own OTLP reader received the bound series at shutdown.
    check: (r) => {
      expect(r.exports.length).toBeGreaterThanOrEqual(1);
      expect(sumOf(exported(r, 'app.requests'), { 'http.route': '/chat' })).toBe(1);
    },
  },
  'packages/setup/README.md#A provider that is already built (NodeSDK)': {
    // NodeSDK's own OTLP reader, built from OTEL_METRICS_EXPORTER, received the bound series at shutdown.
    check: (r) => {
      expect(r.exports.length).toBeGreaterThanOrEqual(1);
      expect(sumOf(exported(r, 'app.requests'), { 'http.route': '/chat' })).toBe(1);
    },
  },
  'packages/setup/README.md#A provider that is already built (NodeSDK) #2': {
    // setup's endpoint on the app's server, from the PrometheusReader in NodeSDK's metricReaders.
    serves: '/metrics',
    check: (r) => {
      expect(r.served?.body).toMatch(
        /^app_requests_total\{http_route="\/chat",otel_scope_name="chat-api"\} 1$/m,
      );
      expect(r.served?.body).toMatch(/^target_info\{[^}]*service_name="chat-api"/m);
    },
  },
  'packages/setup/README.md#Cluster and worker threads': {
    // Two real workers each counted one request; the primary's scrape merged them into one series.
    check: (r) =>
      expect(r.stdout).toMatch(/^app_requests_total\{http_route="\/chat",otel_scope_name="chat-api"\} 2$/m),
  },
  'packages/setup/README.md#File exporter': {
    check: (r) => {
      // One OTLP/JSON request per line; the final export on exit wrote the counter.
      const lines = readFileSync(join(r.dir, 'metrics.jsonl'), 'utf8').trim().split('\n');
      expect(lines).toHaveLength(1);
      const line = JSON.parse(lines[0] as string) as Parameters<typeof findMetric>[0];
      expect(findMetric(line, 'bench.runs')?.sum?.dataPoints[0]?.asDouble).toBe(1);
    },
  },
  'packages/llm/README.md#Client requests': {
    check: (r) => {
      expect(r.stdout).toBe('Hello!');
      const duration = exported(r, 'gen_ai.client.operation.duration');
      expect(histogramCount(duration, { ...CHAT, 'gen_ai.request.model': 'gpt-4o' })).toBe(1);
      const usage = exported(r, 'gen_ai.client.token.usage');
      expect(histogramCount(usage, { 'gen_ai.token.type': 'output' })).toBe(1);
      expect(histogramCount(exported(r, 'gen_ai.client.operation.time_per_output_chunk'))).toBe(2);
      // The later sections of the README ran in the same program.
      expect(sumOf(exported(r, 'tokenmeter.training.steps'))).toBe(1);
      expect(histogramCount(exported(r, 'gen_ai.server.request.duration'))).toBe(1);
      expect(sumOf(exported(r, 'tokenmeter.gen_ai.client.retries'))).toBe(1);
    },
  },
  'packages/llm/README.md#snapshot()': {
    check: (r) => expect(r.stdout).toBe('1 request(s), 80 output tokens\n'),
  },
  'packages/llm/README.md#Server attributes and error types': {
    check: (r) => {
      expect(r.stdout).toContain("{ serverAddress: 'api.example.com', serverPort: 443 }");
      expect(r.stdout).toContain("{ serverAddress: '::1', serverPort: 8000 }");
    },
  },
  'packages/openai/README.md#Use': {
    check: (r) => {
      expect(r.openai.map((q) => [q.path, q.model])).toEqual([['/v1/chat/completions', 'gpt-4o-mini']]);
      expect(r.stdout.length).toBeGreaterThan(0); // the streamed text
      const match = { ...CHAT, 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o-mini' };
      expect(histogramCount(exported(r, 'gen_ai.client.operation.duration'), match)).toBe(1);
      expect(histogramCount(exported(r, 'gen_ai.client.operation.time_to_first_chunk'), match)).toBe(1);
      expect(histogramCount(exported(r, 'gen_ai.client.token.usage'), match)).toBe(2); // input and output
    },
  },
  'packages/ollama/README.md#Use': {
    check: (r) => {
      expect(r.ollama.map((q) => [q.path, q.model])).toEqual([['/api/chat', 'llama3.2']]);
      const match = { ...CHAT, 'gen_ai.provider.name': 'ollama', 'gen_ai.request.model': 'llama3.2' };
      expect(histogramCount(exported(r, 'gen_ai.client.operation.duration'), match)).toBe(1);
      expect(histogramCount(exported(r, 'tokenmeter.gen_ai.client.reported.server.duration'))).toBe(1);
    },
  },
  'packages/anthropic/README.md#Use': {
    check: (r) => {
      expect(r.anthropic.map((q) => [q.path, q.model, q.body?.stream])).toEqual([
        ['/v1/messages', 'claude-sonnet-4-5', true],
      ]);
      expect(r.stdout).toBe('Hello from the');
      const match = {
        ...CHAT,
        'gen_ai.provider.name': 'anthropic',
        'gen_ai.request.model': 'claude-sonnet-4-5',
      };
      expect(histogramCount(exported(r, 'gen_ai.client.operation.duration'), match)).toBe(1);
      expect(histogramCount(exported(r, 'gen_ai.client.operation.time_to_first_chunk'), match)).toBe(1);
      expect(histogramCount(exported(r, 'gen_ai.client.token.usage'), match)).toBe(2); // input and output
    },
  },
  'packages/google-genai/README.md#Use': {
    check: (r) => {
      expect(r.google.map((q) => [q.path, q.model])).toEqual([
        ['/v1/models/gemini-2.5-flash:streamGenerateContent', 'gemini-2.5-flash'],
      ]);
      // The streamed text, then the SDK's console.debug about the Vertex AI client's credentials.
      expect(r.stdout).toMatch(/^Hello from the(\n|The user provided)/);
      const match = {
        'gen_ai.operation.name': 'generate_content',
        'gen_ai.provider.name': 'gcp.gemini',
        'gen_ai.request.model': 'gemini-2.5-flash',
      };
      expect(histogramCount(exported(r, 'gen_ai.client.operation.duration'), match)).toBe(1);
      expect(histogramCount(exported(r, 'gen_ai.client.operation.time_to_first_chunk'), match)).toBe(1);
      expect(histogramCount(exported(r, 'gen_ai.client.token.usage'), match)).toBe(2); // input and output
    },
  },
  'packages/bedrock/README.md#Use': {
    check: (r) => {
      expect(r.bedrock.map((q) => [q.path.split('/').at(-1), q.model])).toEqual([
        ['converse-stream', 'anthropic.claude-3-5-haiku-20241022-v1:0'],
      ]);
      expect(r.stdout).toBe('Hello from the');
      const match = {
        ...CHAT,
        'gen_ai.provider.name': 'aws.bedrock',
        'gen_ai.request.model': 'anthropic.claude-3-5-haiku-20241022-v1:0',
        'server.address': '127.0.0.1',
      };
      expect(histogramCount(exported(r, 'gen_ai.client.operation.duration'), match)).toBe(1);
      expect(histogramCount(exported(r, 'gen_ai.client.operation.time_to_first_chunk'), match)).toBe(1);
      expect(histogramCount(exported(r, 'gen_ai.client.token.usage'), match)).toBe(2); // input and output
      expect(histogramCount(exported(r, 'tokenmeter.gen_ai.client.reported.server.duration'), match)).toBe(1);
    },
  },
  'packages/langchain/README.md#Use': {
    check: (r) => {
      expect(r.openai.map((q) => [q.path, q.model, q.body?.stream])).toEqual([
        ['/v1/chat/completions', 'gpt-4o-mini', true],
      ]);
      expect(r.stdout).toBe('Hello from the');
      const match = { ...CHAT, 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o-mini' };
      expect(histogramCount(exported(r, 'gen_ai.client.operation.duration'), match)).toBe(1);
      expect(histogramCount(exported(r, 'gen_ai.client.operation.time_to_first_chunk'), match)).toBe(1);
      expect(histogramCount(exported(r, 'gen_ai.client.token.usage'), match)).toBe(2); // input and output
    },
  },
  'packages/ai-sdk/README.md#Use': {
    check: (r) => {
      // streamText, then the agent loop: a call that asks for the tool, and one with its result.
      expect(r.openai.map((q) => [q.path, q.model])).toEqual([
        ['/v1/responses', 'gpt-4o-mini'],
        ['/v1/responses', 'gpt-4o-mini'],
        ['/v1/responses', 'gpt-4o-mini'],
      ]);
      expect(r.stdout).toBe('Hello from the2 steps: Hello from the\n');
      const match = { 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o-mini' };
      expect(histogramCount(exported(r, 'gen_ai.client.operation.duration'), { ...match, ...CHAT })).toBe(3);
      expect(histogramCount(exported(r, 'gen_ai.client.operation.time_to_first_chunk'), match)).toBe(1);
      const tool = { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.provider.name': 'openai' };
      expect(histogramCount(exported(r, 'gen_ai.client.operation.duration'), tool)).toBe(1);
      const agent = { ...match, 'gen_ai.operation.name': 'invoke_agent' };
      expect(histogramCount(exported(r, 'gen_ai.client.operation.duration'), agent)).toBe(1);
    },
  },
  'packages/openai-agents/README.md#Use': {
    check: (r) => {
      expect(r.openai.map((q) => [q.path, q.model])).toEqual([
        ['/v1/responses', 'gpt-4o'],
        ['/v1/responses', 'gpt-4o'],
      ]);
      expect(r.stdout).toBe('Hello from the\n');
      const duration = exported(r, 'gen_ai.client.operation.duration');
      const op = (name: string) => ({ 'gen_ai.operation.name': name, 'gen_ai.provider.name': 'openai' });
      expect(histogramCount(duration, op('invoke_agent'))).toBe(1);
      expect(histogramCount(duration, op('execute_tool'))).toBe(1);
      expect(histogramCount(duration, { ...op('chat'), 'gen_ai.response.model': 'gpt-4o' })).toBe(2);
      expect(histogramCount(exported(r, 'gen_ai.client.token.usage'), op('chat'))).toBe(4); // input and output, twice
    },
  },
  'packages/mcp/README.md#Use': {
    check: (r) => {
      expect(r.stdout).toBe("[ { type: 'text', text: 'Sunny in Paris' } ]\n");
      const call = { 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'forecast' };
      expect(histogramCount(exported(r, 'mcp.client.operation.duration'), call)).toBe(1);
      expect(histogramCount(exported(r, 'mcp.server.operation.duration'), call)).toBe(1);
      expect(histogramCount(exported(r, 'mcp.client.session.duration'))).toBe(1);
      expect(histogramCount(exported(r, 'mcp.server.session.duration'))).toBe(1);
    },
  },
  'packages/tfjs/README.md#Use': {
    timeoutMillis: 120_000,
    check: (r) => {
      // 256 samples, validationSplit 0.2: 204 to train on, in 7 batches of up to 32; 5 epochs.
      expect(sumOf(exported(r, 'tokenmeter.training.steps'), { 'tokenmeter.training.run': 'demo' })).toBe(35);
      expect(
        sumOf(exported(r, 'tokenmeter.training.samples'), { 'tokenmeter.training.split': 'train' }),
      ).toBe(5 * 204);
    },
  },
  'packages/dashboard/README.md#Use': {
    serves: '/dashboard.json',
    check: (r) =>
      expect(JSON.parse(r.served?.body ?? '{}')).toMatchObject({
        schema: 'tokenmeter.dashboard/v1',
        ok: true,
      }),
  },
  'packages/host/README.md#@tokenmeter/host': {
    check: (r) => expect(r.stdout).toMatch(/^GPU metrics from (nvml|nvidia-smi|nowhere)/),
  },
  'packages/scrape/README.md#Record a vLLM server to SQLite': {
    // Nothing listens on :8000 here: the rounds record the target as down, which is data too.
    sigintWhen: (dir) => sqliteScrapes(join(dir, 'run.sqlite')) > 0,
    check: (r) => expect(sqliteScrapes(join(r.dir, 'run.sqlite'))).toBeGreaterThan(0),
  },
  'packages/scrape/README.md#Summarise it': {
    check: (r) => expect(r.stdout).toMatch(/\|/), // a Markdown table of the recording above
  },
  'packages/scrape/README.md#Bridge into OpenTelemetry': {
    serves: '/metrics',
    // Nothing listens on :8000 here; the first round (with its retries) reports the target down.
    servedWhen: (body) => body.includes('tokenmeter_scrape_up'),
    check: (r) => expect(r.served?.body).toMatch(/^tokenmeter_scrape_up\{/m),
  },
  'packages/exposition/README.md#@tokenmeter/exposition': {
    check: (r) =>
      expect(r.stdout).toBe('requests_total{route="/a"} 3\nrequests_total{route="/\\"b\\""} 5\n\n'),
  },
  'packages/exposition/README.md#CSV': {
    check: (r) => expect(r.stdout).toBe('name,labels,value\nvllm:e2e,"{""model"":""a,b""}",+Inf\n\n'),
  },
  'packages/exposition/README.md#Quantiles': {
    check: (r) => expect(r.stdout).toMatch(/^p50 0\.42\d* s, p99 0\.9\d+ s\n$/),
  },
  'packages/testkit/README.md#OpenAI-compatible simulator': {},
  'packages/testkit/README.md#Bedrock simulator': {
    check: (r) => expect(r.stdout).toBe('end_turn 3\n'),
  },
  'packages/testkit/README.md#Anthropic Messages API simulator': {
    check: (r) => expect(r.stdout).toBe('10 60\n'),
  },
  'packages/testkit/README.md#Google Gen AI simulator': {
    check: (r) => expect(r.stdout).toBe('Hello from the'),
  },
  'packages/testkit/README.md#createTestMeterProvider()': {},
};

/**
 * The OpenAI simulator as a model that uses the tools it is given, for the
 * agent snippets: asked with tools and no tool result yet, it calls the
 * first one (chat completions: `{ function: { name } }`; Responses API:
 * `{ name }`), then, given the result, it replies.
 */
function usesItsTools(r: SimRequest): SimScript | undefined {
  const first = Array.isArray(r.body?.tools)
    ? (r.body.tools[0] as Record<string, unknown> | undefined)
    : undefined;
  if (!first || hasToolResult(r)) return undefined;
  const fn = first.function as { name?: unknown } | undefined;
  const name = typeof first.name === 'string' ? first.name : fn?.name;
  return typeof name === 'string' ? { toolCall: name } : undefined;
}

let openai: OpenAiSimulator;
let ollama: OllamaSimulator;
let anthropic: AnthropicSimulator;
let google: GoogleSimulator;
let bedrock: BedrockSimulator;
let receiver: OtlpReceiver;

beforeAll(async () => {
  requireBuilt(
    'exposition',
    'setup',
    'llm',
    'host',
    'openai',
    'ollama',
    'anthropic',
    'google-genai',
    'bedrock',
    'ai-sdk',
    'langchain',
    'openai-agents',
    'mcp',
    'tfjs',
    'scrape',
    'dashboard',
    'testkit',
    'cli',
  );
  rmSync(RUN_DIR, { recursive: true, force: true });
  mkdirSync(RUN_DIR, { recursive: true });
  for (const p of programs) {
    const file = programFile(p);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, p.source);
  }
  openai = await startOpenAiSimulator({ defaults: { chunks: 3 }, script: usesItsTools });
  ollama = await startOllamaSimulator({ defaults: { chunks: 3 } });
  anthropic = await startAnthropicSimulator({ defaults: { chunks: 3 } });
  google = await startGoogleSimulator({ defaults: { chunks: 3 } });
  bedrock = await startBedrockSimulator({ defaults: { chunks: 3 } });
  receiver = await startOtlpReceiver();
});
afterAll(async () => {
  await Promise.all([
    openai?.close(),
    ollama?.close(),
    anthropic?.close(),
    google?.close(),
    bedrock?.close(),
    receiver?.close(),
  ]);
});

function programFile(p: Program): string {
  const slug = (s: string) => s.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '');
  const n = programs.filter((q) => q.readme === p.readme).indexOf(p) + 1;
  return join(
    RUN_DIR,
    slug(dirname(p.readme) === '.' ? 'root' : dirname(p.readme)),
    `${n}-${slug(p.id.split('#')[1] ?? '')}.${p.lang === 'ts' ? 'ts' : 'mjs'}`,
  );
}

/** Calls `probe` every 50 ms until it returns a value, the child exits, or `timeoutMillis` passes. */
async function until<T>(
  child: ChildProcess,
  timeoutMillis: number,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = performance.now() + timeoutMillis;
  while (performance.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error('the program exited');
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`not ready within ${timeoutMillis} ms`);
}

async function runProgram(p: Program, expectation: Expectation): Promise<Run> {
  const file = programFile(p);
  const dir = dirname(file);
  const port = await freePort();
  const before = {
    exports: receiver.requests.length,
    openai: openai.requests.length,
    ollama: ollama.requests.length,
    anthropic: anthropic.requests.length,
    google: google.requests.length,
    bedrock: bedrock.requests.length,
  };
  // A real application has its own work that keeps it running; a served snippet gets a timer.
  const keepAlive = expectation.serves ? ['--import', 'data:text/javascript,setInterval(()=>{},2**30)'] : [];
  // Node 24 (and 22.18+) strips the types of a .ts file by itself; 22.15-22.17 need the flag.
  const stripTypes = process.features.typescript ? [] : ['--experimental-strip-types'];
  const child = spawn(process.execPath, [...stripTypes, ...keepAlive, file], {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      OPENAI_BASE_URL: openai.baseURL,
      OPENAI_API_KEY: 'sk-readme-test',
      OLLAMA_HOST: ollama.url,
      ANTHROPIC_BASE_URL: anthropic.baseURL,
      ANTHROPIC_API_KEY: 'sk-ant-readme-test',
      GOOGLE_GEMINI_BASE_URL: google.baseURL,
      GEMINI_API_KEY: 'readme-test',
      AWS_ENDPOINT_URL_BEDROCK_RUNTIME: bedrock.url,
      AWS_ACCESS_KEY_ID: 'AKIDREADMETEST',
      AWS_SECRET_ACCESS_KEY: 'readme-test',
      AWS_REGION: 'us-east-1',
      OTEL_METRICS_EXPORTER: 'prometheus,otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_METRIC_EXPORT_INTERVAL: '3600000',
      OTEL_EXPORTER_PROMETHEUS_PORT: String(port),
      PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d;
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  const timeout = expectation.timeoutMillis ?? 45_000;
  const killer = setTimeout(() => child.kill('SIGKILL'), timeout);
  let served: Run['served'];
  let ended: { code: number | null; signal: NodeJS.Signals | null };
  try {
    if (expectation.serves) {
      const url = `http://127.0.0.1:${port}${expectation.serves}`;
      served = await until(child, 20_000, async () => {
        const res = await fetch(url);
        const body = await res.text();
        const ready = res.status === 200 && (expectation.servedWhen?.(body) ?? true);
        return ready ? { status: res.status, body } : undefined;
      });
      child.kill('SIGTERM');
    } else if (expectation.sigintWhen) {
      const when = expectation.sigintWhen;
      await until(child, 20_000, async () => (when(dir) ? true : undefined));
      child.kill('SIGINT');
    }
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  } finally {
    ended = await exited;
    clearTimeout(killer);
  }
  return {
    ...ended,
    stdout,
    stderr,
    exports: receiver.requests.slice(before.exports),
    openai: openai.requests.slice(before.openai),
    ollama: ollama.requests.slice(before.ollama),
    anthropic: anthropic.requests.slice(before.anthropic),
    google: google.requests.slice(before.google),
    bedrock: bedrock.requests.slice(before.bedrock),
    dir,
    ...(served ? { served } : {}),
  };
}

describe('README snippets', () => {
  it('are found: every README with snippets, each fenced block once', () => {
    const readmes = new Set(snippets.map((s) => s.readme));
    for (const r of [
      'README.md',
      'packages/setup/README.md',
      'packages/llm/README.md',
      'packages/openai/README.md',
    ]) {
      expect(readmes).toContain(r);
    }
    expect(programs.length).toBeGreaterThan(15);
  });

  it('every expectation names a program that exists (a renamed heading must not silence its checks)', () => {
    const ids = new Set(programs.map((p) => p.id));
    expect(Object.keys(EXPECT).filter((id) => !ids.has(id))).toEqual([]);
  });

  it('lists what is not run, with the reason', () => {
    const skipped = snippets.filter((s) => s.directive === 'skip');
    const shell = snippets.filter((s) => s.lang === 'sh');
    console.log(
      [
        `README snippets: ${programs.length} programs run (${snippets.length - skipped.length - shell.length} TS/JS snippets), ${shell.length} shell snippets checked, not run; ${skipped.length} skipped:`,
        ...skipped.map((s) => `  ${s.readme}:${s.line} (${s.heading}): ${s.note}`),
      ].join('\n'),
    );
    for (const s of skipped) expect(s.note.length, `${s.readme}:${s.line}`).toBeGreaterThan(10);
  });

  it('type-check (tsc, strict, against the built packages)', () => {
    writeFileSync(
      join(RUN_DIR, 'tsconfig.json'),
      JSON.stringify({
        extends: '../../../tsconfig.base.json',
        compilerOptions: {
          noEmit: true,
          composite: false,
          incremental: false,
          declaration: false,
          declarationMap: false,
        },
        include: ['**/*.ts'],
      }),
    );
    const tsc = join(REPO_ROOT, 'node_modules/typescript/bin/tsc');
    const r = spawnSync(process.execPath, [tsc, '-p', join(RUN_DIR, 'tsconfig.json')], { encoding: 'utf8' });
    expect(`${r.stdout}${r.stderr}`, 'tsc').toBe('');
    expect(r.status).toBe(0);
  }, 120_000);

  for (const p of programs) {
    const expectation = EXPECT[p.id] ?? {};
    it(
      `runs: ${p.id}`,
      async () => {
        const run = await runProgram(p, expectation);
        const output = `--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;
        if (expectation.serves) expect(run.served?.status, output).toBe(200);
        else expect({ code: run.code, signal: run.signal }, output).toEqual({ code: 0, signal: null });
        expect(run.stderr, output).not.toMatch(/Unhandled|unhandled|ERR_UNHANDLED_REJECTION/);
        expectation.check?.(run);
      },
      (expectation.timeoutMillis ?? 45_000) + 30_000,
    );
  }
});

describe('README shell snippets (checked, not run)', () => {
  const cli = new CliHelp(REPO_ROOT);
  for (const s of snippets.filter((x) => x.lang === 'sh')) {
    it(`${s.readme}:${s.line} (${s.heading})`, () => {
      expect(shellSyntaxError(s.code)).toBeUndefined();
      expect(checkRepoCommands(REPO_ROOT, s.code, cli)).toEqual([]);
    });
  }

  for (const readme of [...new Set(snippets.map((s) => s.readme))]) {
    const mine = snippets.filter((s) => s.readme === readme);
    const installs = mine
      .filter((s) => s.lang === 'sh')
      .flatMap((s) => commandsOf(s.code).flatMap((words) => installedBy(words) ?? []));
    if (installs.length === 0) continue;
    it(`${readme}: the install line names real packages and everything the snippets import`, () => {
      const imported = [...new Set(mine.filter((s) => s.lang !== 'sh').flatMap((s) => importsOf(s.code)))];
      expect(checkInstallLines(REPO_ROOT, readme, installs, imported)).toEqual([]);
    });
  }
});
