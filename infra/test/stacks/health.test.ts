import { describe, expect, inject, it } from 'vitest';
import { loadProject } from '../../lib/config/project';
import { readAssembly, renderValue } from '../../lib/plan';

const project = loadProject({});
const { prefix } = project;
const stages = readAssembly(inject('assemblyDir'));
// Each workload's stack and monitoring name; a Kubernetes application's watch is `<app>-k8s`, an EC2
// application's `<app>-ec2`.
const workloads = [
  ...project.functions.map((w) => ({ stack: `fn-${w.name}`, watch: w.name })),
  ...(project.services ?? []).map((w) => ({ stack: `svc-${w.name}`, watch: w.name })),
  ...(project.kubernetes ?? []).map((w) => ({ stack: `k8s-${w.name}`, watch: `${w.name}-k8s` })),
  ...(project.ec2 ?? []).map((w) => ({ stack: `ec2-${w.name}`, watch: `${w.name}-ec2` })),
];

describe('each environment’s health (<prefix>-<env>-health)', () => {
  for (const env of project.environments.map((e) => e.name)) {
    it(`${env}: one composite alarm over every workload’s composite and the platform’s alarms, after every workload, with its dashboard`, () => {
      const stage = stages.find((s) => s.stageId === `${prefix}-${env}`);
      const health = stage?.stacks.find((s) => s.stackName === `${prefix}-${env}-health`);
      expect(health, `${prefix}-${env}-health`).toBeDefined();
      const resources = Object.values(health?.template.Resources ?? {}) as {
        Type: string;
        Properties: Record<string, unknown>;
      }[];
      const composite = resources.find((r) => r.Type === 'AWS::CloudWatch::CompositeAlarm');
      expect(renderValue(composite?.Properties.AlarmName)).toBe(`${prefix}-${env}-health`);
      const rule = JSON.stringify(composite?.Properties.AlarmRule);
      // Each workload's composite, read from its stack's outputs; the database alarms from observability.
      for (const { stack } of workloads) {
        expect(rule, stack).toContain(`"StackName":"${prefix}-${env}-${stack}"`);
      }
      expect(rule).toContain(`"StackName":"${prefix}-${env}-observability"`);
      const observability = stage?.stacks.find((s) => s.stackName === `${prefix}-${env}-observability`);
      const platformAlarms = observability?.resourceTypes.get('AWS::CloudWatch::Alarm') ?? 0;
      expect(platformAlarms).toBeGreaterThan(0);
      expect(rule.match(/ALARM\(/g)?.length).toBe(workloads.length + platformAlarms);
      for (const { stack } of workloads) {
        expect(
          health?.dependsOn.some((d) => d.endsWith(`-${stack}`)),
          stack,
        ).toBe(true);
      }
      const dashboard = resources.find((r) => r.Type === 'AWS::CloudWatch::Dashboard');
      expect(renderValue(dashboard?.Properties.DashboardName)).toBe(`${prefix}-${env}-health`);
      const body = JSON.stringify(dashboard?.Properties.DashboardBody);
      for (const { watch } of workloads) {
        expect(body, watch).toContain(`${prefix}-${env}-${watch}`);
      }
    });
  }
});
