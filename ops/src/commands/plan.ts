/**
 * `plan`: the same offline synth and delivery plan as `npm start` (infra/scripts/start.ts), in-process,
 * with infra's own functions (from their TypeScript source, compiled on load by tsx). No AWS call and no
 * credentials.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- infra's synth loads through tsx's require hook */
import { cdkContext, DEFAULT_OUTDIR, REPO_ROOT } from '@ias/infra/config';
import type * as Plan from '@ias/infra/plan';
import type * as Synth from '@ias/infra/synth';
import type * as Tsx from 'tsx/cjs/api';
import type { OpsContext } from '../context';

/** The result of `plan`. */
export interface PlanResult {
  /** True when no unacknowledged policy-gate error was found (else exit 1). */
  readonly passed: boolean;
  /** The plan as `npm start` prints it. */
  readonly text: string;
}

/** Synthesizes every environment into infra/cdk.out and renders the plan. */
export async function plan(ctx: OpsContext): Promise<PlanResult> {
  // Loaded on demand: aws-cdk-lib and the stacks are needed by this command only. The CLI runs built,
  // but infra's synth runs from its TypeScript source: tsx compiles it as it loads, for this command alone.
  (require('tsx/cjs/api') as typeof Tsx).register();
  const { synthesize } = require('@ias/infra/synth') as typeof Synth;
  const { buildPlan } = require('@ias/infra/plan') as typeof Plan;
  synthesize(ctx.project, { outdir: DEFAULT_OUTDIR, context: cdkContext() });
  return buildPlan(ctx.project, DEFAULT_OUTDIR, REPO_ROOT);
}

/** Text of `plan`. */
export function formatPlan(r: PlanResult): string {
  return r.text;
}
