import { Aws, Stack } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { ContainerRepository } from './container-repository';

/** An image of the ECR Public Gallery the environment's tasks run beside their own. */
export interface PublicImage {
  /** Its repository in the gallery, e.g. `aws-observability/aws-otel-collector`. */
  readonly repository: string;
  /** The tag, pinned (a sidecar that changes under a running service is a deployment no one made). */
  readonly tag: string;
}

/** The AWS Distro for OpenTelemetry collector, the services' trace sidecar. */
export const OTEL_COLLECTOR_IMAGE: PublicImage = {
  repository: 'aws-observability/aws-otel-collector',
  tag: 'v0.48.0',
};

/** Props of {@link PublicImageCache}. */
export interface PublicImageCacheProps {
  /** `<prefix>-<env>-ecr-public`: the rule's repository prefix; each cached image's repository starts with it. */
  readonly repositoryPrefix: string;
  /** The images to cache. */
  readonly images: readonly PublicImage[];
  /** Images kept per repository. */
  readonly imagesToKeep: number;
  /** Key the cached images are encrypted with. */
  readonly encryptionKey: kms.IKey;
  /** Keep the repositories when the stack is destroyed. */
  readonly retainData: boolean;
}

/**
 * ECR Public Gallery images through an ECR pull-through cache rule: a task pulls
 * `<account>.dkr.ecr.<region>/<prefix>-<env>-ecr-public/<repository>:<tag>` over the VPC's ECR
 * endpoints (an environment without NAT gateways cannot reach public.ecr.aws), and ECR fetches it
 * from the gallery once. Each image's repository is made here, not by ECR on first pull, so that
 * it is encrypted, scanned, and goes with `cdk destroy` like the services' own.
 */
export class PublicImageCache extends Construct {
  /** The cached repositories, by gallery repository. */
  readonly repositories: ReadonlyMap<string, ecr.Repository>;
  private readonly prefix: string;

  constructor(scope: Construct, id: string, props: PublicImageCacheProps) {
    super(scope, id);
    this.prefix = props.repositoryPrefix;
    const rule = new ecr.CfnPullThroughCacheRule(this, 'Rule', {
      ecrRepositoryPrefix: props.repositoryPrefix,
      upstreamRegistry: 'ecr-public',
      upstreamRegistryUrl: 'public.ecr.aws',
    });
    const repositories = new Map<string, ecr.Repository>();
    props.images.forEach((image) => {
      const repository = new ContainerRepository(
        this,
        `Repository-${image.repository.replaceAll('/', '-')}`,
        {
          repositoryName: `${props.repositoryPrefix}/${image.repository}`,
          imagesToKeep: props.imagesToKeep,
          encryptionKey: props.encryptionKey,
          retainData: props.retainData,
        },
      ).repository;
      repository.node.addDependency(rule);
      repositories.set(image.repository, repository);
    });
    this.repositories = repositories;
  }

  /**
   * The image's URI in this account's cache, built from its name and the pseudo parameters of the
   * stack that uses it (no reference to this stack's outputs).
   */
  imageUri(image: PublicImage): string {
    this.repository(image);
    return `${Aws.ACCOUNT_ID}.dkr.ecr.${Aws.REGION}.${Aws.URL_SUFFIX}/${this.prefix}/${image.repository}:${image.tag}`;
  }

  /**
   * Lets `grantee` (a task's execution role) pull the image, ECR importing it from the gallery on
   * the first pull.
   */
  grantPull(grantee: iam.IGrantable, image: PublicImage): void {
    const repository = this.repository(image);
    repository.grantPull(grantee);
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['ecr:BatchImportUpstreamImage'],
      resourceArns: [repository.repositoryArn],
    });
  }

  private repository(image: PublicImage): ecr.Repository {
    const repository = this.repositories.get(image.repository);
    if (!repository) {
      throw new Error(
        `${Stack.of(this).stackName}: ${image.repository} is not cached under ${this.prefix}: add it to the cache's images`,
      );
    }
    return repository;
  }
}
