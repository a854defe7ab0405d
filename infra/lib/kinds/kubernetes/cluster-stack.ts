import { Stack } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { eksClusterName } from '@ias/targets';
import { SubnetGroup } from '../../constructs/network';
import { logRetention, type EnvironmentStackProps } from '../../stacks/environment-stack-props';
import { EksCluster } from './eks-cluster';

/** Props of {@link KubernetesClusterStack}. */
export interface KubernetesClusterStackProps extends EnvironmentStackProps {
  readonly vpc: ec2.IVpc;
  readonly encryptionKey: kms.IKey;
  /** The persona roles that may read the cluster's objects. @default - none */
  readonly viewers?: readonly string[];
  /** The persona roles that administer it. @default - none */
  readonly administrators?: readonly string[];
}

/**
 * The environment's EKS cluster, `<prefix>-<env>-eks` (seed 004 §4): held only where the profile
 * turns Kubernetes on and an application runs on it. Its applications' stacks come after it.
 */
export class KubernetesClusterStack extends Stack {
  readonly eks: EksCluster;

  constructor(scope: Construct, id: string, props: KubernetesClusterStackProps) {
    super(scope, id, props);
    const { config, naming } = props;
    this.eks = new EksCluster(this, 'Eks', {
      clusterName: eksClusterName(naming),
      profile: config.profile.kubernetes,
      vpc: props.vpc,
      subnets: { subnetGroupName: SubnetGroup.PRIVATE },
      encryptionKey: props.encryptionKey,
      logRetention: logRetention(config),
      retainData: config.profile.retainData,
      viewers: props.viewers ?? [],
      administrators: props.administrators ?? [],
    });
  }
}
