'use strict';
/**
 * The environment's synthetic check (CloudWatch Synthetics, seed 001): the inventory API called
 * from outside the service, as a client would, through its load balancer. Five steps, each a
 * Synthetics step with its own result and time: health; the test SKU's stock set (so an earlier
 * run that failed before its release cannot starve this one); the stock read back; one unit
 * allocated; that allocation released. Any step answering other than expected fails the run.
 *
 * The test SKU `CANARY-1` in warehouse `CANARY` lives in every environment's data, and every run
 * leaves one released allocation whose order ID starts with `canary-`: filter them out of reports.
 *
 * Plain CommonJS with no dependency: the Synthetics runtime loads it as it is (handler
 * `api-canary.handler`), and the tests run {@link check} against the real API.
 */

/** The test SKU and warehouse. */
const TEST_SKU = 'CANARY-1';
const TEST_WAREHOUSE = 'CANARY';
/** Stock the test SKU is set to on each run. */
const TEST_STOCK = 1000;
/** Longest a step waits for an answer. */
const STEP_TIMEOUT_MS = 10_000;

/**
 * Runs the steps against `baseUrl`.
 * @param {string} baseUrl the API's address, e.g. http://internal-ias-dev-inventory-api-123.ap-northeast-1.elb.amazonaws.com
 * @param {(name: string, step: () => Promise<unknown>) => Promise<unknown>} runStep runs one named step (Synthetics' executeStep)
 * @param {string} runId distinguishes this run's order ID
 * @returns {Promise<{ allocationId: string }>} the allocation made and released
 */
async function check(baseUrl, runStep, runId) {
  /**
   * @param {string} name
   * @param {string} method
   * @param {string} path
   * @param {unknown} body
   * @param {number} expected
   */
  const call = (name, method, path, body, expected) =>
    runStep(name, async () => {
      const response = await fetch(new URL(path, baseUrl), {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(STEP_TIMEOUT_MS),
      });
      const text = await response.text();
      if (response.status !== expected) {
        throw new Error(
          `${method} ${path}: expected ${expected}, got ${response.status}: ${text.slice(0, 300)}`,
        );
      }
      return text === '' ? undefined : JSON.parse(text);
    });

  await call('health', 'GET', '/health', undefined, 200);
  await call('set test stock', 'PUT', `/stock/${TEST_SKU}/${TEST_WAREHOUSE}`, { onHand: TEST_STOCK }, 200);
  await call('read stock', 'GET', `/stock/${TEST_SKU}`, undefined, 200);
  const allocation = /** @type {{ allocationId?: unknown }} */ (
    await call(
      'allocate',
      'POST',
      '/allocations',
      { orderId: `canary-${runId}`, lines: [{ sku: TEST_SKU, quantity: 1 }] },
      201,
    )
  );
  if (typeof allocation?.allocationId !== 'string') {
    throw new Error(`POST /allocations: the answer has no allocationId: ${JSON.stringify(allocation)}`);
  }
  await call('release', 'DELETE', `/allocations/${allocation.allocationId}`, undefined, 200);
  return { allocationId: allocation.allocationId };
}

/** The Synthetics entry point: `API_URL` is set by the canary's definition. */
async function handler() {
  const baseUrl = process.env.API_URL;
  if (!baseUrl) {
    throw new Error('API_URL is not set: the canary must be given the API address');
  }
  // Only in the Synthetics runtime, which provides the module.
  const synthetics = require('Synthetics');
  return check(baseUrl, (name, step) => synthetics.executeStep(name, step), `${Date.now()}`);
}

module.exports = { check, handler, TEST_SKU, TEST_WAREHOUSE };
