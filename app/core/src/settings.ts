import { z } from 'zod';

/**
 * What a deployed environment must do with a setting, read by checkers from a schema field's
 * metadata (`schema.shape.NAME.meta()?.deployed`):
 *
 * - `required`: a deployed workload without it quietly loses a capability or falls back to a
 *   local-only behaviour (e.g. `EVENT_BUS_NAME` missing: business events are only logged);
 * - `forbidden`: a local-only switch that must never reach a deployed workload (e.g. `LOCAL_S3_DIR`).
 */
export type DeployedRule = 'required' | 'forbidden';

/** Metadata of a settings field. */
export interface SettingMeta {
  /** What a deployed environment must do with the setting. @default - nothing: optional everywhere */
  readonly deployed?: DeployedRule;
  /** One line on what it is for. */
  readonly description?: string;
}

/** The `PGSSLMODE` values understood (libpq's, plus `no-verify`). */
export const SSL_MODES = ['disable', 'no-verify', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;

/** A string in the environment, optional: empty means unset, as a shell's `VAR=` does. */
export const optionalText = () =>
  z.preprocess((v) => (v === '' ? undefined : v), z.string().min(1).optional());

/** A whole number in a string, within bounds, with a default. */
export const wholeNumber = (min: number, max: number, fallback: number) => {
  const error = `must be a whole number from ${min} to ${max}`;
  return z.preprocess(
    (v) => (v === undefined || v === '' ? undefined : Number(v)),
    z.number({ error }).int({ error }).min(min, { error }).max(max, { error }).default(fallback),
  );
};

/** `true`/`false` in a string, with a default. */
export const flag = (fallback: boolean) =>
  z.preprocess(
    (v) => (v === undefined || v === '' ? undefined : v),
    z
      .enum(['true', 'false'])
      .default(fallback ? 'true' : 'false')
      .transform((v) => v === 'true'),
  );

/** The ways a workload logs in to the database (`DB_AUTH`). */
export const DB_AUTH_MODES = ['password', 'iam', 'secret-file'] as const;

/**
 * The database settings every workload reads from its environment. Locally `DATABASE_URL` (or
 * `PG*` with `PGPASSWORD`); deployed, `PG*` with `DB_AUTH=iam`: no password anywhere, an IAM token
 * signed for `PGUSER` on each new connection. Where the platform mounts the login as a file
 * instead (a Kubernetes application's pods), `DB_AUTH=secret-file`: the user and password are read
 * from `DB_SECRET_FILE` on each new connection (see {@link databaseSettingsWithSecretFile}).
 *
 * The `deployed` rules here are those of a workload that logs in with IAM wherever it is deployed
 * (the functions).
 */
export const databaseSettings = z.object({
  DATABASE_URL: optionalText().meta({
    description: 'postgres://user:password@host:port/db (local runs); when set, the PG* settings are ignored',
  }),
  PGHOST: optionalText().meta({
    deployed: 'required',
    description: 'Database endpoint: the RDS Proxy where there is one, else the cluster writer',
  }),
  PGPORT: wholeNumber(1, 65_535, 5432).meta({ description: 'Database port' }),
  PGDATABASE: optionalText().meta({ deployed: 'required', description: 'Application database name' }),
  PGUSER: optionalText().meta({
    deployed: 'required',
    description: 'The application role the pool logs in as (DML only)',
  }),
  PGPASSWORD: optionalText().meta({
    description: 'Password, for DB_AUTH=password only (never set when deployed)',
  }),
  PGSSLMODE: z
    .preprocess((v) => (v === '' ? undefined : v), z.enum(SSL_MODES).optional())
    .meta({
      deployed: 'required',
      description: 'TLS: verify-full when deployed (the certificate is checked)',
    }),
  DB_AUTH: z
    .preprocess((v) => (v === '' ? undefined : v), z.enum(DB_AUTH_MODES).default('password'))
    .meta({
      deployed: 'required',
      description:
        'iam: a fresh IAM authentication token per new connection; secret-file: the user and password of DB_SECRET_FILE, read per new connection; password: PGPASSWORD (local runs)',
    }),
  DB_SECRET_FILE: optionalText().meta({
    description:
      'For DB_AUTH=secret-file: the mounted secret (JSON with username and password, as Secrets Manager keeps a database login), read on every new connection so that a rotated login is used without a restart',
  }),
  DB_OWNER_USER: optionalText().meta({
    deployed: 'required',
    description:
      'The schema owner role migrations run as (its own short-lived connection); unset: migrations run on the pool, and no grants are given',
  }),
  DB_POOL_MAX: wholeNumber(1, 1000, 10).meta({ description: 'Connections per process' }),
  SLOW_QUERY_MS: wholeNumber(1, 600_000, 500).meta({
    description: 'A query slower than this many milliseconds is logged at warn as event db.slow-query',
  }),
  AWS_REGION: optionalText().meta({
    description: 'Region the IAM tokens are signed for (Lambda and ECS set it)',
  }),
});

/** The parsed {@link databaseSettings}. */
export type DatabaseSettings = z.output<typeof databaseSettings>;

/**
 * The checks across database settings, for the composed schema of each workload (a refined
 * object cannot be extended, so each workload refines after composing).
 */
export function refineDatabaseSettings(settings: DatabaseSettings, ctx: z.RefinementCtx): void {
  const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
  if (settings.DATABASE_URL) {
    return;
  }
  if (!settings.PGHOST) {
    issue('PGHOST', 'no database configured: set DATABASE_URL, or PGHOST with PGUSER and PGDATABASE');
    return;
  }
  if (!settings.PGDATABASE) issue('PGDATABASE', 'required with PGHOST: the database name');
  if (settings.DB_AUTH === 'secret-file') {
    refineSecretFile(settings, issue);
    return;
  }
  if (settings.DB_SECRET_FILE) {
    issue('DB_SECRET_FILE', 'is read only with DB_AUTH=secret-file: set DB_AUTH, or unset DB_SECRET_FILE');
  }
  if (!settings.PGUSER) issue('PGUSER', 'required with PGHOST: the role the workload logs in as');
  if (settings.DB_AUTH === 'iam') {
    if (!settings.AWS_REGION)
      issue('AWS_REGION', 'required with DB_AUTH=iam: the region tokens are signed for');
    if (settings.PGPASSWORD)
      issue('PGPASSWORD', 'must not be set with DB_AUTH=iam: the login is an IAM token');
    if (settings.PGSSLMODE === undefined || settings.PGSSLMODE === 'disable') {
      issue(
        'PGSSLMODE',
        'must turn TLS on with DB_AUTH=iam (RDS accepts IAM tokens over TLS only): use verify-full',
      );
    }
  }
}

/** The checks of `DB_AUTH=secret-file`: the login is the file's, over TLS, and it only serves. */
function refineSecretFile(settings: DatabaseSettings, issue: (path: string, message: string) => void): void {
  if (!settings.DB_SECRET_FILE) {
    issue('DB_SECRET_FILE', 'required with DB_AUTH=secret-file: the path of the mounted login');
  }
  if (settings.PGUSER) {
    issue(
      'PGUSER',
      "must not be set with DB_AUTH=secret-file: the user is the secret's (rotation alternates it)",
    );
  }
  if (settings.PGPASSWORD) {
    issue('PGPASSWORD', "must not be set with DB_AUTH=secret-file: the password is the secret's");
  }
  if (settings.DB_OWNER_USER) {
    issue(
      'DB_OWNER_USER',
      "must not be set with DB_AUTH=secret-file: the secret's login may only read and write rows; the migrations run where the owner logs in with IAM",
    );
  }
  if (settings.PGSSLMODE === undefined || settings.PGSSLMODE === 'disable') {
    issue(
      'PGSSLMODE',
      'must turn TLS on with DB_AUTH=secret-file (the cluster forces TLS, and a password is never sent in clear): use verify-full',
    );
  }
}

/**
 * {@link databaseSettings} for a workload that may also run where its login is a mounted secret
 * (`DB_AUTH=secret-file`: the inventory API runs as an ECS service with IAM, and as a Kubernetes
 * application's pods with the file). `PGUSER` and `DB_OWNER_USER` are then not required of every
 * deployment: with IAM the checks across settings still require `PGUSER`; with the file both must
 * be unset.
 */
export const databaseSettingsWithSecretFile = databaseSettings.extend({
  PGUSER: optionalText().meta({
    description: 'The application role the pool logs in as (DML only); unset with DB_AUTH=secret-file',
  }),
  DB_OWNER_USER: optionalText().meta({
    description:
      'The schema owner role migrations run as (its own short-lived connection, IAM login); unset: migrations run on the pool, and no grants are given; never with DB_AUTH=secret-file',
  }),
});

/** Settings that are missing or wrong, one line each, naming the variable. */
export class SettingsError extends Error {
  constructor(
    readonly workload: string,
    readonly problems: readonly string[],
  ) {
    super(`${workload}: bad settings in the environment: ${problems.join('; ')}`);
    this.name = 'SettingsError';
  }
}

/**
 * Parses a workload's environment with its schema, at start: every problem in one error, each
 * naming its variable and what to set.
 */
export function parseSettings<S extends z.ZodType>(
  schema: S,
  env: NodeJS.ProcessEnv,
  workload: string,
): z.output<S> {
  const result = schema.safeParse(env);
  if (result.success) {
    return result.data;
  }
  throw new SettingsError(
    workload,
    result.error.issues.map((i) => {
      const name = i.path.join('.') || '(environment)';
      const got = typeof i.path[0] === 'string' ? env[i.path[0]] : undefined;
      return `${name}: ${i.message}${got === undefined ? '' : ` (got ${JSON.stringify(got)})`}`;
    }),
  );
}

/** The fields of a settings schema (a `z.object`, refined or not) whose metadata sets `deployed`. */
export function deployedRules(schema: z.ZodObject): Record<string, DeployedRule> {
  const rules: Record<string, DeployedRule> = {};
  for (const [name, field] of Object.entries(schema.shape)) {
    const rule = (field.meta() as SettingMeta | undefined)?.deployed;
    if (rule) rules[name] = rule;
  }
  return rules;
}
