import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApi, type TestApi } from './helpers';

let api: TestApi;
beforeAll(async () => {
  api = await testApi();
});
afterAll(() => api.close());

const put = (url: string, body: unknown) => api.app.inject({ method: 'PUT', url, payload: body as object });
const post = (url: string, body: unknown) => api.app.inject({ method: 'POST', url, payload: body as object });
const get = (url: string) => api.app.inject({ method: 'GET', url });
const del = (url: string) => api.app.inject({ method: 'DELETE', url });
/** A request whose body is sent as written, under the given content-type. */
const raw = (method: 'GET' | 'DELETE' | 'POST' | 'PUT', url: string, contentType: string, payload: string) =>
  api.app.inject({ method, url, headers: { 'content-type': contentType }, payload });

/** Asserts a response's status code and its whole JSON body. */
function expectAnswer(
  res: { statusCode: number; json: () => unknown },
  statusCode: number,
  body: unknown,
): void {
  expect(res.statusCode).toBe(statusCode);
  expect(res.json()).toEqual(body);
}

async function counts(): Promise<{ stock: number; allocations: number; lines: number }> {
  const { rows } = await api.pool.query<{ stock: string; allocations: string; lines: string }>(
    `SELECT (SELECT count(*) FROM stock) AS stock, (SELECT count(*) FROM allocations) AS allocations,
            (SELECT count(*) FROM allocation_lines) AS lines`,
  );
  const r = rows[0];
  return { stock: Number(r?.stock), allocations: Number(r?.allocations), lines: Number(r?.lines) };
}

describe('health and readiness', () => {
  it.each([
    ['/health', 'while the process lives', 'ok'],
    ['/ready', '200 once the database is reachable and migrated', 'ready'],
  ])('GET %s answers %s', async (url, _when, status) => {
    expectAnswer(await get(url), 200, { status });
  });
});

describe('PUT /stock/{sku}/{warehouse}', () => {
  it('creates and updates a row, returning it', async () => {
    let res = await put('/stock/PUT-1/TOKYO', { onHand: 10 });
    expectAnswer(res, 200, { sku: 'PUT-1', warehouse: 'TOKYO', onHand: 10, allocated: 0, available: 10 });
    res = await put('/stock/PUT-1/TOKYO', { onHand: 4 });
    expect(res.json()).toMatchObject({ onHand: 4, available: 4 });
  });

  it('answers 409 when onHand would fall below what is allocated, changing nothing', async () => {
    await put('/stock/PUT-2/OSAKA', { onHand: 5 });
    expect(
      (await post('/allocations', { orderId: 'put-2-order', lines: [{ sku: 'PUT-2', quantity: 3 }] }))
        .statusCode,
    ).toBe(201);
    const res = await put('/stock/PUT-2/OSAKA', { onHand: 2 });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({
      error: expect.stringContaining('below the 3 already allocated'),
      allocated: 3,
    });
    expect((await get('/stock/PUT-2')).json()).toMatchObject({
      available: 2,
      warehouses: [{ onHand: 5, allocated: 3 }],
    });
  });

  it.each([
    [{ onHand: -1 }, 'onHand', 'onHand must be 0 or more'],
    [{ onHand: 1.5 }, 'onHand', 'onHand must be a whole number'],
    [{ onHand: '3' }, 'onHand', 'onHand must be a number'],
    [{ onHand: 1, extra: true }, '', 'Unrecognized key: "extra"'],
    [[], '', 'expected object'],
  ])('answers 400 on the bad body %j, naming the problem', async (body, path, message) => {
    const before = await counts();
    const res = await put('/stock/PUT-3/TOKYO', body);
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toBe('invalid request');
    expect(res.json().issues).toEqual([{ path, message: expect.stringContaining(message) }]);
    expect(await counts()).toEqual(before);
  });

  it('answers 400 on a bad sku or warehouse in the path', async () => {
    const res = await put('/stock/bad%20sku/-x', { onHand: 1 });
    expect(res.statusCode).toBe(400);
    expect(res.json().issues.map((i: { path: string }) => i.path)).toEqual(['sku']);
    const res2 = await put('/stock/OK/-x', { onHand: 1 });
    expect(res2.json().issues.map((i: { path: string }) => i.path)).toEqual(['warehouse']);
  });

  it('answers 400 on malformed JSON and on a body that is not JSON', async () => {
    const bad = await raw('PUT', '/stock/X/Y', 'application/json', '{"onHand": ');
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: 'invalid request', issues: [{ path: '' }] });
    const text = await raw('PUT', '/stock/X/Y', 'text/plain', 'onHand=1');
    expect(text.statusCode).toBe(400);
    expect(text.json().issues[0].message).toContain('application/json');
  });

  it('answers 413 on a body over 64 KiB, writing nothing', async () => {
    const before = await counts();
    const res = await put('/stock/BIG/TOKYO', { onHand: 1, padding: 'x'.repeat(70 * 1024) });
    expectAnswer(res, 413, { error: 'request body larger than 64 KiB' });
    expect(await counts()).toEqual(before);
  });
});

