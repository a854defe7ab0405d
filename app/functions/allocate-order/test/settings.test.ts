import { deployedRules, parseSettings } from '@ias/core';
import { DEPLOYED_DATABASE_ENV } from '@ias/local';
import { describe, expect, it } from 'vitest';
import { allocateOrderSettings } from '../src/settings';

const DEPLOYED = {
  ...DEPLOYED_DATABASE_ENV,
  // dev has no proxy: the function connects to the cluster itself.
  PGHOST: 'ias-dev-db.cluster-abc.ap-northeast-1.rds.amazonaws.com',
  EVENT_BUS_NAME: 'ias-dev-events',
};

describe('allocate-order settings', () => {
  it('parse the environment a deployed function gets', () => {
    expect(parseSettings(allocateOrderSettings, DEPLOYED, 'allocate-order')).toMatchObject({
      PGUSER: 'inventory_app',
      DB_OWNER_USER: 'inventory_owner',
      DB_AUTH: 'iam',
      PGPORT: 5432,
      DB_POOL_MAX: 2,
      EVENT_BUS_NAME: 'ias-dev-events',
    });
  });

  it('refuse a deployed environment without the application role, naming PGUSER', () => {
    expect(() =>
      parseSettings(allocateOrderSettings, { ...DEPLOYED, PGUSER: undefined }, 'allocate-order'),
    ).toThrow('allocate-order: bad settings in the environment: PGUSER: required with PGHOST');
  });

  it('list what a deployed function must have', () => {
    expect(Object.keys(deployedRules(allocateOrderSettings)).sort()).toEqual([
      'DB_AUTH',
      'DB_OWNER_USER',
      'EVENT_BUS_NAME',
      'PGDATABASE',
      'PGHOST',
      'PGSSLMODE',
      'PGUSER',
    ]);
  });
});
