import { deployedRules, parseSettings } from '@ias/core';
import { DEPLOYED_DATABASE_ENV } from '@ias/local';
import { describe, expect, it } from 'vitest';
import { inventoryApiSettings } from '../src/settings';

const DEPLOYED = {
  ...DEPLOYED_DATABASE_ENV,
  PORT: '3000',
};

describe('inventory-api settings', () => {
  it('parse the environment the task definition gives, defaults filled in', () => {
    expect(parseSettings(inventoryApiSettings, DEPLOYED, 'inventory-api')).toMatchObject({
      PORT: 3000,
      HOST: '0.0.0.0',
      MIGRATE_ON_START: true,
      SHUTDOWN_TIMEOUT_MS: 25_000,
      LOG_LEVEL: 'info',
      DB_AUTH: 'iam',
      DB_POOL_MAX: 10,
      SLOW_QUERY_MS: 500,
      OTEL_SERVICE_NAME: 'inventory-api',
    });
    expect(
      parseSettings(inventoryApiSettings, { ...DEPLOYED, MIGRATE_ON_START: 'false' }, 'inventory-api')
        .MIGRATE_ON_START,
    ).toBe(false);
  });

  it('refuse bad values with one message naming each variable', () => {
    expect(() =>
      parseSettings(
        inventoryApiSettings,
        { ...DEPLOYED, PORT: '70000', MIGRATE_ON_START: 'yes', SHUTDOWN_TIMEOUT_MS: '-1' },
        'inventory-api',
      ),
    ).toThrow(
      /^inventory-api: bad settings in the environment: PORT: must be a whole number from 1 to 65535 \(got "70000"\); MIGRATE_ON_START: .*\(got "yes"\); SHUTDOWN_TIMEOUT_MS: must be a whole number/,
    );
  });

  it('mark the database settings every deployment must have, whether it logs in with IAM or the mounted secret', () => {
    expect(Object.keys(deployedRules(inventoryApiSettings)).sort()).toEqual([
      'DB_AUTH',
      'PGDATABASE',
      'PGHOST',
      'PGSSLMODE',
    ]);
  });

  it('parse the environment of a Kubernetes pod, whose login is the mounted secret', () => {
    const pod = {
      ...DEPLOYED,
      PGUSER: '',
      DB_OWNER_USER: '',
      AWS_REGION: '',
      DB_AUTH: 'secret-file',
      DB_SECRET_FILE: '/mnt/secrets/db/login.json',
      MIGRATE_ON_START: 'false',
    };
    expect(parseSettings(inventoryApiSettings, pod, 'inventory-api')).toMatchObject({
      DB_AUTH: 'secret-file',
      DB_SECRET_FILE: '/mnt/secrets/db/login.json',
      MIGRATE_ON_START: false,
    });
    expect(() =>
      parseSettings(inventoryApiSettings, { ...pod, PGUSER: 'inventory_app' }, 'inventory-api'),
    ).toThrow('PGUSER: must not be set with DB_AUTH=secret-file');
  });
});
