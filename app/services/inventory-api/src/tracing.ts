/**
 * OpenTelemetry tracing of the service: a server span for every HTTP request (named by its route,
 * `GET /stock/:sku`) and a child span for every `pg` query it makes, exported over OTLP/HTTP to the
 * collector sidecar (the AWS Distro for OpenTelemetry, which sends them on to X-Ray). Trace IDs are
 * X-Ray's (a timestamp first) and the `X-Amzn-Trace-Id` header is read and written, so a trace
 * started upstream by an X-Ray-traced caller continues here.
 *
 * Why the modules are patched by hand: the service runs as one esbuild bundle, in which `pg` is no
 * longer loaded through `require`, so the instrumentations' require hooks would never see it. Each
 * instrumentation is made with `enabled: false` (no hooks at all) and its own patch is applied to
 * the module objects the bundle really uses: `node:http` (a built-in, never bundled), and the `pg`
 * and `pg-pool` this file imports, the same copies `@ias/core` queries through. The same code runs
 * bundled and in the tests.
 *
 * @see https://github.com/open-telemetry/opentelemetry-js-contrib/tree/main/packages/instrumentation-pg
 * @see https://aws-otel.github.io/docs/getting-started/js-sdk/trace-manual-instr
 */
import http from 'node:http';
import { context, propagation, trace } from '@opentelemetry/api';
import { CompositePropagator, getRPCMetadata, RPCType, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { AWSXRayIdGenerator } from '@opentelemetry/id-generator-aws-xray';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { AWSXRayPropagator } from '@opentelemetry/propagator-aws-xray';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { onRequestHookHandler } from 'fastify';
import pg from 'pg';
import { tracesUrl, type TracingSettings } from './settings';

/** Paths polled by health checks (the container's and the load balancer's): never traced. */
const PROBE_PATHS = new Set(['/health', '/ready']);

/** Started tracing. */
export interface Tracing {
  /**
   * A Fastify `onRequest` hook giving the request's server span its route (span name
   * `GET /stock/:sku`, attribute `http.route`); unmatched URLs keep the bare method.
   */
  readonly onRequest: onRequestHookHandler;
  /** Exports the spans still held, then removes the patches and the global tracer. */
  shutdown(): Promise<void>;
}

/** Options of {@link startTracing}. */
export interface TracingOptions {
  /** Where spans go instead of the OTLP exporter (a test's in-memory exporter). @default - OTLP/HTTP */
  readonly spanProcessor?: SpanProcessor;
}

/**
 * Starts tracing when the settings name an OTLP endpoint (or `options` a span processor): registers
 * the global tracer provider, context manager and propagators, and patches `http`, `pg` and
 * `pg-pool`. With no endpoint it does nothing at all and returns undefined: no patch, no global,
 * no cost per request. Call it before the server takes requests.
 */
export function startTracing(settings: TracingSettings, options: TracingOptions = {}): Tracing | undefined {
  const url = tracesUrl(settings);
  if (!url && !options.spanProcessor) {
    return undefined;
  }
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': settings.OTEL_SERVICE_NAME }),
    sampler: samplerFor(settings),
    idGenerator: new AWSXRayIdGenerator(),
    spanProcessors: [options.spanProcessor ?? new BatchSpanProcessor(new OTLPTraceExporter({ url }))],
  });
  provider.register({
    propagator: new CompositePropagator({
      propagators: [new AWSXRayPropagator(), new W3CTraceContextPropagator()],
    }),
  });

  const httpInstrumentation = new HttpInstrumentation({
    enabled: false,
    // The service calls nothing over HTTP but the AWS credential endpoints: no client spans.
    disableOutgoingRequestInstrumentation: true,
    ignoreIncomingRequestHook: (request) => PROBE_PATHS.has((request.url ?? '').split('?')[0] ?? ''),
    // The load balancer sends a Root without a Parent, which starts no trace: keep it, to find the
    // request in the load balancer's access logs.
    headersToSpanAttributes: { server: { requestHeaders: ['x-amzn-trace-id'] } },
  });
  // No span for queries outside a request (migrations at start): each would be a trace of its own.
  const pgInstrumentation = new PgInstrumentation({ enabled: false, requireParentSpan: true });
  httpInstrumentation.setTracerProvider(provider);
  pgInstrumentation.setTracerProvider(provider);
  // pg's Pool extends pg-pool's: its parent class is the pg-pool module pg itself loaded.
  const pgPool: unknown = Object.getPrototypeOf(pg.Pool);
  const patches = [
    { instrumentation: httpInstrumentation, name: 'http', exports: http },
    { instrumentation: pgInstrumentation, name: 'pg', exports: pg },
    { instrumentation: pgInstrumentation, name: 'pg-pool', exports: pgPool },
  ].map(({ instrumentation, name, exports }) => {
    const definition = instrumentation.getModuleDefinitions().find((d) => d.name === name);
    if (!definition?.patch || !definition.unpatch) {
      throw new Error(`${instrumentation.instrumentationName} has no patch for ${name}`);
    }
    definition.patch(exports);
    return () => definition.unpatch?.(exports);
  });

  return {
    onRequest: async (request) => {
      const rpc = getRPCMetadata(context.active());
      if (rpc?.type === RPCType.HTTP && request.routeOptions.url) {
        rpc.route = request.routeOptions.url;
      }
    },
    async shutdown() {
      try {
        await provider.shutdown();
      } finally {
        for (const unpatch of patches) unpatch();
        trace.disable();
        propagation.disable();
        context.disable();
      }
    },
  };
}

/**
 * The sampler `OTEL_TRACES_SAMPLER` and `OTEL_TRACES_SAMPLER_ARG` name, built here from the parsed
 * settings rather than read again by the SDK, which would fall back to tracing everything on a
 * value it does not know.
 *
 * @see https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/#general-sdk-configuration
 */
export function samplerFor(
  settings: Pick<TracingSettings, 'OTEL_TRACES_SAMPLER' | 'OTEL_TRACES_SAMPLER_ARG'>,
): Sampler {
  const ratio = new TraceIdRatioBasedSampler(settings.OTEL_TRACES_SAMPLER_ARG);
  switch (settings.OTEL_TRACES_SAMPLER) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return ratio;
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: ratio });
  }
}
