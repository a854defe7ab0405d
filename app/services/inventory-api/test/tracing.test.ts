import { InventoryRepository, parseSettings } from '@ias/core';
import { createTestDatabase, freePort } from '@ias/local';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { startServer, type RunningServer } from '../src/server';
import { inventoryApiSettings, tracesUrl } from '../src/settings';
import { startTracing, type Tracing } from '../src/tracing';

// Tracing as the container runs it, against the real embedded PostgreSQL: spans go to an in-memory
// exporter instead of the collector sidecar.

const exporter = new InMemorySpanExporter();
let tracing: Tracing | undefined;
let server: RunningServer;

beforeAll(async () => {
  const url = await createTestDatabase(inject('postgresAdminUrl'), 'tracing');
  const settings = parseSettings(
    inventoryApiSettings,
    { DATABASE_URL: url, HOST: '127.0.0.1', PORT: String(await freePort()), LOG_LEVEL: 'silent' },
    'test',
  );
  tracing = startTracing(settings, { spanProcessor: new SimpleSpanProcessor(exporter) });
  const pool = new Pool({ connectionString: url, max: 4 });
  // Migrations (at start, outside any request) make no spans: nothing to parent them.
  server = await startServer(pool, settings, false, { tracing });
  await new InventoryRepository(pool).setStock('TRACE-1', 'W1', 4);
});
afterAll(async () => {
  await server.close();
  await tracing?.shutdown();
});

/** The spans of the request whose server span is named `name`: it, and every span of its trace. */
async function requestSpans(name: string): Promise<{ server: ReadableSpan; trace: ReadableSpan[] }> {
  const serverSpan = await vi.waitFor(() => {
    const found = exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.SERVER && s.name === name);
    expect(found).toHaveLength(1);
    return found[0] as ReadableSpan;
  });
  const traceId = serverSpan.spanContext().traceId;
  return {
    server: serverSpan,
    trace: exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId),
  };
}

describe('tracing of the service', () => {
  it('starts only with spans to send somewhere', () => {
    expect(tracing).toBeDefined();
    // Queries outside a request: the migrations at start, the setup above.
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  it('makes a server span per request, named by its route, with a child span for each pg query', async () => {
    const res = await fetch(`${server.url}/stock/TRACE-1`);
    expect(res.status).toBe(200);
    const { server: span, trace } = await requestSpans('GET /stock/:sku');
    expect(span.attributes).toMatchObject({ 'http.route': '/stock/:sku', 'http.response.status_code': 200 });
    const queries = trace.filter((s) => s.kind === SpanKind.CLIENT && s.name.startsWith('pg.query'));
    expect(queries.length).toBeGreaterThanOrEqual(1);
    for (const query of queries) {
      expect(query.parentSpanContext?.spanId).toBe(span.spanContext().spanId);
      expect(query.attributes).toMatchObject({ 'db.system.name': 'postgresql' });
    }
    expect(queries.map((q) => q.attributes['db.query.text'])).toContain(
      'SELECT sku, warehouse, on_hand, allocated FROM stock WHERE sku = $1 ORDER BY warehouse',
    );
    // The SQL text only, never the parameter values.
    expect(JSON.stringify(queries.map((s) => s.attributes))).not.toContain('TRACE-1');
  });

  it('gives traces X-Ray IDs: the first 8 hex digits are the start time in epoch seconds', async () => {
    await fetch(`${server.url}/allocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ orderId: 'trace-order', lines: [{ sku: 'TRACE-1', quantity: 1 }] }),
    });
    const { server: span, trace } = await requestSpans('POST /allocations');
    const seconds = parseInt(span.spanContext().traceId.slice(0, 8), 16);
    expect(Math.abs(seconds - Date.now() / 1000)).toBeLessThan(60);
    // pg-pool's checkout and the named query, both under the request.
    expect(trace.filter((s) => s !== span).map((s) => [s.name, s.parentSpanContext?.spanId])).toEqual([
      ['pg-pool.connect', span.spanContext().spanId],
      [expect.stringMatching(/^pg\.query:allocate-order /), span.spanContext().spanId],
    ]);
  });

  it('continues the trace of an X-Ray-traced caller from its X-Amzn-Trace-Id header', async () => {
    const header = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';
    await fetch(`${server.url}/stock/TRACE-1?from=caller`, { headers: { 'x-amzn-trace-id': header } });
    const span = await vi.waitFor(() => {
      const found = exporter
        .getFinishedSpans()
        .find(
          (s) => s.kind === SpanKind.SERVER && s.spanContext().traceId === '5759e988bd862e3fe1be46a994272793',
        );
      expect(found).toBeDefined();
      return found as ReadableSpan;
    });
    expect(span.kind).toBe(SpanKind.SERVER);
    expect(span.parentSpanContext?.spanId).toBe('53995c3f42cd8ad8');
    expect(span.attributes['http.request.header.x-amzn-trace-id']).toEqual([header]);
  });

  it('leaves the health checks untraced', async () => {
    const before = exporter.getFinishedSpans().length;
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    expect((await fetch(`${server.url}/ready`)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 100));
    expect(exporter.getFinishedSpans().slice(before)).toEqual([]);
  });

  it('names an unknown route by its method alone (no span per URL)', async () => {
    expect((await fetch(`${server.url}/no/such/route-123`)).status).toBe(404);
    const span = await vi.waitFor(() => {
      const found = exporter
        .getFinishedSpans()
        .find((s) => s.kind === SpanKind.SERVER && s.attributes['http.response.status_code'] === 404);
      expect(found).toBeDefined();
      return found as ReadableSpan;
    });
    expect(span.name).toBe('GET');
  });
});

describe('tracesUrl', () => {
  const settings = (env: Record<string, string>) =>
    parseSettings(inventoryApiSettings, { DATABASE_URL: 'postgres://u@h/d', ...env }, 'test');

  it('sends to the base endpoint + /v1/traces, or to the traces endpoint as is', () => {
    expect(tracesUrl(settings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://localhost:4318' }))).toBe(
      'http://localhost:4318/v1/traces',
    );
    expect(tracesUrl(settings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://localhost:4318/' }))).toBe(
      'http://localhost:4318/v1/traces',
    );
    expect(
      tracesUrl(
        settings({
          OTEL_EXPORTER_OTLP_ENDPOINT: 'http://localhost:4318',
          OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/custom/traces',
        }),
      ),
    ).toBe('http://collector:4318/custom/traces');
    expect(tracesUrl(settings({}))).toBeUndefined();
  });
});
