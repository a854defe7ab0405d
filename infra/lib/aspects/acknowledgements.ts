import { Stack, Token, Validations } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { IConstruct } from 'constructs';
import { cdkProviderHandlers } from './helper-logs';

/** Log retention below which Control Tower's CT.CLOUDWATCH.PR.2 complains. */
const CONTROL_TOWER_MIN_RETENTION_DAYS = 365;

/**
 * Acknowledges, log group by log group, the policy findings that the environment profile decides
 * on purpose or that the rules cannot evaluate:
 *
 * - retention under a year (CT.CLOUDWATCH.PR.2) when the profile sets a shorter `logRetentionDays`
 *   (seed 000: logs go with the environment; a dev account needs no year of flow logs);
 * - encryption (CT.CLOUDWATCH.PR.3) when the group *is* encrypted, with the environment key
 *   imported from the foundation stack: the rule cannot resolve `Fn::ImportValue`. A group with no
 *   key is never acknowledged.
 */
export function acknowledgeLogGroupFindings(scope: IConstruct, profileRetentionDays: number): void {
  for (const node of scope.node.findAll()) {
    if (!(node instanceof logs.CfnLogGroup)) {
      continue;
    }
    const retention = node.retentionInDays;
    if (
      retention !== undefined &&
      retention < CONTROL_TOWER_MIN_RETENTION_DAYS &&
      retention === profileRetentionDays
    ) {
      Validations.of(node).acknowledge({
        id: 'cdk-validator-cfnguard::cloudwatch_log_group_retention_period_check',
        reason: `The environment profile sets logRetentionDays to ${retention}; logs of this environment are not kept for a year by design`,
      });
    }
    const keyId = node.kmsKeyId;
    // A key set as a reference (a token); a literal or missing key is left to the rule.
    if (keyId !== undefined && Token.isUnresolved(keyId)) {
      Validations.of(node).acknowledge({
        id: 'cdk-validator-cfnguard::cloudwatch_log_group_encrypted_check',
        reason:
          'Encrypted with the environment KMS key, referenced from the foundation stack (Fn::GetStackOutput), which the guard rule cannot resolve',
      });
    }
  }
}

/**
 * Acknowledges the findings on the custom-resource handlers aws-cdk-lib adds to a stack
 * (`Custom::...CustomResourceProvider`: emptying buckets on delete, locking down the default
 * security group). They run only while CloudFormation deploys or deletes, call AWS APIs only, and
 * cannot be configured into the VPC.
 */
export function acknowledgeCdkProviders(stack: Stack): void {
  for (const handler of cdkProviderHandlers(stack)) {
    const provider = handler.node.scope?.node.id ?? handler.node.path;
    Validations.of(handler).acknowledge({
      id: 'cdk-validator-cfnguard::lambda_inside_vpc_check',
      reason: `${provider} is aws-cdk-lib's deployment-time handler: it only calls AWS APIs during create/delete and takes no VPC settings`,
    });
  }
}

const CROSS_STACK_REASON = (what: string) =>
  `${what} is set, to a resource of another stack of this environment (Fn::GetStackOutput), which the guard rule cannot resolve`;

/**
 * Acknowledges guard findings that only come from settings referring to another stack of the same
 * environment (the rules see an unresolved reference where they expect a literal). Each is
 * acknowledged only where the setting *is* present; a missing setting still fails.
 */
export function acknowledgeCrossStackSettings(scope: IConstruct): void {
  for (const node of scope.node.findAll()) {
    if (node instanceof lambda.CfnFunction) {
      const vpc = Stack.of(node).resolve(node.vpcConfig) as { subnetIds?: unknown[] } | undefined;
      if (vpc?.subnetIds && vpc.subnetIds.length > 0) {
        Validations.of(node).acknowledge({
          id: 'cdk-validator-cfnguard::lambda_inside_vpc_check',
          reason: CROSS_STACK_REASON('The VPC configuration (private subnets, workload security group)'),
        });
      }
    } else if (node instanceof sqs.CfnQueue) {
      if (node.kmsMasterKeyId !== undefined && Token.isUnresolved(node.kmsMasterKeyId)) {
        Validations.of(node).acknowledge({
          id: 'cdk-validator-cfnguard::sqs_queue_encrypted_check',
          reason: CROSS_STACK_REASON('KMS encryption with the environment key'),
        });
      }
    } else if (node instanceof s3.CfnBucket) {
      const logging = Stack.of(node).resolve(node.loggingConfiguration) as
        { destinationBucketName?: unknown } | undefined;
      if (logging?.destinationBucketName !== undefined && typeof logging.destinationBucketName !== 'string') {
        Validations.of(node).acknowledge({
          id: 'cdk-validator-cfnguard::s3_bucket_logging_enabled_check',
          reason: CROSS_STACK_REASON('Server access logging to the environment access-log bucket'),
        });
      }
    }
  }
}

/**
 * How cdk-nag writes a stack's account in a finding's resource: the literal number when the stack
 * names its account (multi-account profiles), `<AWS::AccountId>` when it is account-agnostic.
 */
export function ackAccount(stack: Stack): string {
  return Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
}
