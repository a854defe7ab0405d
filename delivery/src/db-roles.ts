import { escapeIdentifier, escapeLiteral } from 'pg';
import { z } from 'zod';

/** What runs SQL: a connected `pg` Client (as the master user, on the application database). */
export interface SqlRunner {
  query<R extends Record<string, unknown> = Record<string, unknown>>(
    sql: string,
    values?: unknown[],
  ): Promise<{ rows: R[] }>;
}

/** A PostgreSQL role name this provisioner accepts: lower case, unquoted-identifier safe. */
const roleName = z
  .string()
  .regex(
    /^[a-z_][a-z0-9_]{0,62}$/,
    'must be a lower-case PostgreSQL identifier (a-z, 0-9, _), at most 63 characters',
  );

/** The suffix Secrets Manager's alternating-users rotation appends to a login for its second user. */
export const ROTATION_CLONE_SUFFIX = '_clone';

/**
 * A password login's role name: a role name that leaves room for the rotation's clone (PostgreSQL
 * cuts identifiers at 63 characters; the rotation refuses a clone name that would be cut).
 */
const loginName = roleName.max(
  63 - ROTATION_CLONE_SUFFIX.length,
  `must leave room for the rotation's ${ROTATION_CLONE_SUFFIX} suffix: at most ${63 - ROTATION_CLONE_SUFFIX.length} characters`,
);

/**
 * A password login to provision: its role, and the Secrets Manager secret holding its first
 * password (the secret's `username` must be the role at creation).
 */
export const databaseLoginSchema = z.object({
  /** The login role, `<app>_login`. */
  Name: loginName,
  /** The ARN of its secret (rotated by Secrets Manager with the alternating-users strategy). */
  SecretArn: z.string().startsWith('arn:', 'must be the ARN of the login’s secret'),
});

/** The roles to provision, as the custom resource's properties carry them. */
export const databaseRolesSchema = z
  .object({
    /** The application database (created with the cluster, owned by the master user at first). */
    DatabaseName: roleName,
    /** The schema owner: owns the database (so its `public` schema) and runs the migrations. */
    OwnerRole: roleName,
    /** The application role: owns nothing, DML only (granted by the migrations). */
    AppRole: roleName,
    /**
     * Password logins with the application role's privileges, one per Kubernetes application
     * (whose pods read the login from the mounted secret). Absent: none.
     */
    Logins: z.array(databaseLoginSchema).optional(),
  })
  .superRefine((r, ctx) => {
    if (r.OwnerRole === r.AppRole) {
      ctx.addIssue({ code: 'custom', message: 'OwnerRole and AppRole must differ', path: ['AppRole'] });
    }
    const taken = new Set([r.OwnerRole, r.AppRole]);
    for (const [i, login] of (r.Logins ?? []).entries()) {
      const clone = `${login.Name}${ROTATION_CLONE_SUFFIX}`;
      if (taken.has(login.Name) || taken.has(clone)) {
        ctx.addIssue({
          code: 'custom',
          message: `${login.Name} is already a role (or the rotation clone of one) here: each login needs a name of its own`,
          path: ['Logins', i, 'Name'],
        });
      }
      taken.add(login.Name).add(clone);
    }
  });

/** The provisioner's settings, as it parses them on each event (the wiring check reads them the same way). */
export const dbRolesEnvironmentSchema = z.object({
  MASTER_SECRET_ARN: z
    .string({ error: 'MASTER_SECRET_ARN is not set: the function needs the ARN of the master credentials' })
    .startsWith('arn:', 'MASTER_SECRET_ARN must be the ARN of the master credentials secret'),
});

/** The parsed {@link databaseRolesSchema}. */
export type DatabaseRoles = z.output<typeof databaseRolesSchema>;

/** A login as its secret holds it (Secrets Manager's JSON for a database user). */
export interface LoginSecret {
  readonly username: string;
  readonly password: string;
}

/** Options of {@link provisionDatabaseRoles}. */
export interface ProvisionOptions {
  /**
   * Reads a login's secret (by ARN); called only for a login that does not exist yet, whose first
   * password it is. @default - none: provisioning a new login fails
   */
  readonly readLoginSecret?: (secretArn: string) => Promise<LoginSecret>;
}

/** What {@link provisionDatabaseRoles} did. */
export interface ProvisionReport {
  /** Roles created by this run (none on a re-run). */
  readonly created: string[];
  /** Objects of the `public` schema that the master user owned and now the owner role owns. */
  readonly reassigned: string[];
}

/**
 * The privileges of the application role, which the migrations grant it (`migrate()` in
 * `@ias/core`), granted the same way to a password login: on what exists, and by default on what
 * the owner creates later. Run as the owner.
 */
function applicationPrivileges(database: string, grantee: string): string {
  return `
    GRANT CONNECT ON DATABASE ${database} TO ${grantee};
    GRANT USAGE ON SCHEMA public TO ${grantee};
    GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${grantee};
    GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO ${grantee};
    GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO ${grantee};
    ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${grantee};
    ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE ON SEQUENCES TO ${grantee};
    ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO ${grantee};`;
}

