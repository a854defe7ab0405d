import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { poolConfigFromEnv } from '@ias/core';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { databaseEnv } from '../src/database';

const secrets = mockClient(SecretsManagerClient);
beforeEach(() => secrets.reset());
const client = () => new SecretsManagerClient({ region: 'ap-northeast-1' });
const ARN = 'arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:/ias/dev/db/credentials-AbCdEf';

describe('database settings of a function', () => {
  it('adds the credentials from DB_SECRET_ARN to the PG* settings', async () => {
    secrets.on(GetSecretValueCommand, { SecretId: ARN }).resolves({
      SecretString: JSON.stringify({ username: 'inventory_admin', password: 's3cret', host: 'ignored' }),
    });
    const env = await databaseEnv(
      {
        PGHOST: 'db.example',
        PGPORT: '5432',
        PGDATABASE: 'inventory',
        PGSSLMODE: 'require',
        DB_SECRET_ARN: ARN,
      },
      client(),
    );
    expect(poolConfigFromEnv(env)).toMatchObject({
      host: 'db.example',
      port: 5432,
      user: 'inventory_admin',
      password: 's3cret',
      database: 'inventory',
      ssl: true,
    });
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('does not call Secrets Manager when the environment already has credentials', async () => {
    const env = { DATABASE_URL: 'postgres://u:p@127.0.0.1/db', DB_SECRET_ARN: ARN };
    expect(await databaseEnv(env, client())).toBe(env);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });

  it('fails clearly on a secret without credentials', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: '{"username":"x"}' });
    await expect(databaseEnv({ PGHOST: 'h', DB_SECRET_ARN: ARN }, client())).rejects.toThrow(
      `the secret ${ARN} has no username or password`,
    );
    secrets.on(GetSecretValueCommand).resolves({ SecretString: 'not json' });
    await expect(databaseEnv({ PGHOST: 'h', DB_SECRET_ARN: ARN }, client())).rejects.toThrow('is not JSON');
  });

  it('rejects an unknown PGSSLMODE', () => {
    expect(() => poolConfigFromEnv({ PGHOST: 'h', PGSSLMODE: 'always' })).toThrow('PGSSLMODE must be');
  });
});
