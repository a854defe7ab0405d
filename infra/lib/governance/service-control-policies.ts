import type { EnabledGovernanceConfig } from '../config/governance-schema';

/** The largest SCP document AWS Organizations accepts, in characters (whitespace included). */
export const SCP_MAX_CHARACTERS = 5120;

/**
 * Actions of global services, whose single endpoint sits in us-east-1, left out of the region
 * guardrail: the `NotAction` list of AWS's "Deny access to AWS based on the requested AWS Region"
 * example SCP (AWS Organizations User Guide, SCP general examples). Without them IAM, STS,
 * Organizations, billing, Route 53, CloudFront and the like would be denied outright.
 */
export const GLOBAL_SERVICE_ACTIONS = [
  'a4b:*',
  'acm:*',
  'aws-marketplace-management:*',
  'aws-marketplace:*',
  'aws-portal:*',
  'budgets:*',
  'ce:*',
  'chime:*',
  'cloudfront:*',
  'config:*',
  'cur:*',
  'directconnect:*',
  'ec2:DescribeRegions',
  'ec2:DescribeTransitGateways',
  'ec2:DescribeVpnGateways',
  'fms:*',
  'globalaccelerator:*',
  'health:*',
  'iam:*',
  'importexport:*',
  'kms:*',
  'mobileanalytics:*',
  'networkmanager:*',
  'organizations:*',
  'pricing:*',
  'route53:*',
  'route53domains:*',
  'route53-recovery-cluster:*',
  'route53-recovery-control-config:*',
  'route53-recovery-readiness:*',
  's3:GetAccountPublic*',
  's3:ListAllMyBuckets',
  's3:ListMultiRegionAccessPoints',
  's3:PutAccountPublic*',
  'shield:*',
  'sts:*',
  'support:*',
  'trustedadvisor:*',
  'waf-regional:*',
  'waf:*',
  'wafv2:*',
  'wellarchitected:*',
] as const;

/**
 * The RDS actions that take the `rds:PubliclyAccessible` condition key (Service Authorization
 * Reference, Amazon RDS). `rds:ModifyDBInstance` is not among them: its only RDS key is
 * `rds:ManageMasterUserPassword`, so a condition on public access there would never match and no
 * SCP condition can stop an existing instance being made public.
 */
export const PUBLIC_DATABASE_ACTIONS = [
  'rds:CreateDBInstance',
  'rds:CreateDBInstanceReadReplica',
  'rds:CreateDBShardGroup',
  'rds:RestoreDBInstanceFromDBSnapshot',
  'rds:RestoreDBInstanceFromS3',
  'rds:RestoreDBInstanceToPointInTime',
] as const;

/** What would blind the audit trail: stopping, deleting or narrowing a trail. */
export const CLOUDTRAIL_TAMPERING_ACTIONS = [
  'cloudtrail:DeleteTrail',
  'cloudtrail:PutEventSelectors',
  'cloudtrail:StopLogging',
  'cloudtrail:UpdateTrail',
] as const;

/** Deleting databases (clusters, instances, their snapshots and backups) and buckets. */
export const DATA_DELETION_ACTIONS = [
  'rds:DeleteDBCluster',
  'rds:DeleteDBClusterAutomatedBackup',
  'rds:DeleteDBClusterSnapshot',
  'rds:DeleteDBInstance',
  'rds:DeleteDBInstanceAutomatedBackup',
  'rds:DeleteDBSnapshot',
  'rds:DeleteGlobalCluster',
  's3:DeleteBucket',
] as const;

/** One statement of an SCP: every guardrail here is a deny with an Sid. */
export interface ScpStatement {
  readonly Sid: string;
  readonly Effect: 'Deny';
  readonly Action?: readonly string[];
  readonly NotAction?: readonly string[];
  readonly Resource: '*';
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

/** An SCP document. */
export interface ScpDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly ScpStatement[];
}

/** The break-glass role in any member account, as `aws:PrincipalArn` matches it. */
export function breakGlassRoleArn(roleName: string): string {
  return `arn:aws:iam::*:role/${roleName}`;
}

/** Exempts the break-glass role from a deny statement. */
function unlessBreakGlass(config: EnabledGovernanceConfig) {
  return { ArnNotLike: { 'aws:PrincipalArn': breakGlassRoleArn(config.breakGlassRoleName) } };
}

/**
 * The guardrails of every member account, dev and prod OUs alike (seed 004 §1.1, DevOU):
 *
 * - no publicly accessible database is created (RDS public access = false);
 * - CloudTrail cannot be stopped, deleted or narrowed;
 * - nothing outside the allowed regions, global services aside.
 *
 * The break-glass role is exempt from the CloudTrail and region statements, so that an operator
 * can still repair a trail or clean up a resource left in another region; nobody is exempt from
 * the public-database one.
 */
export function baselineGuardrails(config: EnabledGovernanceConfig): ScpDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'DenyPubliclyAccessibleDatabases',
        Effect: 'Deny',
        Action: [...PUBLIC_DATABASE_ACTIONS],
        Resource: '*',
        Condition: { Bool: { 'rds:PubliclyAccessible': 'true' } },
      },
      {
        Sid: 'DenyCloudTrailTampering',
        Effect: 'Deny',
        Action: [...CLOUDTRAIL_TAMPERING_ACTIONS],
        Resource: '*',
        Condition: unlessBreakGlass(config),
      },
      {
        Sid: 'DenyOutsideAllowedRegions',
        Effect: 'Deny',
        NotAction: [...GLOBAL_SERVICE_ACTIONS],
        Resource: '*',
        Condition: {
          StringNotEquals: { 'aws:RequestedRegion': [...config.regions] },
          ...unlessBreakGlass(config),
        },
      },
    ],
  };
}

/**
 * The guardrail of the prod OU (seed 004 §1.1, ProdOU): databases and buckets are deleted by the
 * break-glass role only. This applies to CloudFormation too (it deletes with the deploying role),
 * so removing a database instance or a bucket from a prod-OU stack needs the break-glass role.
 */
export function prodDataGuardrails(config: EnabledGovernanceConfig): ScpDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'DenyDataDeletionExceptBreakGlass',
        Effect: 'Deny',
        Action: [...DATA_DELETION_ACTIONS],
        Resource: '*',
        Condition: unlessBreakGlass(config),
      },
    ],
  };
}

/**
 * Fails when an SCP is over the size AWS Organizations accepts (a long region list can get there).
 *
 * @throws Error naming the policy, its size and the limit
 */
export function checkScpSize(name: string, document: ScpDocument): void {
  const size = JSON.stringify(document).length;
  if (size > SCP_MAX_CHARACTERS) {
    throw new Error(
      `SCP ${name} is ${size} characters, over the ${SCP_MAX_CHARACTERS} AWS Organizations accepts; allow fewer regions or split the policy`,
    );
  }
}
