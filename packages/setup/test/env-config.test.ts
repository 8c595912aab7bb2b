import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../src/errors.js';
import { resolveConfig } from '../src/resolve-config.js';

const resolve = (env: Record<string, string>, options = {}) => resolveConfig({ env, ...options });

describe('defaults (no environment, no options)', () => {
  const c = resolve({});
  it('serves Prometheus on loopback:9464/metrics', () => {
    expect(c.exporters).toEqual(['prometheus']);
    expect(c.prometheus).toMatchObject({ host: '127.0.0.1', port: 9464, path: '/metrics', naming: 'otel' });
  });
  it('uses the OTLP spec defaults', () => {
    expect(c.otlp).toMatchObject({
      url: 'http://localhost:4318/v1/metrics',
      protocol: 'http/protobuf',
      compression: 'none',
      timeoutMillis: 10000,
      intervalMillis: 60000,
      exportTimeoutMillis: 30000,
      temporality: 'cumulative',
      headers: {},
    });
  });
  it('limits cardinality and flushes on signals', () => {
    expect(c.cardinalityLimit).toBe(2000);
    expect(c.shutdownOnSignals).toBe(true);
    expect(c.disabled).toBe(false);
  });
});

describe('environment variables', () => {
  it.each([
    [{ OTEL_SDK_DISABLED: 'true' }, (c: ReturnType<typeof resolveConfig>) => c.disabled, true],
    [{ OTEL_SDK_DISABLED: 'FALSE' }, (c: ReturnType<typeof resolveConfig>) => c.disabled, false],
    [{ OTEL_SERVICE_NAME: 'chat-api' }, (c: ReturnType<typeof resolveConfig>) => c.serviceName, 'chat-api'],
    [
      { OTEL_METRICS_EXPORTER: 'otlp,prometheus' },
      (c: ReturnType<typeof resolveConfig>) => c.exporters,
      ['otlp', 'prometheus'],
    ],
    [
      { OTEL_METRICS_EXPORTER: ' console , otlp ' },
      (c: ReturnType<typeof resolveConfig>) => c.exporters,
      ['console', 'otlp'],
    ],
    [{ OTEL_METRICS_EXPORTER: 'logging' }, (c: ReturnType<typeof resolveConfig>) => c.exporters, ['console']],
    [{ OTEL_METRICS_EXPORTER: 'none' }, (c: ReturnType<typeof resolveConfig>) => c.exporters, []],
    [
      { OTEL_EXPORTER_PROMETHEUS_HOST: '0.0.0.0' },
      (c: ReturnType<typeof resolveConfig>) => c.prometheus.host,
      '0.0.0.0',
    ],
    [
      { OTEL_EXPORTER_PROMETHEUS_PORT: '9999' },
      (c: ReturnType<typeof resolveConfig>) => c.prometheus.port,
      9999,
    ],
    [
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' },
      (c: ReturnType<typeof resolveConfig>) => c.otlp.url,
      'http://collector:4318/v1/metrics',
    ],
    [
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'https://gw.example.com/otlp/' },
      (c: ReturnType<typeof resolveConfig>) => c.otlp.url,
      'https://gw.example.com/otlp/v1/metrics',
    ],
    [
      // The signal-specific endpoint is used as is, and wins over the generic one.
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318',
        OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://b:4318/custom',
      },
      (c: ReturnType<typeof resolveConfig>) => c.otlp.url,
      'http://b:4318/custom',
    ],
    [
      { OTEL_EXPORTER_OTLP_HEADERS: 'api-key=secret%20value,x-tenant=a' },
      (c: ReturnType<typeof resolveConfig>) => c.otlp.headers,
      { 'api-key': 'secret value', 'x-tenant': 'a' },
    ],
    [
      { OTEL_EXPORTER_OTLP_HEADERS: 'a=1', OTEL_EXPORTER_OTLP_METRICS_HEADERS: 'b=2' },
      (c: ReturnType<typeof resolveConfig>) => c.otlp.headers,
      { b: '2' },
    ],
    [
      { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' },
      (c: ReturnType<typeof resolveConfig>) => c.otlp.protocol,
      'http/json',
    ],
    [
      { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/protobuf' },
      (c: ReturnType<typeof resolveConfig>) => c.otlp.protocol,
      'http/protobuf',
    ],
    [
      { OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip' },
      (c: ReturnType<typeof resolveConfig>) => c.otlp.compression,
      'gzip',
    ],
    [
      { OTEL_EXPORTER_OTLP_METRICS_TIMEOUT: '2500' },
      (c: ReturnType<typeof resolveConfig>) => c.otlp.timeoutMillis,
      2500,
    ],
    [
      { OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'Delta' },
      (c: ReturnType<typeof resolveConfig>) => c.otlp.temporality,
      'delta',
    ],
    [
      { OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'lowmemory' },
      (c: ReturnType<typeof resolveConfig>) => c.otlp.temporality,
      'lowmemory',
    ],
    [
      { OTEL_METRIC_EXPORT_INTERVAL: '5000' },
      (c: ReturnType<typeof resolveConfig>) => c.otlp.intervalMillis,
      5000,
    ],
    [
      { OTEL_METRIC_EXPORT_TIMEOUT: '1000' },
      (c: ReturnType<typeof resolveConfig>) => c.otlp.exportTimeoutMillis,
      1000,
    ],
    // Empty means unset, per the spec.
    [{ OTEL_EXPORTER_PROMETHEUS_PORT: '' }, (c: ReturnType<typeof resolveConfig>) => c.prometheus.port, 9464],
  ] as const)('%o', (env, pick, expected) => {
    expect(pick(resolve(env as Record<string, string>))).toEqual(expected);
  });
});

describe('code options take precedence over the environment', () => {
  const env = {
    OTEL_SERVICE_NAME: 'from-env',
    OTEL_METRICS_EXPORTER: 'console',
    OTEL_EXPORTER_PROMETHEUS_PORT: '1111',
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://env:4318',
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_METRIC_EXPORT_INTERVAL: '1000',
    OTEL_SDK_DISABLED: 'true',
  };
  const c = resolve(env, {
    serviceName: 'from-code',
    exporters: ['prometheus', 'otlp'],
    prometheus: { port: 2222 },
    otlp: { endpoint: 'http://code:4318', protocol: 'http/protobuf', intervalMillis: 3000 },
    disabled: false,
  });
  it('every setting', () => {
    expect(c.serviceName).toBe('from-code');
    expect(c.exporters).toEqual(['prometheus', 'otlp']);
    expect(c.prometheus.port).toBe(2222);
    expect(c.otlp.url).toBe('http://code:4318/v1/metrics');
    expect(c.otlp.protocol).toBe('http/protobuf');
    expect(c.otlp.intervalMillis).toBe(3000);
    expect(c.disabled).toBe(false);
  });
});

describe('invalid values fail at start-up naming the variable, the value and what is accepted', () => {
  it.each([
    ['OTEL_SDK_DISABLED', 'yes', '"true" or "false"'],
    ['OTEL_METRICS_EXPORTER', 'prometheus,zipkin', 'prometheus, otlp, console, logging, file, none'],
    ['OTEL_METRICS_EXPORTER', 'none,otlp', '"none" alone'],
    ['OTEL_EXPORTER_PROMETHEUS_PORT', '70000', 'an integer from 0 to 65535'],
    ['OTEL_EXPORTER_PROMETHEUS_PORT', '94x64', 'an integer from 0 to 65535'],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'collector:4318', 'an absolute http:// or https:// URL'],
    ['OTEL_EXPORTER_OTLP_METRICS_ENDPOINT', 'ftp://collector', 'an absolute http:// or https:// URL'],
    ['OTEL_EXPORTER_OTLP_PROTOCOL', 'grpc', 'http/protobuf, http/json'],
    ['OTEL_EXPORTER_OTLP_METRICS_PROTOCOL', 'http/xml', 'http/protobuf, http/json'],
    ['OTEL_EXPORTER_OTLP_COMPRESSION', 'zstd', 'gzip, none'],
    ['OTEL_EXPORTER_OTLP_TIMEOUT', '-5', 'a positive integer'],
    ['OTEL_EXPORTER_OTLP_HEADERS', 'novalue', 'key=value'],
    ['OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE', 'sometimes', 'cumulative, delta, lowmemory'],
    ['OTEL_METRIC_EXPORT_INTERVAL', '0', 'a positive integer'],
    ['OTEL_METRIC_EXPORT_TIMEOUT', '1.5', 'integer'],
  ])('%s=%s', (name, value, accepted) => {
    let error: unknown;
    try {
      resolve({ [name]: value });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    const e = error as ConfigurationError;
    expect(e.setting).toBe(name);
    expect(e.value).toBe(value);
    expect(e.message).toContain(name);
    expect(e.message).toContain(JSON.stringify(value));
    expect(e.message).toContain(accepted);
  });

  it.each([
    [{ prometheus: { port: -1 } }, 'prometheus.port'],
    [{ prometheus: { port: 1.5 } }, 'prometheus.port'],
    [{ prometheus: { path: 'metrics' } }, 'prometheus.path'],
    [{ exporters: ['prometheus', 'jaeger'] }, 'exporters'],
    [{ otlp: { endpoint: 'not a url' } }, 'otlp.endpoint'],
    [{ otlp: { protocol: 'grpc' } }, 'otlp.protocol'],
    [{ cardinalityLimit: 0 }, 'cardinalityLimit'],
    [{ prometheus: { naming: 'fancy' } }, 'prometheus.naming'],
  ])('code option %o', (options, setting) => {
    expect(() => resolveConfig({ env: {}, ...(options as object) })).toThrowError(
      expect.objectContaining({ name: 'ConfigurationError', setting }),
    );
  });
});
