/**
 * The settings of `import-stock`, from its environment: one schema, parsed once when the handler
 * module loads, and importable on its own (nothing starts) by checkers of the deployed wiring.
 * Fields marked `.meta({ deployed: ... })` must be present (`required`) or absent (`forbidden`) in a
 * deployed function (see `deployedRules` in @ias/core).
 */
import { optionalText, refineDatabaseSettings } from '@ias/core';
import { functionSettingsShape } from '@ias/fn-common/settings';
import { z } from 'zod';

/** Every setting `import-stock` reads: the database's, the events', and the local S3 stand-in. */
export const importStockSettings = z
  .object({
    ...functionSettingsShape,
    LOCAL_S3_DIR: optionalText().meta({
      deployed: 'forbidden',
      description: 'Read "S3" objects from <dir>/<bucket>/<key> on disk instead of S3 (npm run invoke)',
    }),
  })
  .superRefine(refineDatabaseSettings);

/** The parsed {@link importStockSettings}. */
export type ImportStockSettings = z.output<typeof importStockSettings>;
