import { canaryGateDeadlineSeconds, SERVICE_STRATEGIES, serviceTarget } from '@ias/targets';
import type { EnvironmentConfig } from '../../config/load';
import type { ServiceDefinition } from '../../config/services';

/** How a service ships in an environment, in the plan's words. */
export function serviceDeployWords(env: EnvironmentConfig): string {
  const d = env.profile.service.deployment;
  const pause = d.pause
    ? `, paused at ${d.pause.stage} for the operator (${d.pause.onTimeout} after ${d.pause.timeoutMinutes} min)`
    : '';
  return `${SERVICE_STRATEGIES[d.strategy].words(d)}${pause}`;
}

/** The services of an environment in its section of the plan. */
export function servicePlanLines(env: EnvironmentConfig, services: readonly ServiceDefinition[]): string[] {
  const s = env.profile.service;
  const lb = s.loadBalancer;
  const https = s.certificateArn !== undefined;
  const prodPort = lb.productionPort ?? (https ? 443 : 80);
  const { blueGreen } = SERVICE_STRATEGIES[s.deployment.strategy];
  return services.flatMap((svc) => {
    const name = `${env.prefix}-${env.name}-${svc.name}`;
    const w = s.scaling.schedule;
    const gate = serviceTarget(env, svc).canaryGate;
    const gateWords = gate
      ? `; canary gate ${gate}: a canary run started after production traffic moves must pass within ${canaryGateDeadlineSeconds(env.profile.observability.canary.everyMinutes)} s`
      : '';
    return [
      `  service: ${name} on Fargate (ARM64) in ${env.prefix}-${env.name}-cluster, ${s.cpu} CPU / ${s.memoryMiB} MiB, ${s.desiredCount} task${s.desiredCount === 1 ? '' : 's'} at creation`,
      `    load balancer: ${lb.internetFacing ? 'internet-facing' : 'internal'}, production listener ${https ? 'HTTPS' : 'HTTP'}:${prodPort}${blueGreen ? `, test listener ${https ? 'HTTPS' : 'HTTP'}:${lb.testPort} (VPC${lb.testListenerCidrs.length > 0 ? ` and ${lb.testListenerCidrs.join(', ')}` : ''})` : ''}; target group${blueGreen ? 's blue and green' : ''} check ${svc.manifest.healthCheckPath}${https ? '' : '; ! HTTP only: set service.certificateArn for HTTPS'}`,
      `    scaling: ${s.scaling.minCapacity}-${s.scaling.maxCapacity} tasks on CPU ${s.scaling.cpuPercent} %, memory ${s.scaling.memoryPercent} %, ${s.scaling.requestsPerTarget} requests per task${w ? `; ${w.name} ${w.start} to ${w.end} (${w.timeZone}): ${w.minCapacity}-${w.maxCapacity}` : ''}`,
      `    delivery: ${serviceDeployWords(env)}; rolls back on failure and on alarm: target 5xx ≥ ${s.alarms.target5xxPerMinute}/min, unhealthy hosts ≥ ${s.alarms.unhealthyHosts}, p99 ≥ ${s.alarms.p99LatencyMs} ms`,
      `    alarms: ${name}-{target-5xx,p99-latency,unhealthy-hosts-blue${blueGreen ? ',unhealthy-hosts-green' : ''}}${blueGreen ? `; green check ${env.prefix}-${env.name}-${svc.name}-green-check through the test listener` : ''}${gateWords}`,
    ];
  });
}