describe('GET /stock/{sku}', () => {
  it('sums every warehouse', async () => {
    await put('/stock/GET-1/A', { onHand: 3 });
    await put('/stock/GET-1/B', { onHand: 7 });
    const res = await get('/stock/GET-1');
    expectAnswer(res, 200, {
      sku: 'GET-1',
      available: 10,
      warehouses: [
        { warehouse: 'A', onHand: 3, allocated: 0, available: 3 },
        { warehouse: 'B', onHand: 7, allocated: 0, available: 7 },
      ],
    });
  });

  it('answers 404 for an unknown sku', async () => {
    const res = await get('/stock/NOPE');
    expectAnswer(res, 404, { error: 'unknown sku NOPE' });
  });
});

describe('POST /allocations', () => {
  it('allocates from the preferred warehouse first, then the most available, splitting a line', async () => {
    await put('/stock/ALLOC-1/NORTH', { onHand: 2 });
    await put('/stock/ALLOC-1/SOUTH', { onHand: 5 });
    await put('/stock/ALLOC-1/EAST', { onHand: 3 });
    await put('/stock/ALLOC-2/SOUTH', { onHand: 1 });
    const res = await post('/allocations', {
      orderId: 'order-split',
      preferredWarehouse: 'NORTH',
      lines: [
        { sku: 'ALLOC-1', quantity: 9 },
        { sku: 'ALLOC-2', quantity: 1 },
      ],
    });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({ orderId: 'order-split', status: 'allocated' });
    expect(body.allocationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.lines).toEqual([
      { sku: 'ALLOC-1', warehouse: 'NORTH', quantity: 2 },
      { sku: 'ALLOC-1', warehouse: 'SOUTH', quantity: 5 },
      { sku: 'ALLOC-1', warehouse: 'EAST', quantity: 2 },
      { sku: 'ALLOC-2', warehouse: 'SOUTH', quantity: 1 },
    ]);
    expect((await get('/stock/ALLOC-1')).json().available).toBe(1);
  });

  it('is all or nothing: a shortage on one line answers 409 with every shortage and changes nothing', async () => {
    await put('/stock/SHORT-1/A', { onHand: 5 });
    await put('/stock/SHORT-2/A', { onHand: 1 });
    const before = await counts();
    const res = await post('/allocations', {
      orderId: 'order-short',
      lines: [
        { sku: 'SHORT-1', quantity: 2 },
        { sku: 'SHORT-2', quantity: 4 },
        { sku: 'SHORT-UNKNOWN', quantity: 1 },
      ],
    });
    expectAnswer(res, 409, {
      error: 'insufficient stock',
      shortages: [
        { sku: 'SHORT-2', requested: 4, available: 1 },
        { sku: 'SHORT-UNKNOWN', requested: 1, available: 0 },
      ],
    });
    expect(await counts()).toEqual(before);
    expect((await get('/stock/SHORT-1')).json().available).toBe(5);
    // The order ID is not used up by the failed attempt.
    await put('/stock/SHORT-2/A', { onHand: 4 });
    await put('/stock/SHORT-UNKNOWN/A', { onHand: 1 });
    expect(
      (await post('/allocations', { orderId: 'order-short', lines: [{ sku: 'SHORT-1', quantity: 2 }] }))
        .statusCode,
    ).toBe(201);
  });

  it('is idempotent on orderId: the same request answers 200 with the same allocation', async () => {
    await put('/stock/IDEM/A', { onHand: 10 });
    const request = { orderId: 'order-idem', lines: [{ sku: 'IDEM', quantity: 4 }] };
    const first = await post('/allocations', request);
    const again = await post('/allocations', request);
    expect(first.statusCode).toBe(201);
    expectAnswer(again, 200, first.json());
    expect((await get('/stock/IDEM')).json().available).toBe(6);
  });

  it('answers 409 when the same orderId comes with different lines', async () => {
    await put('/stock/IDEM-2/A', { onHand: 10 });
    const first = await post('/allocations', {
      orderId: 'order-idem-2',
      lines: [{ sku: 'IDEM-2', quantity: 1 }],
    });
    const other = await post('/allocations', {
      orderId: 'order-idem-2',
      lines: [{ sku: 'IDEM-2', quantity: 2 }],
    });
    expectAnswer(other, 409, {
      error: 'order order-idem-2 was already allocated with different lines',
      allocationId: first.json().allocationId,
    });
    expect((await get('/stock/IDEM-2')).json().available).toBe(9);
  });

  it.each([
    [{ lines: [{ sku: 'A', quantity: 1 }] }, 'orderId'],
    [{ orderId: 'o', lines: [] }, 'lines'],
    [{ orderId: 'o', lines: [{ sku: 'A', quantity: 0 }] }, 'lines.0.quantity'],
    [{ orderId: 'o', lines: [{ sku: 'A', quantity: 2.5 }] }, 'lines.0.quantity'],
    [{ orderId: 'o', lines: [{ sku: '', quantity: 1 }] }, 'lines.0.sku'],
    [
      {
        orderId: 'o',
        lines: [
          { sku: 'A', quantity: 1 },
          { sku: 'A', quantity: 1 },
        ],
      },
      'lines.1.sku',
    ],
    [{ orderId: 'has space', lines: [{ sku: 'A', quantity: 1 }] }, 'orderId'],
    [{ orderId: 'o', lines: [{ sku: 'A', quantity: 1 }], preferredWarehouse: '' }, 'preferredWarehouse'],
  ])('answers 400 on %j, with the path %s', async (body, path) => {
    const before = await counts();
    const res = await post('/allocations', body);
    expect(res.statusCode).toBe(400);
    expect(res.json().issues.map((i: { path: string }) => i.path)).toContain(path);
    expect(await counts()).toEqual(before);
  });

  it('answers 400 with no body at all', async () => {
    const res = await api.app.inject({ method: 'POST', url: '/allocations' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toBe('invalid request');
  });
});

describe('GET and DELETE /allocations/{id}', () => {
  it('reads an allocation, releases it (stock returns), and a second release is harmless', async () => {
    await put('/stock/REL/A', { onHand: 5 });
    const created = (
      await post('/allocations', { orderId: 'order-rel', lines: [{ sku: 'REL', quantity: 5 }] })
    ).json();
    const read = await get(`/allocations/${created.allocationId}`);
    expectAnswer(read, 200, created);
    expect((await get('/stock/REL')).json().available).toBe(0);

    const released = await del(`/allocations/${created.allocationId}`);
    expectAnswer(released, 200, { ...created, status: 'released' });
    expect((await get('/stock/REL')).json().available).toBe(5);

    const again = await del(`/allocations/${created.allocationId}`);
    expect(again.statusCode).toBe(200);
    expect(again.json().status).toBe('released');
    expect((await get('/stock/REL')).json()).toMatchObject({ available: 5, warehouses: [{ allocated: 0 }] });
  });

  it('answers 404 for an unknown allocation and 400 for an ID that is not one', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect((await get(`/allocations/${unknown}`)).statusCode).toBe(404);
    expect((await del(`/allocations/${unknown}`)).json()).toEqual({ error: `unknown allocation ${unknown}` });
    const bad = await get('/allocations/not-an-id');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().issues).toEqual([{ path: 'id', message: 'id must be an allocation ID (a UUID)' }]);
  });
});

