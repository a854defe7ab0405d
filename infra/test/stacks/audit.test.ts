import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { describe, expect, inject, it } from 'vitest';
import { Naming } from '@ias/targets';
import type { EnvironmentConfig } from '../../lib/config/load';
import type { EnvironmentStage } from '../../lib/environment-stage';
import { loadProject } from '../../lib/config/project';
import { readAssembly, type StackSummary } from '../../lib/plan';
import { AuditTrail } from '../../lib/constructs/audit-trail';
import { AuditStack } from '../../lib/stacks/audit-stack';
import { buildStage, environmentConfig } from '../support/stages';

const project = loadProject({});
const { prefix } = project;
const stages = readAssembly(inject('assemblyDir'));

function stackOf(env: string, name: string): StackSummary | undefined {
  return stages
    .find((s) => s.stageId === `${prefix}-${env}`)
    ?.stacks.find((s) => s.stackName === `${prefix}-${env}-${name}`);
}

function templateOf(env: string, name: string): Template {
  const stack = stackOf(env, name);
  expect(stack, `${prefix}-${env}-${name}`).toBeDefined();
  return Template.fromJSON(stack?.template ?? {});
}

/** The logical ID of the one resource of `type` in `template`. */
function onlyId(template: Template, type: string): string {
  const ids = Object.keys(template.findResources(type));
  expect(ids, type).toHaveLength(1);
  return ids[0] ?? '';
}

/** A reference to an output of another stack of the environment. */
const fromStack = (stackName: string) =>
  Match.objectLike({ 'Fn::GetStackOutput': Match.objectLike({ StackName: stackName }) });

const trailArn = (env: string) => ({
  'Fn::Join': [
    '',
    ['arn:aws:cloudtrail:ap-northeast-1:', { Ref: 'AWS::AccountId' }, `:trail/${prefix}-${env}-trail`],
  ],
});

/** The AWS managed rules the audit stack runs, by the name after `<prefix>-<env>-`. */
const EXPECTED_RULES: Record<string, string> = {
  's3-bucket-ssl-requests-only': 'S3_BUCKET_SSL_REQUESTS_ONLY',
  's3-bucket-level-public-access-prohibited': 'S3_BUCKET_LEVEL_PUBLIC_ACCESS_PROHIBITED',
  's3-bucket-server-side-encryption-enabled': 'S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED',
  's3-bucket-versioning-enabled': 'S3_BUCKET_VERSIONING_ENABLED',
  'cloudtrail-enabled': 'CLOUD_TRAIL_ENABLED',
  'cloud-trail-encryption-enabled': 'CLOUD_TRAIL_ENCRYPTION_ENABLED',
  'cloud-trail-log-file-validation-enabled': 'CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED',
  'cloud-trail-cloud-watch-logs-enabled': 'CLOUD_TRAIL_CLOUD_WATCH_LOGS_ENABLED',
  'rds-storage-encrypted': 'RDS_STORAGE_ENCRYPTED',
  'iam-policy-no-statements-with-admin-access': 'IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS',
  'iam-policy-no-statements-with-full-access': 'IAM_POLICY_NO_STATEMENTS_WITH_FULL_ACCESS',
  'vpc-flow-logs-enabled': 'VPC_FLOW_LOGS_ENABLED',
  'restricted-ssh': 'INCOMING_SSH_DISABLED',
  'cmk-backing-key-rotation-enabled': 'CMK_BACKING_KEY_ROTATION_ENABLED',
  'cloudwatch-log-group-encrypted': 'CLOUDWATCH_LOG_GROUP_ENCRYPTED',
};

/** The audit stack of a stage built in the test, which must have one. */
function auditOf(stage: EnvironmentStage): Template {
  if (!stage.audit) {
    throw new Error(`${stage.stageName} has no audit stack`);
  }
  return Template.fromStack(stage.audit);
}

/** An environment's config with its detective controls set. */
function withDetective(env: string, detective: { cloudTrail: boolean; config: boolean }): EnvironmentConfig {
  const config = environmentConfig(env, prefix);
  return {
    ...config,
    profile: { ...config.profile, observability: { ...config.profile.observability, detective } },
  };
}

