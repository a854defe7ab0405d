import {
  allocationIdSchema,
  allocationRequestSchema,
  ConflictError,
  DomainError,
  errorType,
  NotFoundError,
  parse,
  setStockSchema,
  shortageLogFields,
  ShortageError,
  skuSchema,
  ValidationError,
  warehouseSchema,
  type InventoryRepository,
} from '@ias/core';
import { trace } from '@opentelemetry/api';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';

/** Largest accepted request body: 64 KiB. */
export const BODY_LIMIT = 64 * 1024;

/** Options of {@link buildApp}. */
export interface AppOptions {
  /** Where the inventory lives. */
  readonly repository: InventoryRepository;
  /** Whether the service can take traffic: the database answers and is migrated. */
  readonly readiness: () => Promise<{ ready: boolean; reason?: string }>;
  /** Fastify's logger setting (pino JSON lines). @default false */
  readonly logger?: FastifyServerOptions['logger'];
}

interface SkuParams {
  sku: string;
}
interface StockParams extends SkuParams {
  warehouse: string;
}
interface IdParams {
  id: string;
}

/**
 * The inventory allocation HTTP API on Fastify. Every error answers JSON: 400
 * `{ error, issues: [{ path, message }] }` for bad input, 404 for unknown things and routes, 409
 * for conflicts and shortages, 413 for bodies over 64 KiB. Nothing is written on any error: each
 * write is one transaction. A 500 logs `request failed` at error with `err` and `errorType`; a
 * shortage logs `allocation refused: not enough stock` at warn with the `allocation.shortage` fields
 * (see `shortageLogFields` in @ias/core); the other 4xx answers log nothing of their own.
 */
export function buildApp(options: AppOptions): FastifyInstance {
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: BODY_LIMIT,
    // On close, keep-alive connections that are idle are dropped at once; busy ones finish.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
  });
  const repo = options.repository;
  // JSON only: any other content type is answered 400 by the error handler.
  app.removeContentTypeParser('text/plain');
  // Many HTTP clients send `content-type: application/json` on every request, body or not. An empty
  // body under that header is no body, as without the header (Fastify's own parser refuses it):
  // DELETE goes through, and the routes that need a body refuse a missing one (requireBody).
  // Anything else goes to Fastify's parser, with its defaults against prototype poisoning.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser<string>('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') {
      done(null, undefined);
      return;
    }
    parseJson(request, body, done);
  });

  // Graceful shutdown: once closing starts, every response (the in-flight ones included) tells
  // the client to close its connection, so no keep-alive socket holds the server open afterwards.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    if (closing) {
      reply.header('connection', 'close');
    }
    return payload;
  });

  app.get('/health', async () => ({ status: 'ok' }));

  app.get('/ready', async (_request, reply) => {
    const { ready, reason } = await options.readiness();
    return reply.code(ready ? 200 : 503).send(ready ? { status: 'ready' } : { status: 'not ready', reason });
  });

  app.put<{ Params: StockParams }>('/stock/:sku/:warehouse', async (request) => {
    const sku = parse(skuSchema, request.params.sku, ['sku']);
    const warehouse = parse(warehouseSchema, request.params.warehouse, ['warehouse']);
    const { onHand } = parse(setStockSchema, requireBody(request.body));
    return repo.setStock(sku, warehouse, onHand);
  });

  app.get<{ Params: SkuParams }>('/stock/:sku', async (request) => {
    const sku = parse(skuSchema, request.params.sku, ['sku']);
    const stock = await repo.getStock(sku);
    if (!stock) {
      throw new NotFoundError(`unknown sku ${sku}`);
    }
    return stock;
  });

  app.post('/allocations', async (request, reply) => {
    const body = parse(allocationRequestSchema, requireBody(request.body));
    const { allocation, created } = await repo.allocate(body);
    return reply.code(created ? 201 : 200).send(allocation);
  });

  app.get<{ Params: IdParams }>('/allocations/:id', async (request) => {
    const id = parse(allocationIdSchema, request.params.id, ['id']);
    const allocation = await repo.getAllocation(id);
    if (!allocation) {
      throw new NotFoundError(`unknown allocation ${id}`);
    }
    return allocation;
  });

  app.delete<{ Params: IdParams }>('/allocations/:id', async (request) => {
    const id = parse(allocationIdSchema, request.params.id, ['id']);
    const allocation = await repo.release(id);
    if (!allocation) {
      throw new NotFoundError(`unknown allocation ${id}`);
    }
    return allocation;
  });

  app.setNotFoundHandler(async (request, reply) =>
    reply.code(404).send({ error: `no route for ${request.method} ${request.url.split('?')[0]}` }),
  );

  app.setErrorHandler(async (error, request, reply) => {
    if (error instanceof DomainError) {
      if (error instanceof ShortageError) {
        request.log.warn(
          shortageLogFields(error, orderIdOf(request.body)),
          'allocation refused: not enough stock',
        );
      }
      return reply.code(statusOf(error)).send(bodyOf(error));
    }
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    if (status === 413) {
      return reply.code(413).send({ error: `request body larger than ${BODY_LIMIT / 1024} KiB` });
    }
    if (status === 415) {
      return reply.code(400).send({
        error: 'invalid request',
        issues: [{ path: '', message: 'send the body as JSON with content-type application/json' }],
      });
    }
    if (status >= 400 && status < 500) {
      // Fastify's own request errors: malformed JSON, bad URL encoding.
      return reply
        .code(400)
        .send({ error: 'invalid request', issues: [{ path: '', message: (error as Error).message }] });
    }
    request.log.error({ err: error, errorType: errorType(error) }, 'request failed');
    // The request's server span, when tracing is on: X-Ray shows the fault with its exception.
    trace.getActiveSpan()?.recordException(error as Error);
    return reply.code(500).send({ error: 'internal error' });
  });

  return app;
}

/**
 * The body of a route that needs one, refused with one clear 400 when there is none: no body, or an
 * empty one under `content-type: application/json`.
 */
function requireBody(body: unknown): unknown {
  if (body === undefined) {
    throw new ValidationError([
      { path: '', message: 'request body is missing: send a JSON object with content-type application/json' },
    ]);
  }
  return body;
}

/** The `orderId` of an allocation request's body, if it has one. */
function orderIdOf(body: unknown): string | undefined {
  const orderId = (body as { orderId?: unknown } | undefined)?.orderId;
  return typeof orderId === 'string' ? orderId : undefined;
}

function statusOf(error: DomainError): number {
  if (error instanceof ValidationError) return 400;
  if (error instanceof NotFoundError) return 404;
  if (error instanceof ShortageError || error instanceof ConflictError) return 409;
  return 500;
}

function bodyOf(error: DomainError): Record<string, unknown> {
  if (error instanceof ValidationError) return { error: error.message, issues: error.issues };
  if (error instanceof ShortageError) return { error: error.message, shortages: error.shortages };
  if (error instanceof ConflictError) return { error: error.message, ...error.details };
  return { error: error.message };
}
