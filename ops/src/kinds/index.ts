/**
 * Every kind of workload the CLI acts on, one line each, in `@ias/targets`' `WORKLOAD_KIND_IDS` order: a
 * new kind is a folder here and one line below.
 */
import type { WorkloadKindId } from '@ias/targets';
import { functionController } from './function';
import type { KindController } from './kind';
import { serviceController } from './service';

export type { KindController, Workload } from './kind';

/** The controllers, by kind. */
export const KIND_CONTROLLERS: Readonly<Record<WorkloadKindId, KindController>> = {
  function: functionController as KindController,
  service: serviceController as KindController,
};
