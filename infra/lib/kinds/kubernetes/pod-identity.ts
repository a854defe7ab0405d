import { ArnFormat, Stack, Validations } from 'aws-cdk-lib';
import { ackAccount } from '../../aspects/acknowledgements';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { KubernetesTarget } from '@ias/targets';

/** Props of {@link PodIdentity}. */
export interface PodIdentityProps {
  readonly target: KubernetesTarget;
}

/**
 * The AWS identity of a Kubernetes application's pods: the role `<prefix>-<env>-<app>-pod`, which
 * EKS Pod Identity hands the pods of its service account (`<namespace>/<app>`). The application
 * talks to PostgreSQL only: the role may read the application's own database login, which the
 * secrets provider fetches as the pods, and nothing else.
 */
export class PodIdentity extends Construct {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: PodIdentityProps) {
    super(scope, id);
    const { target } = props;
    const stack = Stack.of(this);
    this.role = new iam.Role(this, 'Role', {
      roleName: target.podRoleName,
      // Pod Identity needs sts:TagSession too: the session tags name cluster, namespace and account.
      assumedBy: new iam.ServicePrincipal('pods.eks.amazonaws.com').withSessionTags(),
      description: `${target.app} on ${target.clusterName}: its pods (service account ${target.namespace}/${target.serviceAccount})`,
    });
    new eks.CfnPodIdentityAssociation(this, 'Association', {
      clusterName: target.clusterName,
      namespace: target.namespace,
      serviceAccount: target.serviceAccount,
      roleArn: this.role.roleArn,
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        // Secrets Manager appends six random characters to a secret's name in its ARN.
        resources: [
          stack.formatArn({
            service: 'secretsmanager',
            resource: 'secret',
            resourceName: `${target.databaseSecret}-??????`,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );
    // The secret is encrypted with the environment key; its ID is not known here.
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [stack.formatArn({ service: 'kms', resource: 'key', resourceName: '*' })],
        conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${stack.region}.amazonaws.com` } },
      }),
    );
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:aws:kms:${stack.region}:${ackAccount(stack)}:key/*]`,
      reason:
        "The environment key, through Secrets Manager only (kms:ViaService), for the login secret; the key's ID is not known here",
    });
  }
}
