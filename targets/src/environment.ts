import type { Ec2DeploymentSettings } from './kinds/ec2/strategies';
import type { LambdaStrategy } from './kinds/function/strategies';
import type { KubernetesDeploymentSettings } from './kinds/kubernetes/strategies';
import type { ServiceStrategy, ServiceTraffic } from './kinds/service/strategies';

/**
 * What the names and targets read of one environment: the prefix, its name and the few profile
 * fields that choose a name (account, deployment strategies). The validated profile of
 * `@ias/infra/config` is one; this package keeps no schema of its own.
 */
export interface TargetEnvironment {
  /** The project prefix from README.md. */
  readonly prefix: string;
  /** The environment's name (`dev`, `staging`, `prod`). */
  readonly name: string;
  /** The profile fields names depend on. */
  readonly profile: {
    /** The environment's account, when the profile names one. */
    readonly account?: string;
    /** How functions are shifted. */
    readonly lambda: { readonly deployment: LambdaStrategy };
    /** How services ship. */
    readonly service: {
      readonly deployment: { readonly strategy: ServiceStrategy; readonly traffic: ServiceTraffic };
    };
    /** How images are scanned (enhanced: Amazon Inspector, whose findings need its own read). @default - basic */
    readonly supplyChain?: { readonly scanning: 'basic' | 'enhanced' };
    /**
     * The environment's EKS cluster and how its Kubernetes applications switch colors; absent or
     * `enabled: false`: no cluster, no Kubernetes application.
     */
    readonly kubernetes?: { readonly enabled: boolean; readonly deployment: KubernetesDeploymentSettings };
    /**
     * How the environment's EC2 applications are deployed; absent or `enabled: false`: no EC2
     * application.
     */
    readonly ec2?: { readonly enabled: boolean; readonly deployment: Ec2DeploymentSettings };
  };
}
