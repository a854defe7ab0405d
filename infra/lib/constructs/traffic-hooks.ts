import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { type Naming, trafficHookNames } from '@ias/targets';
import { DeliveryFunction } from './delivery-function';
import type { DeliveryCode } from '../config/delivery-code';

/** Props of {@link TrafficHooks}. */
export interface TrafficHooksProps {
  /** Names of the environment. */
  readonly naming: Naming;
  /** The delivery code. */
  readonly code: DeliveryCode;
  /** Log retention. */
  readonly logRetention: logs.RetentionDays;
  /** Key for the log groups. */
  readonly encryptionKey: kms.IKey;
  /** Keep the log groups on `cdk destroy`. */
  readonly retainData: boolean;
}

/**
 * The CodeDeploy lifecycle hooks every function deployment of the environment runs:
 * BeforeAllowTraffic invokes the new version with the function's smoke event; AfterAllowTraffic
 * invokes the alias and checks the function's alarms. Each reports Succeeded or Failed to
 * CodeDeploy, which rolls the deployment back on Failed.
 *
 * They serve every function, including functions a pipeline creates later, so the role here holds
 * only its logs: each function's stack grants the role invoke, smoke-event and hook-status rights
 * on that one function and deployment group (see `DeliveredFunction`).
 */
export class TrafficHooks extends Construct {
  /** The BeforeAllowTraffic hook. */
  readonly preTraffic: lambda.IFunction;
  /** The AfterAllowTraffic hook. */
  readonly postTraffic: lambda.IFunction;
  /** The hooks' role. */
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: TrafficHooksProps) {
    super(scope, id);
    const names = trafficHookNames(props.naming);
    this.role = new iam.Role(this, 'Role', {
      roleName: names.role,
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.naming.base}: CodeDeploy traffic hooks (grants per function come from each function's stack)`,
    });
    const common = {
      code: props.code,
      handler: 'traffic-hook' as const,
      role: this.role,
      // A hook answers CodeDeploy within the hour; the smoke invocation is bounded by the target's timeout.
      timeout: Duration.minutes(15),
      logRetention: props.logRetention,
      encryptionKey: props.encryptionKey,
      retainData: props.retainData,
    };
    this.preTraffic = new DeliveryFunction(this, 'PreTraffic', {
      ...common,
      functionName: names.preTraffic,
      description: `${props.naming.base}: BeforeAllowTraffic, invokes the new version with its smoke event`,
      environment: { HOOK_PHASE: 'pre-traffic', SMOKE_EVENTS_PATH: names.smokeEventsPath },
    }).function;
    this.postTraffic = new DeliveryFunction(this, 'PostTraffic', {
      ...common,
      functionName: names.postTraffic,
      description: `${props.naming.base}: AfterAllowTraffic, invokes the alias and checks the function's alarms`,
      environment: { HOOK_PHASE: 'post-traffic', SMOKE_EVENTS_PATH: names.smokeEventsPath },
    }).function;
  }
}
