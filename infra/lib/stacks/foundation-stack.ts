import { Duration, Stack } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as events from 'aws-cdk-lib/aws-events';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { ContainerRepository } from '../constructs/container-repository';
import { OTEL_COLLECTOR_IMAGE, PublicImageCache } from '../constructs/public-image-cache';
import { EncryptionKey } from '../constructs/encryption-key';
import { PackageRepository } from '../constructs/package-repository';
import { SecureBucket } from '../constructs/secure-bucket';
import type { EnvironmentStackProps } from './environment-stack-props';
import { environmentArtifactBucketName, pipelineNames } from '@ias/targets';

/** Props of {@link FoundationStack}. */
export interface FoundationStackProps extends EnvironmentStackProps {
  /** Container services that get an ECR repository, `<prefix>-<env>-<service>`. */
  readonly containerServices: readonly string[];
  /**
   * The tooling account, when it is not this environment's: its service builds may push here.
   * @default - pushes from this account only
   */
  readonly toolingAccount?: string;
}

/**
 * What everything else stands on: the environment's KMS key, the artifact bucket (with its
 * access-log bucket), one ECR repository per container service, the CodeArtifact domain and
 * npm repository builds install from, and the event bus the workloads publish business events to.
 */
export class FoundationStack extends Stack {
  /** The environment's key. */
  readonly key: kms.IKey;
  /** Build artifacts (Lambda bundles, pipeline artifacts): seed 003's artifact store. */
  readonly artifactBucket: s3.IBucket;
  /** Server access logs of the environment's buckets. */
  readonly accessLogBucket: s3.IBucket;
  /** ECR repositories by service name. */
  readonly repositories: ReadonlyMap<string, ecr.IRepository>;
  /** The ECR Public Gallery images the services run beside their own (the trace collector), cached here. */
  readonly publicImages: PublicImageCache;
  /** The CodeArtifact domain and repository. */
  readonly packages: PackageRepository;
  /** The bus business events go to (`OrderAllocated`, `AllocationShortage`, …), `<prefix>-<env>-events`. */
  readonly eventBus: events.IEventBus;

  constructor(scope: Construct, id: string, props: FoundationStackProps) {
    super(scope, id, props);
    const { naming, config } = props;
    const { profile } = config;

    this.key = new EncryptionKey(this, 'Key', { naming, retainData: profile.retainData }).key;

    this.accessLogBucket = new SecureBucket(this, 'AccessLogs', {
      retainData: profile.retainData,
      noncurrentVersionExpiration: Duration.days(1),
      expiration: Duration.days(profile.logRetentionDays),
    }).bucket;

    this.artifactBucket = new SecureBucket(this, 'Artifacts', {
      // Seed 003 names it `${ProjectName}-artifact-store`; account and region keep it globally unique.
      bucketName: environmentArtifactBucketName(naming, this.account, this.region),
      retainData: profile.retainData,
      encryptionKey: this.key,
      serverAccessLogsBucket: this.accessLogBucket,
      noncurrentVersionExpiration: Duration.days(profile.artifactVersionRetentionDays),
    }).bucket;

    const repositories = new Map<string, ecr.IRepository>();
    for (const service of props.containerServices) {
      repositories.set(
        service,
        new ContainerRepository(this, `Repository-${service}`, {
          repositoryName: naming.name(service),
          imagesToKeep: profile.containerImagesToKeep,
          encryptionKey: this.key,
          retainData: profile.retainData,
          pushFrom: props.toolingAccount
            ? {
                account: props.toolingAccount,
                roleArns: [
                  `arn:${this.partition}:iam::${props.toolingAccount}:role/${pipelineNames(naming.prefix, service).build}`,
                ],
              }
            : undefined,
        }).repository,
      );
    }
    this.repositories = repositories;
    // Amazon Inspector instead of scan-on-push, continuously, for this environment's repositories.
    // The registry's mode is the account's in this region (the profiles keep such an environment alone).
    if (profile.supplyChain.scanning === 'enhanced') {
      new ecr.CfnRegistryScanningConfiguration(this, 'RegistryScanning', {
        scanType: 'ENHANCED',
        rules: [
          {
            scanFrequency: 'CONTINUOUS_SCAN',
            repositoryFilters: [{ filter: `${naming.base}-*`, filterType: 'WILDCARD' }],
          },
        ],
      });
    }
    this.publicImages = new PublicImageCache(this, 'PublicImages', {
      repositoryPrefix: naming.name('ecr-public'),
      images: [OTEL_COLLECTOR_IMAGE],
      imagesToKeep: profile.containerImagesToKeep,
      encryptionKey: this.key,
      retainData: profile.retainData,
    });

    this.packages = new PackageRepository(this, 'Packages', {
      domainName: naming.name('packages'),
      repositoryName: naming.name('npm'),
      encryptionKey: this.key,
      retainData: profile.retainData,
    });
    // Its own bus, not the account's default: environments that share an account keep their
    // events apart, and consumers subscribe to one environment's events by the bus alone.
    this.eventBus = new events.EventBus(this, 'EventBus', { eventBusName: naming.name('events') });
  }
}
