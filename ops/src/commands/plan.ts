/**
 * `plan`: the same offline synth and delivery plan as `npm start` (infra/scripts/start.ts), in-process,
 * with infra's own functions. No AWS call and no credentials.
 */
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
  // Loaded on demand: aws-cdk-lib and the stacks are needed by this command only.
  const [{ synthesize }, { buildPlan }, { cdkContext, DEFAULT_OUTDIR, REPO_ROOT }] = await Promise.all([
    import('@ias/infra/synth'),
    import('@ias/infra/plan'),
    import('@ias/infra/config'),
  ]);
  synthesize(ctx.project, { outdir: DEFAULT_OUTDIR, context: cdkContext() });
  return buildPlan(ctx.project, DEFAULT_OUTDIR, REPO_ROOT);
}

/** Text of `plan`. */
export function formatPlan(r: PlanResult): string {
  return r.text;
}
