/**
 * The canary judge of an `ingress-weights` switch in AWS: each color Service's target group, from the
 * `TargetGroupBinding` the AWS Load Balancer Controller makes for every Service an Ingress forwards
 * to, and the two read side by side from CloudWatch (`readCanarySeries`, then `watchLook`).
 *
 * The metrics are dimensioned by the load balancer as well as by the target group; the controller
 * creates the Application Load Balancer, so no deploy file can name it: it is found from the two
 * target groups (elbv2 `DescribeTargetGroups`, their `LoadBalancerArns`), which must share it. The
 * Ingress's status names only its DNS name.
 *
 * The caller needs `list` on `targetgroupbindings.elbv2.k8s.aws` in the namespace,
 * `elasticloadbalancing:DescribeTargetGroups` and `cloudwatch:GetMetricData` on `*` (neither action
 * takes a resource).
 *
 * @see https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/targetgroupbinding/targetgroupbinding/
 * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DescribeTargetGroups.html
 */
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import {
  DescribeTargetGroupsCommand,
  type ElasticLoadBalancingV2Client,
  type TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { COLORS, type Color } from '@ias/targets';
import { type CanarySource, canarySourceSchema, readCanarySeries } from '../../canary/cloudwatch.js';
import { type CanaryAnalysis, watchLook } from '../../canary/watch.js';
import { DeliveryError, isAwsError } from '../../errors.js';
import { describeIssues } from '../../schemas.js';
import { asDeliveryError, calling, type KubernetesApi } from './api.js';
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

/**
 * The Application Load Balancer both color target groups belong to (the one the AWS Load Balancer
 * Controller made for the Ingress), from elbv2 `DescribeTargetGroups`: its ARN.
 *
 * @throws DeliveryError `SERVICE_MISSING` when a target group does not exist or belongs to no load
 *   balancer (naming it and its Service); `BAD_INPUT` when the two share no load balancer, or more
 *   than one; `DEPLOYMENT_FAILED` when elbv2 refuses the call
 */
export async function colorLoadBalancer(
  elbv2: ElasticLoadBalancingV2Client,
  target: SwitchTarget,
  groups: Readonly<Record<Color, string>>,
): Promise<string> {
  const { namespace } = target;
  const serviceOf = (arn: string) =>
    COLORS.filter((c) => groups[c] === arn)
      .map((c) => `${namespace}/${target.colorServices[c]}`)
      .join(' and ');
  const arns = [...new Set(COLORS.map((c) => groups[c]))];
  let found: readonly TargetGroup[];
  try {
    found = (await elbv2.send(new DescribeTargetGroupsCommand({ TargetGroupArns: arns }))).TargetGroups ?? [];
  } catch (error) {
    if (isAwsError(error, 'TargetGroupNotFoundException')) {
      throw new DeliveryError(
        'SERVICE_MISSING',
        `a target group of ${target.app}'s color Services does not exist (${arns.join(', ')}; elbv2 answered ${error.message}): the TargetGroupBindings name a target group that is gone; check the AWS Load Balancer Controller's events (kubectl describe targetgroupbindings -n ${namespace}), or remove the canary setting`,
        { cause: error },
      );
    }
    throw asDeliveryError(
      `finding the load balancer of ${target.app}'s target groups (${arns.join(', ')})`,
      error,
    );
  }
  const balancers = (arn: string) => found.find((g) => g.TargetGroupArn === arn)?.LoadBalancerArns ?? [];
  const alone = arns.filter((arn) => balancers(arn).length === 0);
  if (alone.length > 0) {
    throw new DeliveryError(
      'SERVICE_MISSING',
      `target group ${alone.join(' and ')} (of Service ${alone.map(serviceOf).join(' and ')}) belongs to no load balancer: the canary judge reads each color's requests from its load balancer's metrics; check that Ingress ${namespace}/${target.ingress} forwards to both color Services and that the controller has made its load balancer (kubectl describe ingress -n ${namespace} ${target.ingress}), or remove the canary setting`,
    );
  }
  const shared = arns
    .map((arn) => balancers(arn))
    .reduce((common, lbs) => common.filter((lb) => lbs.includes(lb)));
  if (shared.length !== 1) {
    // Short names: the message is cut at 500 characters, and the ARNs are long.
    const short = (lb: string) =>
      lb.replace(/^arn:[^:]+:elasticloadbalancing:[^:]+:[0-9]+:loadbalancer\//, '');
    const each = arns.map((arn) => `${serviceOf(arn)} → ${balancers(arn).map(short).join(', ')}`).join('; ');
    throw new DeliveryError(
      'BAD_INPUT',
      shared.length === 0
        ? `${target.app}'s color target groups share no load balancer (${each}): the canary judge compares two target groups behind one Application Load Balancer; forward to both color Services from Ingress ${namespace}/${target.ingress} only`
        : `${target.app}'s color target groups share ${shared.length} load balancers (${shared.map(short).join(', ')}): the canary judge cannot tell which one Ingress ${namespace}/${target.ingress} weighs; forward to the color Services from that Ingress only`,
    );
  }
  return shared[0] as string;
}

/** Options of {@link targetGroupCanaryWatch}. */
export interface TargetGroupCanaryWatchOptions {
  /** The cluster, where the TargetGroupBindings are. */
  readonly api: KubernetesApi;
  readonly target: SwitchTarget;
  /** A client in the load balancer's region: finds the load balancer from the target groups. */
  readonly elbv2: ElasticLoadBalancingV2Client;
  /** A client in the load balancer's region: reads the metrics. */
  readonly cloudwatch: CloudWatchClient;
  readonly analysis: CanaryAnalysis;
}

/** What {@link targetGroupCanaryWatch} found: the judge, and what it compares. */
export interface TargetGroupCanaryWatch extends CanaryWatch {
  /** Each color Service's target group (ARN). */
  readonly targetGroups: Readonly<Record<Color, string>>;
  /** The load balancer both belong to (ARN). */
  readonly loadBalancer: string;
}

/**
 * The {@link CanaryWatch} of an `ingress-weights` switch: finds the color Services' target groups and
 * their load balancer now (so that a missing binding or load balancer stops the deployment before it
 * changes anything), then each look reads the baseline's and the canary's target groups from
 * CloudWatch over its window and judges them.
 *
 * @throws DeliveryError as {@link colorTargetGroups} and {@link colorLoadBalancer} do; `BAD_INPUT`
 *   naming the field when the load balancer or a target group ARN is not one the judge reads
 */
export async function targetGroupCanaryWatch(
  options: TargetGroupCanaryWatchOptions,
): Promise<TargetGroupCanaryWatch> {
  const { cloudwatch, analysis, target } = options;
  const groups = await colorTargetGroups(options.api, target);
  const loadBalancer = await colorLoadBalancer(options.elbv2, target, groups);
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
      `the canary judge cannot read ${target.app}'s target groups: ${describeIssues(checked.error)}`,
    );
  }
  return {
    analysis,
    targetGroups: groups,
    loadBalancer,
    async judge(window, sides) {
      const reading = await readCanarySeries(cloudwatch, source(sides), window);
      return watchLook(reading.baseline, reading.canary, analysis);
    },
  };
}
