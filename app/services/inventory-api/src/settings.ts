/**
 * The settings of `inventory-api`, from its environment: one schema, parsed once at start (see
 * `main.ts`), and importable on its own (nothing starts) by checkers of the deployed wiring. Fields
 * marked `.meta({ deployed: 'required' })` quietly switch a capability off when a deployed task
 * lacks them (see `deployedRules` in @ias/core).
 */
import { databaseSettingsWithSecretFile, flag, refineDatabaseSettings, wholeNumber } from '@ias/core';
import { z } from 'zod';

/** The `OTEL_TRACES_SAMPLER` values understood (the specification's, less the Jaeger and X-Ray remote ones). */
export const TRACES_SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;

/** An http(s) URL in the environment, optional: empty means unset. */
const optionalHttpUrl = () =>
  z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
  );

/**
 * The OpenTelemetry settings the service reads, by their standard names: tracing is on only when
 * an OTLP endpoint is set (see `startTracing`).
 *
 * @see https://opentelemetry.io/docs/specs/otel/protocol/exporter/
 */
const tracingSettingsShape = {
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalHttpUrl().meta({
    description:
      'OTLP/HTTP base URL of the trace collector (the ADOT sidecar: http://localhost:4318), traces sent to <url>/v1/traces; unset, with OTEL_EXPORTER_OTLP_TRACES_ENDPOINT unset too: no tracing',
  }),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: optionalHttpUrl().meta({
    description: 'OTLP/HTTP URL traces are sent to, as is; wins over OTEL_EXPORTER_OTLP_ENDPOINT',
  }),
  OTEL_SERVICE_NAME: z
    .preprocess((v) => (v === '' ? undefined : v), z.string().min(1).default('inventory-api'))
    .meta({ description: "The traces' service.name: the service's node in the X-Ray trace map" }),
  OTEL_TRACES_SAMPLER: z
    .preprocess((v) => (v === '' ? undefined : v), z.enum(TRACES_SAMPLERS).default('parentbased_always_on'))
    .meta({
      description:
        "Which requests are traced: parentbased_* follow the caller's sampled flag, the rest decide alone; *traceidratio keeps OTEL_TRACES_SAMPLER_ARG of them",
    }),
  OTEL_TRACES_SAMPLER_ARG: z
    .preprocess(
      (v) => (v === undefined || v === '' ? undefined : Number(v)),
      z
        .number({ error: 'must be a number from 0 to 1' })
        .min(0, { error: 'must be a number from 0 to 1' })
        .max(1, { error: 'must be a number from 0 to 1' })
        .default(1),
    )
    .meta({ description: 'The share of requests the *traceidratio samplers trace, 0 to 1' }),
};

/**
 * Every setting `inventory-api` reads: the database's, the server's and the tracing's. Its database
 * login is IAM's as an ECS service, the mounted secret's (`DB_AUTH=secret-file`, with
 * `MIGRATE_ON_START=false`) as a Kubernetes application.
 */
export const inventoryApiSettings = z
  .object({
    ...databaseSettingsWithSecretFile.shape,
    ...tracingSettingsShape,
    PORT: wholeNumber(1, 65_535, 3000).meta({ description: 'Port the API listens on' }),
    HOST: z
      .preprocess((v) => (v === '' ? undefined : v), z.string().min(1).default('0.0.0.0'))
      .meta({ description: 'Interface the API listens on (all of them, as a container needs)' }),
    MIGRATE_ON_START: flag(true).meta({ description: 'Apply pending migrations before serving' }),
    SHUTDOWN_TIMEOUT_MS: wholeNumber(0, 3_600_000, 25_000).meta({
      description: 'How long in-flight requests may take after SIGTERM',
    }),
    LOG_LEVEL: z
      .preprocess(
        (v) => (v === '' ? undefined : v),
        z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      )
      .meta({ description: 'Log level of the request log' }),
  })
  .superRefine(refineDatabaseSettings);

/** The parsed {@link inventoryApiSettings}. */
export type InventoryApiSettings = z.output<typeof inventoryApiSettings>;

/** The tracing settings, parsed. */
export type TracingSettings = Pick<
  InventoryApiSettings,
  | 'OTEL_EXPORTER_OTLP_ENDPOINT'
  | 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'
  | 'OTEL_SERVICE_NAME'
  | 'OTEL_TRACES_SAMPLER'
  | 'OTEL_TRACES_SAMPLER_ARG'
>;

/**
 * The URL traces are sent to: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` as is, else
 * `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces` (the OTLP exporter's rules); undefined when neither
 * is set, and tracing is off.
 */
export function tracesUrl(settings: TracingSettings): string | undefined {
  if (settings.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return settings.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const base = settings.OTEL_EXPORTER_OTLP_ENDPOINT;
  return base ? `${base.replace(/\/+$/, '')}/v1/traces` : undefined;
}
