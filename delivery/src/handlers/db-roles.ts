import { Logger } from '@aws-lambda-powertools/logger';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { Client } from 'pg';
import { z } from 'zod';
import { databaseRolesSchema, dbRolesEnvironmentSchema, provisionDatabaseRoles } from '../db-roles.js';
import { describeIssues } from '../schemas.js';

const logger = new Logger({ serviceName: 'delivery-db-roles' });
const secrets = new SecretsManagerClient({});

/** The custom resource's properties: the roles, and where the cluster is. */
const propertiesSchema = databaseRolesSchema.and(
  z.object({
    /** The cluster's writer endpoint (not the proxy: the master user has no IAM login). */
    Host: z.string().min(1),
    Port: z.coerce.number().int().min(1).max(65_535),
  }),
);

/** A database user's credentials, as RDS and Secrets Manager keep them (other fields aside). */
const loginSecretSchema = z.object({ username: z.string().min(1), password: z.string().min(1) });

/** Reads a database user's secret; its errors name the secret, never its value. */
async function readLoginSecret(secretArn: string): Promise<z.output<typeof loginSecretSchema>> {
  const { SecretString } = await secrets.send(new GetSecretValueCommand({ SecretId: secretArn }));
  try {
    return loginSecretSchema.parse(JSON.parse(SecretString ?? ''));
  } catch {
    throw new Error(`the secret ${secretArn} is not JSON with a username and a password`);
  }
}

/** What the provider framework expects back. */
export interface DbRolesResponse {
  readonly PhysicalResourceId: string;
  readonly Data?: Record<string, string>;
}

/**
 * The `onEvent` handler of the custom resource `<prefix>-<env>-db-roles` (aws-cdk-lib's provider
 * framework answers CloudFormation): on Create and Update, logs in to the cluster as the master
 * user (its secret, `MASTER_SECRET_ARN`, over verified TLS) and provisions the owner and
 * application roles and the password logins the properties list, each new one with the password
 * of its secret (see {@link provisionDatabaseRoles}). Delete does nothing: the roles live in the
 * cluster and go with it, and dropping them while workloads run would cut them off.
 */
export const handler = async (event: CloudFormationCustomResourceEvent): Promise<DbRolesResponse> => {
  const physicalId = event.RequestType === 'Create' ? 'database-roles' : event.PhysicalResourceId;
  if (event.RequestType === 'Delete') {
    return { PhysicalResourceId: physicalId };
  }
  const parsed = propertiesSchema.safeParse(event.ResourceProperties);
  if (!parsed.success) {
    throw new Error(`the custom resource's properties are invalid: ${describeIssues(parsed.error)}`);
  }
  const settings = dbRolesEnvironmentSchema.safeParse(process.env);
  if (!settings.success) {
    throw new Error(`db-roles misconfigured: ${describeIssues(settings.error)}`);
  }
  const master = await readLoginSecret(settings.data.MASTER_SECRET_ARN);
  const props = parsed.data;
  const client = new Client({
    host: props.Host,
    port: props.Port,
    database: props.DatabaseName,
    user: master.username,
    password: master.password,
    // Verified against the RDS authorities the Lambda runtime ships (NODE_EXTRA_CA_CERTS).
    ssl: true,
    connectionTimeoutMillis: 10_000,
  });
  await client.connect();
  try {
    // A new login's secret is read for its first password only (then the rotation owns it).
    const report = await provisionDatabaseRoles(client, props, { readLoginSecret });
    const logins = (props.Logins ?? []).map((l) => l.Name);
    logger.info('database roles provisioned', {
      ...report,
      owner: props.OwnerRole,
      app: props.AppRole,
      logins,
    });
    return { PhysicalResourceId: physicalId, Data: { OwnerRole: props.OwnerRole, AppRole: props.AppRole } };
  } finally {
    await client.end();
  }
};
