/**
 * The canary judge of an `ingress-weights` switch in AWS: each color Service's target group, from the
 * `TargetGroupBinding` the AWS Load Balancer Controller makes for every Service an Ingress forwards
 * to, and the two read side by side from CloudWatch (`readCanarySeries`, then `watchLook`).
 *
 * The load balancer is an input: its metrics are dimensioned by it as well as by the target group,
 * and finding it from a target group takes elbv2 `DescribeTargetGroups` (`LoadBalancerArns`), whose
 * client the delivery workspace does not depend on; the Ingress's status names only its DNS name.
 *
 * The caller needs `list` on `targetgroupbindings.elbv2.k8s.aws` in the namespace and
 * `cloudwatch:GetMetricData` on `*`.
 *
 * @see https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/targetgroupbinding/targetgroupbinding/
 */
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { COLORS, type Color } from '@ias/targets';
import { type CanarySource, canarySourceSchema, readCanarySeries } from '../../canary/cloudwatch.js';
import { type CanaryAnalysis, watchLook } from '../../canary/watch.js';
import { DeliveryError } from '../../errors.js';
import { describeIssues } from '../../schemas.js';
import { calling, type KubernetesApi } from './api.js';
import type { CanaryWatch } from './canary-watch.js';
import type { SwitchTarget } from './routing.js';

/** The AWS Load Balancer Controller's binding of a Service to a target group. */
export const TARGET_GROUP_BINDING = {
  apiVersion: 'elbv2.k8s.aws/v1beta1',
  kind: 'TargetGroupBinding',
} as const;

/** What the lookup reads of a binding. */
interface BindingSpec {
  readonly serviceRef?: { readonly name?: string };
  readonly targetGroupARN?: string;
}

/**
 * The target group of each color Service, from the TargetGroupBindings in the application's namespace.
 *
 * @throws DeliveryError `SERVICE_MISSING` naming the Service(s) and the namespace when a color Service
 *   has no binding (the controller has not made it: it does not run, or the Ingress does not forward
 *   to the Service); `BAD_INPUT` when one has bindings to different target groups
 */
export async function colorTargetGroups(
  api: KubernetesApi,
  target: SwitchTarget,
): Promise<Readonly<Record<Color, string>>> {
  const { namespace } = target;
  const bindings = await calling(`listing the TargetGroupBindings of namespace ${namespace}`, () =>
    api.list({ ...TARGET_GROUP_BINDING, namespace }),
  );
  const arnsOf = (service: string) => [
    ...new Set(
      bindings
        .map((b) => (b['spec'] ?? {}) as BindingSpec)
        .filter((spec) => spec.serviceRef?.name === service && spec.targetGroupARN)
        .map((spec) => spec.targetGroupARN as string),
    ),
  ];
  const missing = COLORS.map((color) => target.colorServices[color]).filter((s) => arnsOf(s).length === 0);
  if (missing.length > 0) {
    throw new DeliveryError(
      'SERVICE_MISSING',
      `no TargetGroupBinding in namespace ${namespace} for ${missing.length > 1 ? 'Services' : 'Service'} ${missing.join(' and ')}: the canary judge reads each color's target group from the binding the AWS Load Balancer Controller makes for every Service an Ingress forwards to; check that the controller runs and that Ingress ${namespace}/${target.ingress} forwards to ${missing.join(' and ')} (kubectl get targetgroupbindings -n ${namespace} -o wide), or remove the canary setting`,
    );
  }
  const groups = {} as Record<Color, string>;
  for (const color of COLORS) {
    const service = target.colorServices[color];
    const arns = arnsOf(service);
    if (arns.length > 1) {
      throw new DeliveryError(
        'BAD_INPUT',
        `Service ${namespace}/${service} has TargetGroupBindings to ${arns.length} target groups (${arns.join(', ')}): the canary judge cannot tell which one Ingress ${namespace}/${target.ingress} weighs; forward to each color Service from that Ingress only`,
      );
    }
    groups[color] = arns[0] as string;
  }
  return groups;
}

/** Options of {@link targetGroupCanaryWatch}. */
export interface TargetGroupCanaryWatchOptions {
  /** The cluster, where the TargetGroupBindings are. */
  readonly api: KubernetesApi;
  readonly target: SwitchTarget;
  /** A client in the load balancer's region. */
  readonly cloudwatch: CloudWatchClient;
  /**
   * The Application Load Balancer the controller made for the Ingress: its ARN, or the
   * `app/<name>/<id>` its metrics carry.
   */
  readonly loadBalancer: string;
  readonly analysis: CanaryAnalysis;
}

/**
 * The {@link CanaryWatch} of an `ingress-weights` switch: finds the color Services' target groups
 * now (so that a missing binding stops the deployment before it changes anything), then each look
 * reads the baseline's and the canary's target groups from CloudWatch over its window and judges them.
 *
 * @throws DeliveryError as {@link colorTargetGroups} does; `BAD_INPUT` naming the field when the load
 *   balancer or a target group ARN is not one
 */
export async function targetGroupCanaryWatch(options: TargetGroupCanaryWatchOptions): Promise<CanaryWatch> {
  const { cloudwatch, loadBalancer, analysis } = options;
  const groups = await colorTargetGroups(options.api, options.target);
  const source = (sides: { baseline: Color; canary: Color }): CanarySource => ({
    kind: 'target-groups',
    loadBalancer,
    baselineTargetGroup: groups[sides.baseline],
    canaryTargetGroup: groups[sides.canary],
  });
  const checked = canarySourceSchema.safeParse(source({ baseline: 'blue', canary: 'green' }));
  if (!checked.success) {
    throw new DeliveryError(
      'BAD_INPUT',
      `the canary judge cannot read ${options.target.app}'s target groups: ${describeIssues(checked.error)}`,
    );
  }
  return {
    analysis,
    async judge(window, sides) {
      const reading = await readCanarySeries(cloudwatch, source(sides), window);
      return watchLook(reading.baseline, reading.canary, analysis);
    },
  };
}
