import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { freePort, createTestDatabase } from '@ias/local';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

const SERVICE_DIR = join(__dirname, '..');
const BUNDLE = join(SERVICE_DIR, 'dist', 'main.js');

let url: string;
let child: ChildProcess | undefined;
let base: string;
const output: string[] = [];

beforeAll(async () => {
  // The production artifact: the same esbuild bundle the Dockerfile's production stage runs.
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: SERVICE_DIR, stdio: 'ignore' });
  url = await createTestDatabase(inject('postgresAdminUrl'), 'bundle');
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  child = spawn(process.execPath, [BUNDLE], {
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: url,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => output.push(d.toString()));
  child.stderr?.on('data', (d: Buffer) => output.push(d.toString()));
  for (let i = 0; i < 100; i += 1) {
    const ok = await fetch(`${base}/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the bundle did not become ready:\n${output.join('')}`);
});
afterAll(() => {
  child?.kill('SIGKILL');
});

describe('the production bundle (dist/main.js)', () => {
  it('migrates the database at start and serves the API', async () => {
    const put = await fetch(`${base}/stock/B-1/W1`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ onHand: 2 }),
    });
    expect(put.status).toBe(200);
    expect(await (await fetch(`${base}/health`)).json()).toEqual({ status: 'ok' });
  });

  it('writes structured JSON logs', () => {
    const lines = output.join('').trim().split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(() => JSON.parse(line)).not.toThrow();
    }
    expect(lines.some((l) => (JSON.parse(l) as { msg?: string }).msg?.startsWith('Server listening'))).toBe(
      true,
    );
  });

  it('on SIGTERM finishes the request in flight, then exits 0', async () => {
    // Hold the stock row so that an allocation waits inside the server for the lock.
    const blocker = new Client({ connectionString: url });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query(`SELECT * FROM stock WHERE sku = 'B-1' FOR UPDATE`);
    const inFlight = fetch(`${base}/allocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ orderId: 'drain-1', lines: [{ sku: 'B-1', quantity: 1 }] }),
    });
    await new Promise((r) => setTimeout(r, 300));
    const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));
    child?.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    // New connections are refused while draining...
    await expect(fetch(`${base}/health`)).rejects.toThrow();
    // ...and the request in flight completes once the lock is released.
    await blocker.query('COMMIT');
    await blocker.end();
    const response = await inFlight;
    expect(response.status).toBe(201);
    expect(await exited).toBe(0);
    expect(output.join('')).toContain('shutting down: draining in-flight requests');
  });
});

describe('the production bundle with OTEL_EXPORTER_OTLP_ENDPOINT', () => {
  // A stand-in for the collector sidecar: what the bundle posts to it, as sent.
  const exports: { url?: string; type?: string; body: Buffer }[] = [];
  let collector: Server;
  let traced: ChildProcess | undefined;
  const tracedOutput: string[] = [];
  let tracedBase: string;

  beforeAll(async () => {
    collector = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        exports.push({ url: req.url, type: req.headers['content-type'], body: Buffer.concat(chunks) });
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      });
    });
    const collectorPort = await freePort();
    await new Promise<void>((resolve) => collector.listen(collectorPort, '127.0.0.1', resolve));
    const port = await freePort();
    tracedBase = `http://127.0.0.1:${port}`;
    traced = spawn(process.execPath, [BUNDLE], {
      env: {
        PATH: process.env.PATH,
        DATABASE_URL: await createTestDatabase(inject('postgresAdminUrl'), 'traced'),
        PORT: String(port),
        HOST: '127.0.0.1',
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${collectorPort}`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    traced.stdout?.on('data', (d: Buffer) => tracedOutput.push(d.toString()));
    traced.stderr?.on('data', (d: Buffer) => tracedOutput.push(d.toString()));
    for (let i = 0; i < 100; i += 1) {
      if (
        await fetch(`${tracedBase}/ready`).then(
          (r) => r.ok,
          () => false,
        )
      )
        return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`the traced bundle did not become ready:\n${tracedOutput.join('')}`);
  });
  afterAll(() => {
    traced?.kill('SIGKILL');
    collector.close();
  });

  it("exports each request's server span and its pg query spans over OTLP/HTTP, flushed on SIGTERM", async () => {
    expect((await fetch(`${tracedBase}/stock/NONE`)).status).toBe(404);
    const exited = new Promise<number | null>((resolve) => traced?.once('exit', (code) => resolve(code)));
    traced?.kill('SIGTERM');
    expect(await exited).toBe(0);
    const body = Buffer.concat(exports.map((e) => e.body));
    expect(exports.map((e) => [e.url, e.type])).toContainEqual(['/v1/traces', 'application/x-protobuf']);
    // Protobuf keeps strings as UTF-8 bytes: the span names, the query text, the service name.
    expect(body.includes('GET /stock/:sku')).toBe(true);
    expect(body.includes('pg.query:SELECT')).toBe(true);
    expect(body.includes('SELECT sku, warehouse, on_hand, allocated FROM stock WHERE sku = $1')).toBe(true);
    expect(body.includes('inventory-api')).toBe(true);
  });
});
