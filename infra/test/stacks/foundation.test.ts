import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { environmentConfig, stageTemplates } from '../support/stages';

const dev = stageTemplates('dev');
const prod = stageTemplates('prod');

describe('foundation stack', () => {
  it('is named <prefix>-<env>-foundation', () => {
    expect(dev.stage.foundation.stackName).toBe('ias-dev-foundation');
  });

  it('creates a rotating KMS key that only AWS services may create grants on', () => {
    dev.foundation.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'DenyGrantsExceptForAwsServices',
            Effect: 'Deny',
            Action: 'kms:CreateGrant',
            Principal: { AWS: '*' },
            Condition: {
              BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' },
            },
          }),
        ]),
      },
    });
    dev.foundation.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/ias-dev-main' });
  });

  it('lets CloudWatch Logs use the key only for this environment’s log groups', () => {
    const key = Object.values(dev.foundation.findResources('AWS::KMS::Key'))[0];
    const statements = key?.Properties.KeyPolicy.Statement as { Sid?: string; Condition?: unknown }[];
    const logs = statements.find((s) => s.Sid === 'AllowCloudWatchLogsForThisEnvironment');
    const patterns = JSON.stringify(logs?.Condition);
    expect(patterns).toContain(':log-group:ias-dev-*');
    expect(patterns).toContain(':log-group:/aws/*/ias-dev-*');
    expect(patterns).not.toContain('ias-prod');
  });

  it('makes the artifact bucket versioned, KMS-encrypted, access-logged, private and lifecycle-managed', () => {
    dev.foundation.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: {
        'Fn::Join': ['', ['ias-dev-artifact-store-', { Ref: 'AWS::AccountId' }, '-ap-northeast-1']],
      },
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          Match.objectLike({ ServerSideEncryptionByDefault: Match.objectLike({ SSEAlgorithm: 'aws:kms' }) }),
        ],
      },
      LoggingConfiguration: { DestinationBucketName: { Ref: Match.stringLikeRegexp('^AccessLogs') } },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } },
      LifecycleConfiguration: {
        Rules: [
          Match.objectLike({
            Status: 'Enabled',
            NoncurrentVersionExpiration: { NoncurrentDays: 7 },
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
          }),
        ],
      },
    });
    prod.foundation.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: Match.anyValue(),
      LifecycleConfiguration: {
        Rules: [Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: 90 } })],
      },
    });
  });

  it('empties and deletes buckets on destroy in dev, keeps them in prod', () => {
    for (const bucket of Object.values(dev.foundation.findResources('AWS::S3::Bucket'))) {
      expect(bucket.DeletionPolicy).toBe('Delete');
    }
    expect(Object.keys(dev.foundation.findResources('Custom::S3AutoDeleteObjects'))).toHaveLength(2);
    for (const bucket of Object.values(prod.foundation.findResources('AWS::S3::Bucket'))) {
      expect(bucket.DeletionPolicy).toBe('Retain');
    }
    prod.foundation.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
  });

  it('creates the inventory-api ECR repository: immutable tags, scan on push, last N images kept', () => {
    dev.foundation.hasResource('AWS::ECR::Repository', {
      Properties: Match.objectLike({
        RepositoryName: 'ias-dev-inventory-api',
        ImageTagMutability: 'IMMUTABLE',
        ImageScanningConfiguration: { ScanOnPush: true },
        EncryptionConfiguration: Match.objectLike({ EncryptionType: 'KMS' }),
        EmptyOnDelete: true,
        LifecyclePolicy: {
          LifecyclePolicyText: Match.serializedJson(
            Match.objectLike({
              rules: [
                Match.objectLike({
                  selection: Match.objectLike({
                    tagStatus: 'any',
                    countType: 'imageCountMoreThan',
                    countNumber: 10,
                  }),
                  action: { type: 'expire' },
                }),
              ],
            }),
          ),
        },
      }),
      DeletionPolicy: 'Delete',
    });
    prod.foundation.hasResource('AWS::ECR::Repository', {
      Properties: Match.objectLike({
        RepositoryName: 'ias-prod-inventory-api',
        EmptyOnDelete: false,
        LifecyclePolicy: {
          LifecyclePolicyText: Match.serializedJson(
            Match.objectLike({
              rules: [Match.objectLike({ selection: Match.objectLike({ countNumber: 50 }) })],
            }),
          ),
        },
      }),
      DeletionPolicy: 'Retain',
    });
  });

  it('creates the CodeArtifact domain and an npm repository proxying the public registry (seed 003 §8)', () => {
    dev.foundation.hasResourceProperties('AWS::CodeArtifact::Domain', {
      DomainName: 'ias-dev-packages',
      EncryptionKey: Match.anyValue(),
    });
    dev.foundation.hasResourceProperties('AWS::CodeArtifact::Repository', {
      RepositoryName: 'ias-dev-npm-store',
      ExternalConnections: ['public:npmjs'],
    });
    dev.foundation.hasResourceProperties('AWS::CodeArtifact::Repository', {
      RepositoryName: 'ias-dev-npm',
      Upstreams: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^PackagesNpmStore'), 'Name'] }],
    });
  });

  it('keeps the logical IDs of its stateful resources (renaming one would replace it)', () => {
    expect(Object.keys(dev.foundation.findResources('AWS::KMS::Key'))).toEqual(['KeyE447D366']);
    expect(Object.keys(dev.foundation.findResources('AWS::S3::Bucket')).sort()).toEqual([
      'AccessLogs247031D9',
      'Artifacts80C0BB10',
    ]);
    expect(Object.keys(dev.foundation.findResources('AWS::ECR::Repository')).sort()).toEqual([
      'PublicImagesRepositoryawsobservabilityawsotelcollector88EFC5F2',
      'Repositoryinventoryapi1793F79C',
    ]);
    expect(Object.keys(dev.foundation.findResources('AWS::CodeArtifact::Domain'))).toEqual([
      'PackagesDomain63365A27',
    ]);
  });

  it('caches the trace collector image from the ECR Public Gallery in a repository of its own, encrypted and destroyable', () => {
    dev.foundation.hasResourceProperties('AWS::ECR::PullThroughCacheRule', {
      EcrRepositoryPrefix: 'ias-dev-ecr-public',
      UpstreamRegistry: 'ecr-public',
      UpstreamRegistryUrl: 'public.ecr.aws',
    });
    dev.foundation.hasResource('AWS::ECR::Repository', {
      Properties: Match.objectLike({
        RepositoryName: 'ias-dev-ecr-public/aws-observability/aws-otel-collector',
        EncryptionConfiguration: { EncryptionType: 'KMS', KmsKey: Match.anyValue() },
        ImageScanningConfiguration: { ScanOnPush: true },
        EmptyOnDelete: true,
      }),
      DeletionPolicy: 'Delete',
      DependsOn: [Match.stringLikeRegexp('^PublicImagesRule')],
    });
  });

  it('turns on Amazon Inspector for the environment repositories only where the profile asks for enhanced scanning', () => {
    expect(dev.foundation.findResources('AWS::ECR::RegistryScanningConfiguration')).toEqual({});
    const config = environmentConfig('prod');
    const enhanced = stageTemplates('prod', {
      ...config,
      profile: {
        ...config.profile,
        account: '222222222222',
        supplyChain: { failOn: 'HIGH', scanning: 'enhanced' },
      },
    }).foundation;
    enhanced.hasResourceProperties('AWS::ECR::RegistryScanningConfiguration', {
      ScanType: 'ENHANCED',
      Rules: [
        {
          ScanFrequency: 'CONTINUOUS_SCAN',
          RepositoryFilters: [{ Filter: 'ias-prod-*', FilterType: 'WILDCARD' }],
        },
      ],
    });
  });
});
