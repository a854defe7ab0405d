import { Stack, Token, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config/load';
import type { Naming } from '@ias/targets';
import {
  operatorPolicyDocument,
  operatorPolicyName,
  UNSCOPED_ACTIONS,
  type IamStatement,
  type OperatorPolicyTarget,
} from '../config/operator-access';

/** Props of {@link OperatorPolicy}. */
export interface OperatorPolicyProps {
  /** The environment: its profile chooses the deployment configurations the policy names. */
  readonly config: EnvironmentConfig;
  /** Names of the environment: the policy is `<prefix>-<env>-operator`. */
  readonly naming: Naming;
  /** The environment key, which parameters, secrets and the release ledger are encrypted with. */
  readonly encryptionKey: kms.IKey;
  /**
   * The region of the pipelines `ias-ops status` reads.
   * @default - the stack's region
   */
  readonly pipelineRegion?: string;
}

/**
 * The customer managed policy `<prefix>-<env>-operator`: exactly the IAM actions `ias-ops` calls
 * against this environment, on this environment's resources (see `config/operator-access.ts`).
 *
 * Attached to nothing: operators attach it to their own role or SSO permission set.
 */
export class OperatorPolicy extends Construct {
  /** The managed policy. */
  readonly policy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: OperatorPolicyProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const target: OperatorPolicyTarget = {
      partition: stack.partition,
      region: stack.region,
      account: stack.account,
      urlSuffix: stack.urlSuffix,
      keyArn: props.encryptionKey.keyArn,
      pipelineRegion: props.pipelineRegion,
    };
    this.policy = new iam.ManagedPolicy(this, 'Resource', {
      managedPolicyName: operatorPolicyName(props.naming),
      description: `${props.naming.base}: what ias-ops calls against this environment; attach it to an operator's role`,
      document: iam.PolicyDocument.fromJson(operatorPolicyDocument(props.config, target)),
    });
    this.acknowledgeWildcards(props, target);
  }

  /**
   * Acknowledges cdk-nag's IAM5 finding for each resource pattern of the policy, naming the actions
   * it allows: the same source, rendered as cdk-nag writes ARNs (pseudo parameters as `<AWS::...>`,
   * the partition resolved when the region is known).
   */
  private acknowledgeWildcards(props: OperatorPolicyProps, target: OperatorPolicyTarget): void {
    const stack = Stack.of(this);
    const known = !Token.isUnresolved(stack.region);
    const region = known ? stack.region : '<AWS::Region>';
    const nag: OperatorPolicyTarget = {
      ...target,
      partition: known ? (RegionInfo.get(stack.region).partition ?? 'aws') : '<AWS::Partition>',
      region,
      account: Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account,
      urlSuffix: known ? (RegionInfo.get(stack.region).domainSuffix ?? 'amazonaws.com') : '<AWS::URLSuffix>',
      // The key is a reference, never a pattern: nothing to acknowledge there.
      keyArn: 'key',
      pipelineRegion: props.pipelineRegion ?? region,
    };
    // One finding per resource, though two statements may share it (registering and tagging task
    // definitions; the actions on no resource and the canary's, which a condition narrows instead).
    const actions = new Map<string, { action: string; why: string | undefined }[]>();
    for (const statement of operatorPolicyDocument(props.config, nag).Statement) {
      const narrowed = statement.Condition && `only where ${conditionWords(statement.Condition)}`;
      for (const resource of statement.Resource.filter((r) => r.includes('*'))) {
        const allowed = statement.Action.map((action) => ({
          action,
          why: UNSCOPED_ACTIONS[action] ?? narrowed,
        }));
        actions.set(resource, [...(actions.get(resource) ?? []), ...allowed]);
      }
    }
    for (const [resource, allowed] of actions) {
      const reason =
        resource === '*'
          ? `AWS scopes these actions to no resource: ${allowed.map((a) => `${a.action} (${a.why ?? ''})`).join('; ')}`
          : `ias-ops calls these on the resources the pattern names, all of ${props.naming.base} (or the project's pipelines): ${allowed.map((a) => a.action).join(', ')}`;
      Validations.of(this.policy).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::${resource}]`,
        reason,
      });
    }
  }
}

/** A statement's condition in words: `synthetics:Names is ias-dev`, each key once. */
function conditionWords(condition: NonNullable<IamStatement['Condition']>): string {
  const values = new Map<string, Set<string>>();
  for (const byKey of Object.values(condition)) {
    for (const [key, value] of Object.entries(byKey)) {
      values.set(key, new Set([...(values.get(key) ?? []), ...[value].flat()]));
    }
  }
  return [...values].map(([key, v]) => `${key} is ${[...v].join(' or ')}`).join(' and ');
}
