import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** Props of {@link PipelineExecutionLog}. */
export interface PipelineExecutionLogProps {
  /**
   * Names the rule and the resource policy, `<prefix>-delivery-pipeline-executions`; the log group
   * is `/aws/events/<name>`.
   */
  readonly name: string;
  /** The pipelines whose executions are recorded, by name. Must not be empty. */
  readonly pipelines: readonly string[];
  /** Encrypts the log group. */
  readonly encryptionKey: kms.IKey;
  /** Days the executions are kept. */
  readonly retention: logs.RetentionDays;
  /** Keep the log group when the stack is destroyed. */
  readonly retainData: boolean;
}

/**
 * Every execution of this project's pipelines, recorded: an EventBridge rule on "CodePipeline
 * Pipeline Execution State Change" for the named pipelines only, delivering each event whole (JSON)
 * to the log group `/aws/events/<name>`, which the stack owns (`cdk destroy` removes it unless the
 * delivery settings retain artifacts). The overview dashboard queries it with Logs Insights.
 *
 * EventBridge writes to CloudWatch Logs under the log group's resource policy, not a role. aws-cdk-lib's
 * `targets.CloudWatchLogGroup` makes that policy with a custom resource (a Lambda function calling
 * `PutResourcePolicy`); here it is an `AWS::Logs::ResourcePolicy`, scoped to this log group and to
 * this rule (`aws:SourceArn`). An account holds at most 10 such policies per region.
 *
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-cloudwatchlogs-permissions
 * @see https://docs.aws.amazon.com/codepipeline/latest/userguide/detect-state-changes-cloudwatch-events.html
 */
export class PipelineExecutionLog extends Construct {
  /** `/aws/events/<name>`: one JSON event per execution state change. */
  readonly logGroup: logs.LogGroup;
  /** `<name>`: the pipelines' execution state changes. */
  readonly rule: events.Rule;
  /** Lets EventBridge, for {@link rule} only, write to {@link logGroup}. */
  readonly policy: logs.ResourcePolicy;

  constructor(scope: Construct, id: string, props: PipelineExecutionLogProps) {
    super(scope, id);
    if (props.pipelines.length === 0) {
      throw new Error(`${props.name}: no pipeline to record the executions of`);
    }
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/events/${props.name}`,
      retention: props.retention,
      encryptionKey: props.encryptionKey,
      removalPolicy: props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    this.rule = new events.Rule(this, 'Rule', {
      ruleName: props.name,
      description: `Every execution state change of the project's ${props.pipelines.length} pipelines, recorded in /aws/events/${props.name}`,
      eventPattern: {
        source: ['aws.codepipeline'],
        detailType: ['CodePipeline Pipeline Execution State Change'],
        detail: { pipeline: [...props.pipelines] },
      },
      targets: [new LogGroupTarget(this.logGroup)],
    });
    this.policy = new logs.ResourcePolicy(this, 'Policy', {
      resourcePolicyName: props.name,
      policyStatements: [
        new iam.PolicyStatement({
          sid: 'EventBridgeRecordsPipelineExecutions',
          principals: [new iam.ServicePrincipal('events.amazonaws.com')],
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [this.logGroup.logGroupArn],
          // By the rule's name: its ARN attribute would make the rule and the policy wait on each other.
          conditions: {
            ArnEquals: {
              'aws:SourceArn': Stack.of(this).formatArn({
                service: 'events',
                resource: 'rule',
                resourceName: props.name,
              }),
            },
          },
        }),
      ],
    });
    // The first events would be refused before the policy exists.
    this.rule.node.addDependency(this.policy);
  }
}

/**
 * A log group as a rule's target, with no permission of its own: {@link PipelineExecutionLog} grants
 * it natively (see there why not `targets.CloudWatchLogGroup`).
 */
class LogGroupTarget implements events.IRuleTarget {
  constructor(private readonly logGroup: logs.LogGroup) {}

  bind(): events.RuleTargetConfig {
    // The target ARN is the log group's without the `:*` of `logGroupArn`.
    return {
      arn: Stack.of(this.logGroup).formatArn({
        service: 'logs',
        resource: 'log-group',
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        resourceName: this.logGroup.logGroupName,
      }),
      targetResource: this.logGroup,
    };
  }
}