describe('the audit stack (<prefix>-<env>-audit)', () => {
  const prodProfile = project.environments.find((e) => e.name === 'prod')?.profile;

  it('exists only where the profile turns a detective control on: prod, not dev or staging', () => {
    expect(prodProfile?.observability.detective).toEqual({ cloudTrail: true, config: true });
    expect(stackOf('prod', 'audit')).toBeDefined();
    expect(stackOf('dev', 'audit')).toBeUndefined();
    expect(stackOf('staging', 'audit')).toBeUndefined();
    // After the key it uses and the alarm topic it reports to.
    expect(stackOf('prod', 'audit')?.dependsOn).toEqual(
      expect.arrayContaining([`${prefix}-prod-foundation`, `${prefix}-prod-observability`]),
    );
  });

  it('prod: a multi-region trail of all management events, validated, encrypted with the environment key, to the audit bucket and its log group', () => {
    const audit = templateOf('prod', 'audit');
    const bucket = onlyId(audit, 'AWS::S3::Bucket');
    const logGroup = onlyId(audit, 'AWS::Logs::LogGroup');
    audit.hasResourceProperties('AWS::CloudTrail::Trail', {
      TrailName: `${prefix}-prod-trail`,
      IsLogging: true,
      IsMultiRegionTrail: true,
      IncludeGlobalServiceEvents: true,
      EnableLogFileValidation: true,
      EventSelectors: [{ IncludeManagementEvents: true, ReadWriteType: 'All' }],
      KMSKeyId: fromStack(`${prefix}-prod-foundation`),
      S3BucketName: { Ref: bucket },
      S3KeyPrefix: 'cloudtrail',
      CloudWatchLogsLogGroupArn: { 'Fn::GetAtt': [logGroup, 'Arn'] },
    });
    audit.hasResource('AWS::Logs::LogGroup', {
      Properties: {
        LogGroupName: `${prefix}-prod-trail`,
        RetentionInDays: prodProfile?.logRetentionDays,
        KmsKeyId: fromStack(`${prefix}-prod-foundation`),
      },
      DeletionPolicy: 'Retain',
    });
    audit.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          Match.objectLike({
            ServerSideEncryptionByDefault: {
              SSEAlgorithm: 'aws:kms',
              KMSMasterKeyID: fromStack(`${prefix}-prod-foundation`),
            },
          }),
        ],
      },
      LoggingConfiguration: { DestinationBucketName: fromStack(`${prefix}-prod-foundation`) },
    });
  });

  it('prod: only this trail may write to the bucket and encrypt with the key (aws:SourceArn)', () => {
    const audit = templateOf('prod', 'audit');
    audit.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'AWSCloudTrailAclCheck',
            Principal: { Service: 'cloudtrail.amazonaws.com' },
            Action: 's3:GetBucketAcl',
            Condition: { StringEquals: { 'aws:SourceArn': trailArn('prod') } },
          }),
          Match.objectLike({
            Sid: 'AWSCloudTrailWrite',
            Principal: { Service: 'cloudtrail.amazonaws.com' },
            Action: 's3:PutObject',
            Condition: {
              StringEquals: {
                's3:x-amz-acl': 'bucket-owner-full-control',
                'aws:SourceArn': trailArn('prod'),
              },
            },
          }),
        ]),
      },
    });
    templateOf('prod', 'foundation').hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'AllowCloudTrailToEncryptLogs',
            Principal: { Service: 'cloudtrail.amazonaws.com' },
            Action: 'kms:GenerateDataKey*',
            Condition: {
              StringEquals: { 'aws:SourceArn': trailArn('prod') },
              StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': Match.anyValue() },
            },
          }),
          Match.objectLike({
            Sid: 'AllowCloudTrailToDescribeKey',
            Action: 'kms:DescribeKey',
            Condition: { StringEquals: { 'aws:SourceArn': trailArn('prod') } },
          }),
        ]),
      },
    });
  });

  it('prod: AWS Config records every supported resource type, global ones included, with the AWS_ConfigRole role, delivering to the audit bucket', () => {
    const audit = templateOf('prod', 'audit');
    const bucket = onlyId(audit, 'AWS::S3::Bucket');
    audit.hasResourceProperties('AWS::Config::ConfigurationRecorder', {
      Name: `${prefix}-prod-config-recorder`,
      RecordingGroup: { AllSupported: true, IncludeGlobalResourceTypes: true },
    });
    audit.hasResourceProperties('AWS::Config::DeliveryChannel', {
      Name: `${prefix}-prod-config-delivery`,
      S3BucketName: { Ref: bucket },
      S3KeyPrefix: 'config',
    });
    audit.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: 'config.amazonaws.com' } })],
      },
      ManagedPolicyArns: [
        {
          'Fn::Join': [
            '',
            ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/service-role/AWS_ConfigRole'],
          ],
        },
      ],
    });
    audit.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'AWSConfigBucketDelivery',
            Principal: { Service: 'config.amazonaws.com' },
            Action: 's3:PutObject',
            Condition: {
              StringEquals: {
                's3:x-amz-acl': 'bucket-owner-full-control',
                'aws:SourceAccount': { Ref: 'AWS::AccountId' },
              },
            },
          }),
        ]),
      },
    });
  });

  it('prod: one AWS managed rule per mirrored gate, named <prefix>-prod-<rule>, each created after the recorder', () => {
    const audit = templateOf('prod', 'audit');
    const recorder = onlyId(audit, 'AWS::Config::ConfigurationRecorder');
    const rules = Object.values(audit.findResources('AWS::Config::ConfigRule')).map((r) => ({
      name: r.Properties.ConfigRuleName as string,
      owner: r.Properties.Source.Owner as string,
      identifier: r.Properties.Source.SourceIdentifier as string,
      afterRecorder: ((r.DependsOn ?? []) as string[]).includes(recorder),
    }));
    expect(rules).toEqual(
      Object.entries(EXPECTED_RULES).map(([name, identifier]) => ({
        name: `${prefix}-prod-${name}`,
        owner: 'AWS',
        identifier,
        afterRecorder: true,
      })),
    );
  });

  it('prod: a resource turning NON_COMPLIANT under one of these rules is sent to the alarm topic', () => {
    const audit = templateOf('prod', 'audit');
    audit.hasResourceProperties('AWS::Events::Rule', {
      Name: `${prefix}-prod-config-noncompliant`,
      EventPattern: {
        source: ['aws.config'],
        'detail-type': ['Config Rules Compliance Change'],
        detail: {
          configRuleName: Object.keys(EXPECTED_RULES).map((name) => `${prefix}-prod-${name}`),
          newEvaluationResult: { complianceType: ['NON_COMPLIANT'] },
        },
      },
      Targets: [Match.objectLike({ Arn: fromStack(`${prefix}-prod-observability`) })],
    });
    // The topic accepts what EventBridge publishes (its policy and the key's, in their own stacks).
    templateOf('prod', 'observability').hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'sns:Publish', Principal: { Service: 'events.amazonaws.com' } }),
        ]),
      },
    });
  });

  it('keeps the logical IDs of the audit bucket and the trail’s log group (renaming one would replace it)', () => {
    const audit = templateOf('prod', 'audit');
    expect(onlyId(audit, 'AWS::S3::Bucket')).toBe('AuditLogs7B2A6859');
    expect(onlyId(audit, 'AWS::Logs::LogGroup')).toBe('TrailLogGroup4CBE3AF5');
  });

  it('with only cloudTrail on: a trail and its bucket, no recorder, rules or noncompliance rule, all removed by cdk destroy in dev', () => {
    const stage = buildStage('dev', withDetective('dev', { cloudTrail: true, config: false }));
    expect(stage.audit?.stackName).toBe(`${prefix}-dev-audit`);
    const audit = auditOf(stage);
    audit.resourceCountIs('AWS::CloudTrail::Trail', 1);
    audit.resourceCountIs('AWS::Config::ConfigurationRecorder', 0);
    audit.resourceCountIs('AWS::Config::DeliveryChannel', 0);
    audit.resourceCountIs('AWS::Config::ConfigRule', 0);
    audit.resourceCountIs('AWS::Events::Rule', 0);
    audit.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Delete' });
    audit.hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Delete' });
    audit.resourceCountIs('Custom::S3AutoDeleteObjects', 1);
    // The handler that empties the bucket logs to a group of the stack, removed with it too.
    audit.hasResource('AWS::Logs::LogGroup', {
      Properties: Match.objectLike({ LogGroupName: `${prefix}-dev-audit-helpers` }),
      DeletionPolicy: 'Delete',
    });
  });

  it('with only config on: the recorder and its rules, no trail', () => {
    const stage = buildStage('staging', withDetective('staging', { cloudTrail: false, config: true }));
    const audit = auditOf(stage);
    audit.resourceCountIs('AWS::CloudTrail::Trail', 0);
    audit.resourceCountIs('AWS::Config::ConfigurationRecorder', 1);
    audit.resourceCountIs('AWS::Config::ConfigRule', Object.keys(EXPECTED_RULES).length);
  });

  it('fails on a profile with both detective controls off, quoting them', () => {
    const app = new App();
    const other = new Stack(app, 'other');
    const config = withDetective('dev', { cloudTrail: false, config: false });
    expect(
      () =>
        new AuditStack(app, 'audit', {
          config,
          naming: new Naming(prefix, 'dev'),
          encryptionKey: new kms.Key(other, 'Key'),
          alarmTopic: new sns.Topic(other, 'Topic'),
          accessLogBucket: new s3.Bucket(other, 'AccessLogs'),
        }),
    ).toThrow(`${prefix}-dev-audit: observability.detective is {"cloudTrail":false,"config":false}`);
  });

  it('fails on an imported key, whose policy the trail cannot add to', () => {
    const stack = new Stack(new App(), 'audit');
    const key = kms.Key.fromKeyArn(stack, 'Imported', 'arn:aws:kms:ap-northeast-1:111111111111:key/abc');
    expect(
      () =>
        new AuditTrail(stack, 'Trail', {
          trailName: `${prefix}-dev-trail`,
          bucket: new s3.Bucket(stack, 'Bucket'),
          encryptionKey: key,
          logRetention: 7,
          retainData: false,
        }),
    ).toThrow(`${prefix}-dev-trail: the key audit/Imported takes no policy statements`);
  });
});
