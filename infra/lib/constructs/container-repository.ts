import { RemovalPolicy } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/** What pushing an image (and reading its layers back) takes on a repository. */
export const ECR_PUSH_ACTIONS = [
  'ecr:BatchCheckLayerAvailability',
  'ecr:BatchGetImage',
  'ecr:CompleteLayerUpload',
  'ecr:GetDownloadUrlForLayer',
  'ecr:InitiateLayerUpload',
  'ecr:PutImage',
  'ecr:UploadLayerPart',
] as const;

/** Props of {@link ContainerRepository}. */
export interface ContainerRepositoryProps {
  /** The repository name, `<prefix>-<env>-<service>`. */
  readonly repositoryName: string;
  /** Images kept by the lifecycle policy; older ones are expired. */
  readonly imagesToKeep: number;
  /** Customer-managed key the images are encrypted with. */
  readonly encryptionKey: kms.IKey;
  /** Keep the repository and its images when the stack is destroyed. */
  readonly retainData: boolean;
  /**
   * Roles of another account (the tooling account's build) that may push images here.
   * @default - none: pushes come from this account
   */
  readonly pushFrom?: { readonly account: string; readonly roleArns: readonly string[] };
}

/**
 * An ECR repository with the seeds' rules: immutable tags (an image tag is the git commit and
 * never moves), scan on push, KMS encryption, and a lifecycle policy keeping the last N images.
 * Emptied and deleted by `cdk destroy` unless the environment retains data.
 */
export class ContainerRepository extends Construct {
  /** The repository. */
  readonly repository: ecr.Repository;

  constructor(scope: Construct, id: string, props: ContainerRepositoryProps) {
    super(scope, id);
    this.repository = new ecr.Repository(this, 'Resource', {
      repositoryName: props.repositoryName,
      imageTagMutability: ecr.TagMutability.IMMUTABLE,
      imageScanOnPush: true,
      encryption: ecr.RepositoryEncryption.KMS,
      encryptionKey: props.encryptionKey,
      lifecycleRules: [
        {
          description: `keep the last ${props.imagesToKeep} images`,
          maxImageCount: props.imagesToKeep,
          tagStatus: ecr.TagStatus.ANY,
        },
      ],
      removalPolicy: props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      emptyOnDelete: !props.retainData,
    });
    if (props.pushFrom) {
      // The tooling account's service build pushes each image once per environment (one digest).
      this.repository.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'PushFromTheToolingBuild',
          principals: [new iam.AccountPrincipal(props.pushFrom.account)],
          actions: [...ECR_PUSH_ACTIONS],
          conditions: { ArnEquals: { 'aws:PrincipalArn': [...props.pushFrom.roleArns] } },
        }),
      );
    }
  }
}
