import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  negotiateFormat,
  OPENMETRICS_CONTENT_TYPE,
  PROTOBUF_CONTENT_TYPE,
  TEXT_CONTENT_TYPE,
} from '../src/exposition-format.js';

// What Debian's Prometheus 2.42 sends, read off the wire by the real-Prometheus test.
const PROMETHEUS_DEFAULT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
const PROMETHEUS_NATIVE_HISTOGRAMS =
  'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

const format = (accept: string | string[] | undefined) => negotiateFormat(accept).format;

describe('negotiateFormat', () => {
  it('serves Prometheus what it asks for first', () => {
    expect(negotiateFormat(PROMETHEUS_DEFAULT)).toEqual({
      format: 'openmetrics',
      contentType: OPENMETRICS_CONTENT_TYPE,
    });
    expect(negotiateFormat(PROMETHEUS_NATIVE_HISTOGRAMS)).toEqual({
      format: 'protobuf',
      contentType: PROTOBUF_CONTENT_TYPE,
    });
    expect(OPENMETRICS_CONTENT_TYPE).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
  });

  it('gives the text format to plain clients (curl, browsers, fetch) and to no header at all', () => {
    for (const accept of [undefined, '', '*/*', 'text/plain', 'text/html,application/xhtml+xml,*/*;q=0.8']) {
      expect(negotiateFormat(accept)).toEqual({ format: 'text', contentType: TEXT_CONTENT_TYPE });
    }
  });

  it('honours q-values, and the order of equals', () => {
    expect(format('text/plain;version=0.0.4;q=0.9,application/openmetrics-text;q=0.5')).toBe('text');
    expect(format('text/plain;q=0.5,application/openmetrics-text;version=1.0.0;q=0.6')).toBe('openmetrics');
    expect(format('text/plain,application/openmetrics-text')).toBe('text');
    expect(format('application/openmetrics-text, text/plain')).toBe('openmetrics');
    // q=0 means "not this one".
    expect(format('application/openmetrics-text;q=0,*/*;q=0.1')).toBe('text');
    expect(format('APPLICATION/OpenMetrics-Text; Version="1.0.0"; Q=1')).toBe('openmetrics');
  });

  it('answers OpenMetrics 0.0.1 with the version asked for', () => {
    expect(negotiateFormat('application/openmetrics-text;version=0.0.1').contentType).toBe(
      'application/openmetrics-text; version=0.0.1; charset=utf-8',
    );
  });

  it('skips what it does not serve: other versions, protobuf without the delimited MetricFamily', () => {
    expect(format('application/openmetrics-text;version=2.0.0,text/plain;q=0.1')).toBe('text');
    expect(format('application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily')).toBe('text');
    expect(format('application/vnd.google.protobuf;proto=other;encoding=delimited')).toBe('text');
    expect(format('text/plain;version=1.0.0')).toBe('text');
    expect(format('application/json')).toBe('text');
  });

  it('falls back to text on malformed headers and never throws', () => {
    for (const accept of [
      ';;;,,,',
      'application/openmetrics-text;q=abc',
      'application/openmetrics-text;q=2',
      'application/openmetrics-text;q=-1',
      'application/openmetrics-text;q',
      '=;=,=',
      'application/openmetrics-text;version',
      `application/openmetrics-text;${'x'.repeat(5000)}`,
    ]) {
      expect(negotiateFormat(accept)).toEqual({ format: 'text', contentType: TEXT_CONTENT_TYPE });
    }
    // A repeated header (Node gives an array for some) is read as one list.
    expect(format(['text/plain;q=0.1', 'application/openmetrics-text'])).toBe('openmetrics');
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (s) => {
        expect(['text', 'openmetrics', 'protobuf']).toContain(negotiateFormat(s).format);
      }),
    );
  });
});
