import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApi, type TestApi } from './helpers';

/** The canary script, as the Synthetics runtime loads it (CommonJS, no build). */
interface Canary {
  check(
    baseUrl: string,
    runStep: (name: string, step: () => Promise<unknown>) => Promise<unknown>,
    runId: string,
  ): Promise<{ allocationId: string }>;
  handler(): Promise<unknown>;
  TEST_SKU: string;
  TEST_WAREHOUSE: string;
}
const canary = createRequire(__filename)('../canary/api-canary.js') as Canary;

let api: TestApi;
let baseUrl: string;
beforeAll(async () => {
  api = await testApi();
  await api.app.listen({ host: '127.0.0.1', port: 0 });
  baseUrl = `http://127.0.0.1:${(api.app.server.address() as AddressInfo).port}`;
});
afterAll(() => api.close());

/** Runs the canary, recording its steps in order as Synthetics would. */
async function run(url: string, runId: string) {
  const steps: string[] = [];
  const result = await canary.check(
    url,
    async (name, step) => {
      steps.push(name);
      return step();
    },
    runId,
  );
  return { steps, result };
}

describe('the synthetic canary against the real API', () => {
  it('passes its five steps and leaves the test stock whole, its allocation released', async () => {
    const { steps, result } = await run(baseUrl, 'test-1');
    expect(steps).toEqual(['health', 'set test stock', 'read stock', 'allocate', 'release']);
    const allocation = await api.app.inject({ method: 'GET', url: `/allocations/${result.allocationId}` });
    expect(allocation.json()).toMatchObject({ status: 'released', orderId: 'canary-test-1' });
    const stock = await api.app.inject({ method: 'GET', url: `/stock/${canary.TEST_SKU}` });
    expect(stock.statusCode).toBe(200);
    expect(JSON.stringify(stock.json())).toContain(canary.TEST_WAREHOUSE);
  });

  it('passes again after a run that allocated and never released (its stock is set anew)', async () => {
    await api.app.inject({
      method: 'POST',
      url: '/allocations',
      payload: { orderId: 'canary-crashed', lines: [{ sku: canary.TEST_SKU, quantity: 999 }] },
    });
    await expect(run(baseUrl, 'test-2')).resolves.toMatchObject({
      steps: expect.arrayContaining(['release']),
    });
  });

  it('fails the step that gets an unexpected answer, naming the call and the status', async () => {
    // A load balancer with no healthy target answers 503.
    const unhealthy = createServer((_request, response) => response.writeHead(503).end('no healthy target'));
    await new Promise<void>((resolve) => unhealthy.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(unhealthy.address() as AddressInfo).port}`;
      await expect(run(url, 'test-3')).rejects.toThrow(
        'GET /health: expected 200, got 503: no healthy target',
      );
    } finally {
      unhealthy.close();
    }
  });

  it('refuses to run without the API address', async () => {
    const saved = process.env.API_URL;
    delete process.env.API_URL;
    try {
      await expect(canary.handler()).rejects.toThrow('API_URL is not set');
    } finally {
      if (saved !== undefined) process.env.API_URL = saved;
    }
  });
});
