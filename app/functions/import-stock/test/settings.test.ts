import { deployedRules, parseSettings } from '@ias/core';
import { describe, expect, it } from 'vitest';
import { importStockSettings } from '../src/settings';

describe('import-stock settings', () => {
  it('read the local S3 stand-in, which a deployed function must not have', () => {
    const settings = parseSettings(
      importStockSettings,
      { DATABASE_URL: 'postgres://u:p@127.0.0.1/db', LOCAL_S3_DIR: '/tmp/s3' },
      'import-stock',
    );
    expect(settings.LOCAL_S3_DIR).toBe('/tmp/s3');
    expect(deployedRules(importStockSettings)).toMatchObject({
      LOCAL_S3_DIR: 'forbidden',
      EVENT_BUS_NAME: 'required',
    });
  });

  it('refuse an environment with no database, naming the variables to set', () => {
    expect(() => parseSettings(importStockSettings, {}, 'import-stock')).toThrow(
      'import-stock: bad settings in the environment: PGHOST: no database configured: set DATABASE_URL, or PGHOST with PGUSER and PGDATABASE',
    );
  });
});
