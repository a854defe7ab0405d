import { Duration, Stack } from 'aws-cdk-lib';
import * as config from 'aws-cdk-lib/aws-config';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { AuditTrail } from '../constructs/audit-trail';
import { ConfigRecorder } from '../constructs/config-recorder';
import { SecureBucket } from '../constructs/secure-bucket';
import type { EnvironmentConfig } from '../config/load';
import { importKey, logRetention, type EnvironmentStackProps } from './environment-stack-props';

/** An AWS managed Config rule that checks at run time what a policy gate checks at synth time. */
export interface GateMirror {
  /** The rule's name after the prefix, `<prefix>-<env>-<name>` (AWS's own name for the rule). */
  readonly name: string;
  /** The managed rule's identifier. */
  readonly identifier: string;
  /** The synth-time gates it mirrors (Control Tower control, cdk-nag rule, invariant test). */
  readonly mirrors: string;
}

/**
 * The managed rules of the audit stack, one per policy gate that a resource can drift from after
 * deployment. Left out on purpose, because resources fail them by design and the findings are
 * acknowledged at synth time, which a Config rule cannot know: lambda-inside-vpc (aws-cdk-lib's
 * deployment-time handlers and the traffic hooks run outside the VPC), s3-bucket-logging-enabled
 * (the access-log bucket itself) and s3-default-encryption-kms (access-log and load-balancer log
 * buckets take SSE-S3 only).
 *
 * @see https://docs.aws.amazon.com/config/latest/developerguide/managed-rules-by-aws-config.html
 */
export const GATE_MIRRORS: readonly GateMirror[] = [
  {
    name: 's3-bucket-ssl-requests-only',
    identifier: config.ManagedRuleIdentifiers.S3_BUCKET_SSL_REQUESTS_ONLY,
    mirrors: 'CT.S3.PR.8, AwsSolutions-S10, the TLS-only bucket invariant',
  },
  {
    name: 's3-bucket-level-public-access-prohibited',
    identifier: config.ManagedRuleIdentifiers.S3_BUCKET_LEVEL_PUBLIC_ACCESS_PROHIBITED,
    mirrors: 'CT.S3.PR.1, AwsSolutions-S2',
  },
  {
    name: 's3-bucket-server-side-encryption-enabled',
    identifier: config.ManagedRuleIdentifiers.S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED,
    mirrors: 'CT.S3.PR.10 (any default encryption; SSE-S3 log buckets are acknowledged there)',
  },
  {
    name: 's3-bucket-versioning-enabled',
    identifier: config.ManagedRuleIdentifiers.S3_BUCKET_VERSIONING_ENABLED,
    mirrors: 'CT.S3.PR.11',
  },
  {
    name: 'cloudtrail-enabled',
    identifier: config.ManagedRuleIdentifiers.CLOUD_TRAIL_ENABLED,
    mirrors: "seed 001's trail (detective.cloudTrail)",
  },
  {
    name: 'cloud-trail-encryption-enabled',
    identifier: config.ManagedRuleIdentifiers.CLOUD_TRAIL_ENCRYPTION_ENABLED,
    mirrors: 'CT.CLOUDTRAIL.PR.1',
  },
  {
    name: 'cloud-trail-log-file-validation-enabled',
    identifier: config.ManagedRuleIdentifiers.CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED,
    mirrors: 'CT.CLOUDTRAIL.PR.2',
  },
  {
    name: 'cloud-trail-cloud-watch-logs-enabled',
    identifier: config.ManagedRuleIdentifiers.CLOUD_TRAIL_CLOUD_WATCH_LOGS_ENABLED,
    mirrors: 'CT.CLOUDTRAIL.PR.3',
  },
  {
    name: 'rds-storage-encrypted',
    identifier: config.ManagedRuleIdentifiers.RDS_STORAGE_ENCRYPTED,
    mirrors: 'CT.RDS.PR.16, CT.RDS.PR.24, AwsSolutions-RDS2',
  },
  {
    name: 'iam-policy-no-statements-with-admin-access',
    identifier: config.ManagedRuleIdentifiers.IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS,
    mirrors: 'CT.IAM.PR.2, the no-"*"-action invariant',
  },
  {
    name: 'iam-policy-no-statements-with-full-access',
    identifier: config.ManagedRuleIdentifiers.IAM_POLICY_NO_STATEMENTS_WITH_FULL_ACCESS,
    mirrors: 'CT.IAM.PR.3, the no-"service:*" invariant',
  },
  {
    name: 'vpc-flow-logs-enabled',
    identifier: config.ManagedRuleIdentifiers.VPC_FLOW_LOGS_ENABLED,
    mirrors: 'AwsSolutions-VPC7',
  },
  {
    name: 'restricted-ssh',
    identifier: config.ManagedRuleIdentifiers.EC2_SECURITY_GROUPS_INCOMING_SSH_DISABLED,
    mirrors: 'CT.EC2.PR.4, AwsSolutions-EC23',
  },
  {
    name: 'cmk-backing-key-rotation-enabled',
    identifier: config.ManagedRuleIdentifiers.CMK_BACKING_KEY_ROTATION_ENABLED,
    mirrors: 'CT.KMS.PR.1, AwsSolutions-KMS5',
  },
  {
    name: 'cloudwatch-log-group-encrypted',
    identifier: config.ManagedRuleIdentifiers.CLOUDWATCH_LOG_GROUP_ENCRYPTED,
    mirrors: 'CT.CLOUDWATCH.PR.3',
  },
];

