import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { join } from 'node:path';
import { REPO_ROOT } from '../config/project';
import { CachedCloudFormationValidatePlugin } from './cached-cfn-validate';
import { ParallelCfnGuardValidator } from './parallel-guard';

/** A Control Tower guard rule turned off for the whole project, and why. */
export interface DisabledGuardRule {
  /** The rule's ID as the plugin takes it (`ct-s3-pr-9` is control CT.S3.PR.9). */
  readonly rule: string;
  /** Why it does not apply here. */
  readonly reason: string;
}

/**
 * Control Tower proactive controls that do not fit this platform. Each is listed in the delivery
 * plan with its reason; everything else is enforced and fails the synth.
 */
export const DISABLED_GUARD_RULES: readonly DisabledGuardRule[] = [
  {
    rule: 'ct-s3-pr-9',
    reason:
      'Object Lock makes objects undeletable, which contradicts seed 000 (buckets go away with cdk destroy); retention is by versioning and lifecycle rules instead',
  },
];

/**
 * The policy gates of the delivery platform: cdk-nag's AwsSolutions pack and the AWS Control Tower
 * proactive controls (CloudFormation Guard), registered on an App (covering the stacks of all its
 * stages) or on a Stage. An unacknowledged error from either fails the plan; findings are
 * acknowledged only on the construct they concern, each with a reason. aws-cdk-lib's built-in
 * CloudFormation validation runs besides them (see cdk.json); on an App, with its findings cached
 * like the guard rules' (aws-cdk-lib takes a CloudFormation validation plugin on an App only).
 */
export function addPolicyGates(scope: IConstruct, options: { guardRules?: boolean } = {}): void {
  const cacheDir = validationCacheDir('cfn-validate');
  if (App.isApp(scope) && cacheDir !== undefined) {
    Validations.of(scope).addPlugins(CachedCloudFormationValidatePlugin.forCacheDir(cacheDir));
  }
  Validations.of(scope).addPlugins(new AwsSolutionsChecks(scope));
  if (options.guardRules ?? true) {
    Validations.of(scope).addPlugins(
      new ParallelCfnGuardValidator({
        disabledRules: DISABLED_GUARD_RULES.map((r) => r.rule),
        cacheDir: validationCacheDir('guard'),
      }),
    );
  }
}

/**
 * Where a gate (`guard`: the Control Tower guard rules; `cfn-validate`: the CloudFormation
 * validation) keeps each template's findings between synths: `node_modules/.cache/ias-<gate>` of the
 * repository (gone with `npm ci`), or nowhere when `IAS_GUARD_CACHE=off` (every template checked, as
 * on a fresh clone).
 */
export function validationCacheDir(gate: 'guard' | 'cfn-validate'): string | undefined {
  return process.env.IAS_GUARD_CACHE === 'off'
    ? undefined
    : join(REPO_ROOT, 'node_modules', '.cache', `ias-${gate}`);
}
