import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { OTEL_COLLECTOR_IMAGE, type PublicImageCache } from '../../constructs/public-image-cache';

/** The collector's OTLP/HTTP receiver, on the task's loopback (awsvpc: the containers share it). */
export const OTLP_HTTP_PORT = 4318;
/** The container name of the sidecar. */
export const COLLECTOR_CONTAINER = 'otel-collector';

/**
 * The collector's configuration (AOT_CONFIG_CONTENT): OTLP over HTTP from the application on the
 * loopback only, batched, to AWS X-Ray in the task's region with the task role's credentials.
 */
export function collectorConfig(region: string): string {
  return [
    'extensions:',
    '  health_check:',
    '    endpoint: 127.0.0.1:13133',
    'receivers:',
    '  otlp:',
    '    protocols:',
    '      http:',
    `        endpoint: 127.0.0.1:${OTLP_HTTP_PORT}`,
    'processors:',
    '  batch:',
    '    timeout: 1s',
    'exporters:',
    '  awsxray:',
    `    region: ${region}`,
    '    indexed_attributes: [db.system, http.route]',
    'service:',
    '  extensions: [health_check]',
    '  pipelines:',
    '    traces:',
    '      receivers: [otlp]',
    '      processors: [batch]',
    '      exporters: [awsxray]',
    '',
  ].join('\n');
}

/** Props of {@link TraceCollector}. */
export interface TraceCollectorProps {
  /** The service's task definition, to which the sidecar is added. */
  readonly taskDefinition: ecs.FargateTaskDefinition;
  /** The application container, which sends its spans to the sidecar. */
  readonly application: ecs.ContainerDefinition;
  /** `<prefix>-<env>-<service>`: the traces' service name. */
  readonly serviceName: string;
  /** Where the collector's image is cached (the tasks may have no route to the internet). */
  readonly images: PublicImageCache;
  /** The service's log group; the collector logs under the stream prefix `otel-collector`. */
  readonly logGroup: logs.ILogGroup;
  /** Share of requests traced, in percent (the profile's `observability.tracing.samplingPercent`). */
  readonly samplingPercent: number;
}

/**
 * Tracing for a container service (seed 001): the AWS Distro for OpenTelemetry collector beside the
 * application, receiving its spans (the HTTP request, each database query) over OTLP on the loopback
 * and sending them to AWS X-Ray; the settings that turn the application's tracing on, with the
 * profile's sampling ratio (parent-based: a request the load balancer or a caller already sampled
 * stays sampled); and the task role's right to send segments.
 *
 * Not essential: a collector that stops loses traces, never the service.
 */
export class TraceCollector extends Construct {
  /** The sidecar. */
  readonly container: ecs.ContainerDefinition;
  /** The settings given to the application (OpenTelemetry's own variables). */
  readonly environment: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: TraceCollectorProps) {
    super(scope, id);
    const { taskDefinition } = props;
    const executionRole = taskDefinition.obtainExecutionRole();
    props.images.grantPull(executionRole, OTEL_COLLECTOR_IMAGE);
    this.container = taskDefinition.addContainer('OtelCollector', {
      containerName: COLLECTOR_CONTAINER,
      image: ecs.ContainerImage.fromRegistry(props.images.imageUri(OTEL_COLLECTOR_IMAGE)),
      essential: false,
      environment: { AOT_CONFIG_CONTENT: collectorConfig(Stack.of(this).region) },
      logging: ecs.LogDrivers.awsLogs({
        logGroup: props.logGroup,
        streamPrefix: COLLECTOR_CONTAINER,
        mode: ecs.AwsLogDriverMode.NON_BLOCKING,
      }),
      healthCheck: {
        command: ['CMD', '/healthcheck'],
        interval: Duration.seconds(30),
        timeout: Duration.seconds(5),
        retries: 3,
        startPeriod: Duration.seconds(10),
      },
      readonlyRootFilesystem: true,
      user: '10001',
      cpu: 64,
      memoryReservationMiB: 64,
      memoryLimitMiB: 128,
    });
    taskDefinition.taskRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
        resources: ['*'],
      }),
    );
    Validations.of(taskDefinition.taskRole).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason: 'xray:PutTraceSegments and PutTelemetryRecords, which AWS X-Ray does not scope to a resource',
    });
    const ratio = props.samplingPercent / 100;
    this.environment = {
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${OTLP_HTTP_PORT}`,
      OTEL_SERVICE_NAME: props.serviceName,
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: String(ratio),
    };
    for (const [name, value] of Object.entries(this.environment)) {
      props.application.addEnvironment(name, value);
    }
  }
}
