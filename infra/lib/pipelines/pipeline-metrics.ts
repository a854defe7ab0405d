import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';

/** Where CodePipeline publishes its metrics. */
const NAMESPACE = 'AWS/CodePipeline';

/** The period of every pipeline metric the delivery account alarms on or graphs. */
const PERIOD = Duration.minutes(5);

/**
 * The metrics CodePipeline publishes for a V2 pipeline (namespace AWS/CodePipeline, dimension
 * PipelineName), by the pipeline's name: the alarms and the overview read the same ones.
 *
 * @see https://docs.aws.amazon.com/codepipeline/latest/userguide/metrics-dimensions.html
 */
export const pipelineMetrics = {
  /** Executions that failed, summed over 5 minutes. */
  failedExecutions: (pipelineName: string): cloudwatch.Metric =>
    // What aws-cdk-lib's CodePipelineMetrics.failedPipelineExecutionsSum says, which the package
    // does not export.
    new cloudwatch.Metric({
      namespace: NAMESPACE,
      metricName: 'FailedPipelineExecutions',
      dimensionsMap: { PipelineName: pipelineName },
      statistic: cloudwatch.Stats.SUM,
      period: PERIOD,
    }),
  /** The longest execution that completed in 5 minutes, in seconds. */
  longestExecution: (pipelineName: string): cloudwatch.Metric =>
    new cloudwatch.Metric({
      namespace: NAMESPACE,
      metricName: 'PipelineDuration',
      dimensionsMap: { PipelineName: pipelineName },
      statistic: cloudwatch.Stats.MAXIMUM,
      period: PERIOD,
    }),
};
