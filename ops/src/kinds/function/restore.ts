/** `rollback --release N` of functions: each alias `live` back to its recorded version, its routing cleared. */
import type { LedgerRelease } from '@ias/delivery';
import type { FunctionTarget } from '@ias/targets';
import {
  assertNoDeploymentInFlight,
  assertVersionExists,
  getLive,
  pointAt,
  routing,
} from '../../aws/lambda-alias';
import type { AwsClients } from '../../context';
import type { RestorePlan } from '../../restore-plan';
import type { KindRestore } from '../kind';

async function planFunctions(
  aws: AwsClients,
  targets: readonly FunctionTarget[],
  release: LedgerRelease,
  plan: RestorePlan,
) {
  for (const target of targets) {
    const recorded = release.functions[target.functionName] ?? '';
    await assertNoDeploymentInFlight(aws, target);
    const live = await getLive(aws, target);
    const current = live.FunctionVersion ?? '';
    const shifted = Object.keys(routing(live));
    if (current === recorded && shifted.length === 0) {
      plan.unchanged.functions.push(target.functionName);
      continue;
    }
    await assertVersionExists(aws, target, recorded);
    plan.changed.functions.push({
      name: target.functionName,
      from: shifted.length > 0 ? `${current} (shifting to ${shifted.join(', ')})` : current,
      to: recorded,
    });
    plan.actions.push({
      title: `${target.functionName}:${target.alias} → version ${recorded}`,
      run: async (a) => {
        await a.lambda.send(pointAt(target, recorded));
      },
    });
  }
}

/** The function kind's part of `rollback --release N`. */
export const functionRestore: KindRestore<FunctionTarget> = {
  phase: 'before-configuration',
  recorded: (release) => Object.keys(release.functions),
  physicalName: (t) => t.functionName,
  plan: planFunctions,
};
