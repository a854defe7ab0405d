import { deployedRules, parseSettings, refineDatabaseSettings } from '@ias/core';
import { createTestDatabase } from '@ias/local';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import { closeSharedRepository, sharedRepository } from '../src/database';
import { functionSettingsShape } from '../src/settings';

const schema = z.object(functionSettingsShape).superRefine(refineDatabaseSettings);
afterAll(() => closeSharedRepository());

describe('settings of a function', () => {
  it('default to two connections, source inventory, namespace Inventory', () => {
    expect(parseSettings(schema, { DATABASE_URL: 'postgres://u:p@127.0.0.1/db' }, 'fn')).toMatchObject({
      DB_POOL_MAX: 2,
      EVENT_SOURCE: 'inventory',
      POWERTOOLS_METRICS_NAMESPACE: 'Inventory',
    });
  });

  it('mark EVENT_BUS_NAME as required when deployed: without it events are only logged', () => {
    expect(deployedRules(z.object(functionSettingsShape))).toMatchObject({ EVENT_BUS_NAME: 'required' });
  });
});

describe('the shared repository', () => {
  it('fails a start on an unreachable database, then lets the next invocation try again', async () => {
    const down = parseSettings(
      schema,
      // secretlint-disable-next-line @secretlint/secretlint-rule-database-connection-string -- made-up credentials for a loopback port nothing listens on
      { DATABASE_URL: 'postgres://nobody:nothing@127.0.0.1:9/none?connect_timeout=2' },
      'fn',
    );
    await expect(sharedRepository(down)).rejects.toThrow(/ECONNREFUSED|connect/);
    const url = await createTestDatabase(inject('postgresAdminUrl'), 'shared');
    const repository = await sharedRepository(parseSettings(schema, { DATABASE_URL: url }, 'fn'));
    await repository.ping();
    expect(await repository.getStock('NONE')).toBeUndefined();
  });
});