/** Props of {@link AuditStack}. */
export interface AuditStackProps extends EnvironmentStackProps {
  /** The environment key (from the foundation stack): encrypts the audit bucket and the trail. */
  readonly encryptionKey: kms.IKey;
  /** The environment's alarm topic, where noncompliant resources are reported. */
  readonly alarmTopic: sns.ITopic;
  /** Where S3 writes the audit bucket's server access logs. */
  readonly accessLogBucket: s3.IBucket;
}

/** Whether an environment's profile turns on any detective control, i.e. has an audit stack. */
export function wantsAudit(environment: EnvironmentConfig): boolean {
  const { cloudTrail, config: recordConfig } = environment.profile.observability.detective;
  return cloudTrail || recordConfig;
}

/**
 * Detective governance, as the profile's `observability.detective` turns it on: a multi-region
 * CloudTrail trail of management events, and AWS Config recording every resource with managed
 * rules that check at run time what the policy gates check at synth time ({@link GATE_MIRRORS}).
 * A resource turning NON_COMPLIANT under one of this environment's rules is reported on the alarm
 * topic through EventBridge. Both write to one audit bucket, removed with the stack unless the
 * environment retains data.
 */
export class AuditStack extends Stack {
  /** The bucket the trail and the delivery channel write to. */
  readonly bucket: s3.IBucket;
  /** The trail, when `detective.cloudTrail`. */
  readonly trail?: AuditTrail;
  /** AWS Config and its rules, when `detective.config`. */
  readonly recorder?: ConfigRecorder;
  /** The EventBridge rule that reports noncompliance to the alarm topic, when `detective.config`. */
  readonly noncompliance?: events.Rule;

  constructor(scope: Construct, id: string, props: AuditStackProps) {
    super(scope, id, props);
    const { naming, config: environment } = props;
    const { profile } = environment;
    const { detective } = profile.observability;
    if (!wantsAudit(environment)) {
      throw new Error(
        `${naming.stackName('audit')}: observability.detective is ${JSON.stringify(detective)}; the audit stack needs cloudTrail or config on`,
      );
    }

    this.bucket = new SecureBucket(this, 'AuditLogs', {
      retainData: profile.retainData,
      encryptionKey: importKey(this, props.encryptionKey),
      serverAccessLogsBucket: props.accessLogBucket,
      // Audit records are kept as long as the environment keeps its logs.
      expiration: Duration.days(profile.logRetentionDays),
      noncurrentVersionExpiration: Duration.days(1),
    }).bucket;

    if (detective.cloudTrail) {
      this.trail = new AuditTrail(this, 'Trail', {
        trailName: naming.name('trail'),
        bucket: this.bucket,
        encryptionKey: props.encryptionKey,
        logRetention: logRetention(environment),
        retainData: profile.retainData,
      });
    }

    if (detective.config) {
      const recorder = new ConfigRecorder(this, 'Config', {
        recorderName: naming.name('config-recorder'),
        deliveryChannelName: naming.name('config-delivery'),
        bucket: this.bucket,
        encryptionKey: props.encryptionKey,
      });
      const ruleNames = GATE_MIRRORS.map((gate) => {
        const configRuleName = naming.name(gate.name);
        recorder.addManagedRule(gate.name, {
          configRuleName,
          identifier: gate.identifier,
          description: `${naming.base}: mirrors ${gate.mirrors}`,
        });
        return configRuleName;
      });
      this.recorder = recorder;
      this.noncompliance = new events.Rule(this, 'ConfigNoncompliant', {
        ruleName: naming.name('config-noncompliant'),
        description: `${naming.base}: a resource became NON_COMPLIANT with one of the environment's AWS Config rules`,
        eventPattern: {
          source: ['aws.config'],
          detailType: ['Config Rules Compliance Change'],
          detail: {
            configRuleName: ruleNames,
            newEvaluationResult: { complianceType: ['NON_COMPLIANT'] },
          },
        },
        targets: [new targets.SnsTopic(props.alarmTopic)],
      });
    }
  }
}
