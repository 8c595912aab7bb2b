import { randomUUID } from 'node:crypto';
import type { Attributes } from '@opentelemetry/api';
import { containerDetector } from '@opentelemetry/resource-detector-container';
import {
  type DetectedResourceAttributes,
  detectResources,
  hostDetector,
  osDetector,
  processDetector,
  type Resource,
  resourceFromAttributes,
} from '@opentelemetry/resources';
import { ConfigurationError } from './errors.js';
import type { ResolvedConfig } from './resolve-config.js';

/** Command lines routinely carry tokens and passwords; they never reach `target_info` or OTLP. */
const DROPPED_ATTRIBUTES = ['process.command_args', 'process.command_line', 'process.command'];

/** `OTEL_RESOURCE_ATTRIBUTES`: `k=v,k2=v2`, values percent-encoded (W3C Baggage octets). */
export function parseResourceAttributes(name: string, value: string | undefined): Attributes {
  const attributes: Attributes = {};
  if (value === undefined || value.trim() === '') return attributes;
  for (const part of value.split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    const key = eq > 0 ? part.slice(0, eq).trim() : '';
    if (key === '') throw new ConfigurationError(name, value, 'comma-separated key=value pairs');
    try {
      attributes[key] = decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      throw new ConfigurationError(name, value, 'percent-encoded values');
    }
  }
  return attributes;
}

/**
 * Builds the resource: detected host/os/process/container attributes, then
 * `OTEL_RESOURCE_ATTRIBUTES`, then `OTEL_SERVICE_NAME`, then code options —
 * later sources win, as the spec orders them.
 */
export function buildResource(config: ResolvedConfig, env: NodeJS.ProcessEnv): Resource {
  const fromEnv = parseResourceAttributes('OTEL_RESOURCE_ATTRIBUTES', env.OTEL_RESOURCE_ATTRIBUTES);
  const service: Attributes = {
    'service.name':
      config.serviceName ??
      (fromEnv['service.name'] as string | undefined) ??
      `unknown_service:${processName()}`,
    'telemetry.sdk.language': 'nodejs',
    'telemetry.sdk.name': 'opentelemetry',
    'telemetry.sdk.version': '3.1.0',
    'telemetry.distro.name': 'tokenmeter',
  };
  if (config.serviceVersion !== undefined) service['service.version'] = config.serviceVersion;
  service['service.instance.id'] =
    config.serviceInstanceId ?? (fromEnv['service.instance.id'] as string | undefined) ?? randomUUID();

  let resource = config.detectResources
    ? detectResources({ detectors: [hostDetector, osDetector, processDetector, containerDetector] })
    : resourceFromAttributes({});
  resource = resource
    .merge(resourceFromAttributes(fromEnv))
    .merge(resourceFromAttributes(service))
    .merge(resourceFromAttributes(config.resourceAttributes));
  return withoutAttributes(resource, DROPPED_ATTRIBUTES);
}

function processName(): string {
  return process.argv0.split('/').pop() || 'node';
}

/**
 * Detected attributes may still be pending (container id is read
 * asynchronously), so the filter has to keep that asynchrony rather than
 * flattening `resource.attributes` now.
 */
function withoutAttributes(resource: Resource, dropped: readonly string[]): Resource {
  const raw = resource.getRawAttributes().filter(([key]) => !dropped.includes(key));
  return resourceFromDetected(raw, resource.schemaUrl);
}

function resourceFromDetected(
  raw: ReturnType<Resource['getRawAttributes']>,
  schemaUrl: string | undefined,
): Resource {
  const attributes: DetectedResourceAttributes = {};
  for (const [key, value] of raw) attributes[key] = value;
  return resourceFromAttributes(attributes, schemaUrl ? { schemaUrl } : undefined);
}