/**
 * Brings the database roles to the state the workloads need, as the RDS master user (a member of
 * `rds_superuser`: CREATEROLE and CREATEDB, not a superuser), in one transaction. Idempotent: every
 * step checks or tolerates its own effect, so Create and Update run the same code.
 *
 * 1. the owner and application roles exist, with LOGIN and no password (IAM authentication only:
 *    both are granted `rds_iam`, with which RDS refuses password logins);
 * 2. each password login exists, with LOGIN and, when created, the password of its secret (after
 *    that its password is the rotation's, never reset here). A login is *not* made a member of the
 *    application role: `rds_iam` would come with the membership, and RDS would then refuse its
 *    password. It gets the application role's privileges directly instead;
 * 3. for this transaction only, the master may act as the owner (PostgreSQL 16+: a CREATEROLE
 *    user holds ADMIN on the roles it created, but may act as one only once a member, with SET to
 *    hand it ownership). Never with INHERIT, and revoked at the end: a master that inherited the
 *    owner's `rds_iam` would lose its password login, which its own rotation and the logins'
 *    rotation need;
 * 4. the owner role owns the database — since PostgreSQL 15, `public` belongs to
 *    `pg_database_owner`, so the owner then owns the schema and may create in it;
 * 5. tables, views, sequences and routines of `public` that the master created earlier (workloads
 *    that migrated as the master) are handed to the owner role. Not `REASSIGN OWNED`: that would
 *    also move the master's objects in every other database and its shared objects;
 * 6. as the owner: the application role and each login may CONNECT, and each login has the
 *    application role's privileges on the schema, now and by default.
 *
 * The grants to the application role on the tables themselves belong to the migrations, which the
 * owner runs (`migrate()` with the application role in `@ias/core`).
 *
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/database-authentication.html
 */
export async function provisionDatabaseRoles(
  db: SqlRunner,
  roles: DatabaseRoles,
  options: ProvisionOptions = {},
): Promise<ProvisionReport> {
  await db.query('BEGIN');
  try {
    const report = await provision(db, roles, options);
    await db.query('COMMIT');
    return report;
  } catch (err) {
    await db.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

async function provision(
  db: SqlRunner,
  roles: DatabaseRoles,
  options: ProvisionOptions,
): Promise<ProvisionReport> {
  const owner = escapeIdentifier(roles.OwnerRole);
  const app = escapeIdentifier(roles.AppRole);
  const database = escapeIdentifier(roles.DatabaseName);
  const exists = async (name: string) =>
    (await db.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [name])).rows.length > 0;
  const created: string[] = [];
  for (const name of [roles.OwnerRole, roles.AppRole]) {
    if (!(await exists(name))) {
      await db.query(`CREATE ROLE ${escapeIdentifier(name)} WITH LOGIN`);
      created.push(name);
    } else {
      // A role made by hand before may carry a password; IAM is the only way in.
      await db.query(`ALTER ROLE ${escapeIdentifier(name)} WITH LOGIN PASSWORD NULL`);
    }
  }
  await db.query(`GRANT rds_iam TO ${owner}, ${app}`);

  const logins = roles.Logins ?? [];
  for (const login of logins) {
    const name = escapeIdentifier(login.Name);
    if (await exists(login.Name)) {
      await db.query(`ALTER ROLE ${name} WITH LOGIN`);
      continue;
    }
    if (!options.readLoginSecret) {
      throw new Error(`the login ${login.Name} does not exist and nothing reads its secret to create it`);
    }
    const secret = await options.readLoginSecret(login.SecretArn);
    if (secret.username !== login.Name) {
      throw new Error(
        `the secret ${login.SecretArn} holds the login ${secret.username}, not ${login.Name}: a new login takes the secret's first password, before any rotation`,
      );
    }
    // A literal, not a parameter: utility statements take none. Never logged here.
    await db.query(`CREATE ROLE ${name} WITH LOGIN PASSWORD ${escapeLiteral(secret.password)}`);
    created.push(login.Name);
  }

  await db.query(`GRANT ${owner} TO CURRENT_USER WITH INHERIT FALSE, SET TRUE`);
  await db.query(`ALTER DATABASE ${database} OWNER TO ${owner}`);

  // Objects of `public` the connected master owns. Sequences that belong to a table column
  // (serial, identity) follow their table and cannot be moved on their own.
  const { rows: objects } = await db.query<{ kind: string; name: string }>(
    `SELECT CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                           WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END AS kind,
            format('%I.%I', n.nspname, c.relname) AS name
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)
        AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
        AND NOT (c.relkind = 'S' AND EXISTS (
              SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                 AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')))
     UNION ALL
     SELECT 'ROUTINE', p.oid::regprocedure::text
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = 'public' AND p.proowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)
     ORDER BY 1, 2`,
  );
  for (const o of objects) {
    // Kinds and names come from the catalog, names already quoted by format('%I') / regprocedure.
    await db.query(`ALTER ${o.kind} ${o.name} OWNER TO ${owner}`);
  }

  // The grants of what the owner now owns, made by the owner.
  await db.query(`SET LOCAL ROLE ${owner}`);
  await db.query(`GRANT CONNECT ON DATABASE ${database} TO ${app}`);
  for (const login of logins) {
    await db.query(applicationPrivileges(database, escapeIdentifier(login.Name)));
  }
  await db.query('RESET ROLE');
  await db.query(`REVOKE ${owner} FROM CURRENT_USER`);
  return { created, reassigned: objects.map((o) => `${o.kind.toLowerCase()} ${o.name}`) };
}
