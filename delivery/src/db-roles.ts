import { escapeIdentifier } from 'pg';
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

/** The roles to provision, as the custom resource's properties carry them. */
export const databaseRolesSchema = z
  .object({
    /** The application database (created with the cluster, owned by the master user at first). */
    DatabaseName: roleName,
    /** The schema owner: owns the database (so its `public` schema) and runs the migrations. */
    OwnerRole: roleName,
    /** The application role: owns nothing, DML only (granted by the migrations). */
    AppRole: roleName,
  })
  .refine((r) => r.OwnerRole !== r.AppRole, {
    message: 'OwnerRole and AppRole must differ',
    path: ['AppRole'],
  });

/** The provisioner's settings, as it parses them on each event (the wiring check reads them the same way). */
export const dbRolesEnvironmentSchema = z.object({
  MASTER_SECRET_ARN: z
    .string({ error: 'MASTER_SECRET_ARN is not set: the function needs the ARN of the master credentials' })
    .startsWith('arn:', 'MASTER_SECRET_ARN must be the ARN of the master credentials secret'),
});

/** The parsed {@link databaseRolesSchema}. */
export type DatabaseRoles = z.output<typeof databaseRolesSchema>;

/** What {@link provisionDatabaseRoles} did. */
export interface ProvisionReport {
  /** Roles created by this run (none on a re-run). */
  readonly created: string[];
  /** Objects of the `public` schema that the master user owned and now the owner role owns. */
  readonly reassigned: string[];
}

/**
 * Brings the database roles to the state the workloads need, as the RDS master user (a member of
 * `rds_superuser`: CREATEROLE and CREATEDB, not a superuser). Idempotent: every step checks or
 * tolerates its own effect, so Create and Update run the same code.
 *
 * 1. the owner and application roles exist, with LOGIN and no password (IAM authentication only:
 *    both are granted `rds_iam`, with which RDS refuses password logins);
 * 2. the master is a member of the owner role (PostgreSQL 16+: a CREATEROLE user holds ADMIN on
 *    the roles it created, but may act as one only once a member, with SET to hand it ownership);
 * 3. the application role may CONNECT to the database, and the owner role owns the database —
 *    since PostgreSQL 15, `public` belongs to `pg_database_owner`, so the owner then owns the
 *    schema and may create in it;
 * 4. tables, views, sequences and routines of `public` that the master created earlier (workloads
 *    that migrated as the master) are handed to the owner role. Not `REASSIGN OWNED`: that would
 *    also move the master's objects in every other database and its shared objects.
 *
 * The grants to the application role on the tables themselves belong to the migrations, which the
 * owner runs (`migrate()` with the application role in `@ias/core`).
 */
export async function provisionDatabaseRoles(db: SqlRunner, roles: DatabaseRoles): Promise<ProvisionReport> {
  const owner = escapeIdentifier(roles.OwnerRole);
  const app = escapeIdentifier(roles.AppRole);
  const database = escapeIdentifier(roles.DatabaseName);
  const created: string[] = [];
  for (const name of [roles.OwnerRole, roles.AppRole]) {
    const { rows } = await db.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [name]);
    if (rows.length === 0) {
      await db.query(`CREATE ROLE ${escapeIdentifier(name)} WITH LOGIN`);
      created.push(name);
    } else {
      // A role made by hand before may carry a password; IAM is the only way in.
      await db.query(`ALTER ROLE ${escapeIdentifier(name)} WITH LOGIN PASSWORD NULL`);
    }
  }
  await db.query(`GRANT rds_iam TO ${owner}, ${app}`);
  await db.query(`GRANT ${owner} TO CURRENT_USER WITH INHERIT TRUE, SET TRUE`);
  await db.query(`GRANT CONNECT ON DATABASE ${database} TO ${app}`);
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
  return { created, reassigned: objects.map((o) => `${o.kind.toLowerCase()} ${o.name}`) };
}