describe('content-type: application/json with an empty body', () => {
  const missingBody = {
    error: 'invalid request',
    issues: [
      { path: '', message: 'request body is missing: send a JSON object with content-type application/json' },
    ],
  };
  const jsonTypes = ['application/json', 'application/json; charset=utf-8'];
  const empty = (method: 'GET' | 'DELETE' | 'POST' | 'PUT', url: string, contentType: string) =>
    raw(method, url, contentType, '');

  it.each(jsonTypes)('is no body on GET and DELETE (%s): they answer as without the header', async (type) => {
    const orderId = `order-empty-${type.length}`;
    await put('/stock/EMPTY/A', { onHand: 2 });
    const created = (await post('/allocations', { orderId, lines: [{ sku: 'EMPTY', quantity: 2 }] })).json();
    const read = await empty('GET', `/allocations/${created.allocationId}`, type);
    expectAnswer(read, 200, created);
    expect((await empty('GET', '/stock/EMPTY', type)).json()).toMatchObject({ available: 0 });

    const released = await empty('DELETE', `/allocations/${created.allocationId}`, type);
    expectAnswer(released, 200, { ...created, status: 'released' });
    expect((await get('/stock/EMPTY')).json()).toMatchObject({ available: 2 });

    const unknown = '00000000-0000-4000-8000-000000000000';
    const missing = await empty('DELETE', `/allocations/${unknown}`, type);
    expectAnswer(missing, 404, { error: `unknown allocation ${unknown}` });
    expect((await empty('GET', `/allocations/${unknown}`, type)).statusCode).toBe(404);
  });

  it.each(
    jsonTypes.flatMap((type) => [
      ['POST', '/allocations', type],
      ['PUT', '/stock/EMPTY-2/A', type],
    ]) as ['POST' | 'PUT', string, string][],
  )('refuses it on %s %s (%s) with 400, writing nothing', async (method, url, type) => {
    const before = await counts();
    const res = await empty(method, url, type);
    expectAnswer(res, 400, missingBody);
    expect(await counts()).toEqual(before);
  });

  it('refuses a missing body on POST and PUT with the same message when no content-type is sent', async () => {
    for (const [method, url] of [
      ['POST', '/allocations'],
      ['PUT', '/stock/EMPTY-3/A'],
    ] as const) {
      const res = await api.app.inject({ method, url });
      expectAnswer(res, 400, missingBody);
    }
  });

  it.each([
    ['POST', '/allocations'],
    ['PUT', '/stock/EMPTY-4/A'],
    ['DELETE', '/allocations/00000000-0000-4000-8000-000000000000'],
  ] as const)('refuses malformed JSON on %s %s with 400, as before', async (method, url) => {
    const res = await raw(method, url, 'application/json', '{"orderId": ');
    expectAnswer(res, 400, {
      error: 'invalid request',
      issues: [{ path: '', message: expect.stringContaining('not valid JSON') }],
    });
  });

  it('refuses a body with a __proto__ key, and an empty body of another content type, as before', async () => {
    const poisoned = await raw(
      'PUT',
      '/stock/EMPTY-5/A',
      'application/json',
      '{"onHand": 1, "__proto__": {"admin": true}}',
    );
    expect(poisoned.statusCode).toBe(400);
    expect(poisoned.json().error).toBe('invalid request');
    const text = await empty('DELETE', '/allocations/00000000-0000-4000-8000-000000000000', 'text/plain');
    expect(text.statusCode).toBe(400);
    expect(text.json().issues[0].message).toContain('application/json');
  });
});

describe('unknown routes', () => {
  it.each([
    ['GET', '/nope'],
    ['PATCH', '/stock/A/B'],
    ['GET', '/stock'],
  ] as const)('%s %s answers 404 with JSON', async (method, url) => {
    const res = await api.app.inject({ method, url });
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toMatch(/^no route for /);
  });
});
