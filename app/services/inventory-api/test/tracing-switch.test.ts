import http from 'node:http';
import { parseSettings } from '@ias/core';
import { trace } from '@opentelemetry/api';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { inventoryApiSettings } from '../src/settings';
import { samplerFor, startTracing } from '../src/tracing';

// What an OTLP endpoint switches on, in a process of its own (each test file is one): the
// prototypes tracing patches, and the global tracer.

const settings = (env: Record<string, string>) =>
  parseSettings(inventoryApiSettings, { DATABASE_URL: 'postgres://u@127.0.0.1/d', ...env }, 'test');

/** The functions tracing replaces when it starts. */
const patched = () => ({
  query: pg.Client.prototype.query,
  poolConnect: (Object.getPrototypeOf(pg.Pool) as typeof pg.Pool).prototype.connect,
  emit: http.Server.prototype.emit,
});

const recording = () => trace.getTracer('test').startSpan('probe').isRecording();

describe('tracing', () => {
  const original = patched();

  it('stays off without an OTLP endpoint: no patch, no global tracer, no span', () => {
    expect(startTracing(settings({ OTEL_SERVICE_NAME: 'inventory-api' }))).toBeUndefined();
    expect(patched()).toEqual(original);
    expect(recording()).toBe(false);
  });

  it.each([
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'http://127.0.0.1:9'],
    ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'http://127.0.0.1:9/v1/traces'],
  ])('starts with %s alone, and shutdown undoes it', async (name, value) => {
    const tracing = startTracing(settings({ [name]: value }));
    expect(tracing).toBeDefined();
    const now = patched();
    expect(now.query).not.toBe(original.query);
    expect(now.poolConnect).not.toBe(original.poolConnect);
    expect(now.emit).not.toBe(original.emit);
    expect(recording()).toBe(true);
    await tracing?.shutdown();
    expect(patched()).toEqual(original);
    expect(recording()).toBe(false);
  });

  it('samples as OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG say (the task sets both)', () => {
    expect(String(samplerFor(settings({})))).toBe(
      String(samplerFor(settings({ OTEL_TRACES_SAMPLER: 'parentbased_always_on' }))),
    );
    expect(String(samplerFor(settings({})))).toMatch(/^ParentBased\{root=AlwaysOnSampler/);
    expect(
      String(
        samplerFor(
          settings({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.05' }),
        ),
      ),
    ).toMatch(/^ParentBased\{root=TraceIdRatioBased\{0\.05\}/);
    expect(String(samplerFor(settings({ OTEL_TRACES_SAMPLER: 'always_off' })))).toBe('AlwaysOffSampler');
  });

  it.each([
    ['OTEL_TRACES_SAMPLER', 'xray', /OTEL_TRACES_SAMPLER: .*\(got "xray"\)/],
    ['OTEL_TRACES_SAMPLER_ARG', '5', /OTEL_TRACES_SAMPLER_ARG: must be a number from 0 to 1 \(got "5"\)/],
  ])('fails on %s=%s, naming the setting', (name, value, message) => {
    expect(() => settings({ [name]: value })).toThrow(message);
  });

  it('fails on an endpoint that is not an http(s) URL, naming the setting', () => {
    expect(() => settings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'localhost:4318' })).toThrow(
      /OTEL_EXPORTER_OTLP_ENDPOINT: must be an http:\/\/ or https:\/\/ URL \(got "localhost:4318"\)/,
    );
  });
});
