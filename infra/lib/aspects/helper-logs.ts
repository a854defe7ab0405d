import { CfnResource, RemovalPolicy, type Stack } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';

/** Props of {@link ownHelperFunctionLogs}. */
export interface HelperLogsProps {
  /** Name of the log group, `<prefix>-<env>-<stack>-helpers`. */
  readonly logGroupName: string;
  /** Retention of the log group. */
  readonly retention: logs.RetentionDays;
  /** Key the log group is encrypted with. */
  readonly encryptionKey: kms.IKey;
  /** Keep the log group when the stack is destroyed. */
  readonly retainData: boolean;
}

/** The handler functions of aws-cdk-lib's custom-resource providers in a stack. */
export function cdkProviderHandlers(stack: Stack): CfnResource[] {
  return stack.node.children
    .filter((child) => /^Custom::.+CustomResourceProvider$/.test(child.node.id))
    .map((provider) => provider.node.tryFindChild('Handler'))
    .filter(
      (h): h is CfnResource => h instanceof CfnResource && h.cfnResourceType === 'AWS::Lambda::Function',
    );
}

/**
 * Sends the logs of aws-cdk-lib's deployment-time helper functions (emptying buckets on delete,
 * locking down the default security group) to a log group the stack owns.
 *
 * Left alone, Lambda creates `/aws/lambda/<function>` on first run, with no retention, and
 * `cdk destroy` leaves it behind — against seed 000. Through Lambda's `LoggingConfig` the helpers
 * write to this group instead, which has the environment's retention and removal policy. The
 * functions depend on the group, so on delete it outlives their last (delete-time) invocation.
 *
 * @returns the log group, or undefined when the stack has no helper function
 */
export function ownHelperFunctionLogs(stack: Stack, props: HelperLogsProps): logs.LogGroup | undefined {
  const handlers = cdkProviderHandlers(stack);
  if (handlers.length === 0) {
    return undefined;
  }
  const group = new logs.LogGroup(stack, 'HelperLogs', {
    logGroupName: props.logGroupName,
    retention: props.retention,
    encryptionKey: props.encryptionKey,
    removalPolicy: props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
  });
  for (const handler of handlers) {
    handler.addPropertyOverride('LoggingConfig', { LogGroup: group.logGroupName, LogFormat: 'Text' });
    handler.node.addDependency(group);
  }
  return group;
}
