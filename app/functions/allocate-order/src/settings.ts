/**
 * The settings of `allocate-order`, from its environment: one schema, parsed once when the handler
 * module loads, and importable on its own (nothing starts) by checkers of the deployed wiring.
 * Fields marked `.meta({ deployed: 'required' })` quietly switch a capability off when a deployed
 * function lacks them (see `deployedRules` in @ias/core).
 */
import { refineDatabaseSettings } from '@ias/core';
import { functionSettingsShape } from '@ias/fn-common/settings';
import { z } from 'zod';

/** Every setting `allocate-order` reads: the database's and the events'. */
export const allocateOrderSettings = z.object(functionSettingsShape).superRefine(refineDatabaseSettings);

/** The parsed {@link allocateOrderSettings}. */
export type AllocateOrderSettings = z.output<typeof allocateOrderSettings>;
