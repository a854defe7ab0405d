import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { loadProject } from '../../lib/config/project';
import { buildPlan } from '../../lib/plan';

const scratch = mkdtempSync(join(tmpdir(), 'plan-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const project = loadProject({});
/** The prefix README.md holds: every name the plan shows starts with it. */
const { prefix } = project;
const plan = buildPlan(project, inject('assemblyDir'), scratch).text;

describe('the delivery plan (npm start)', () => {
  it('shows each environment’s service: size, listeners, scaling, strategy and alarms', () => {
    expect(plan).toContain(
      `service: ${prefix}-dev-inventory-api on Fargate (ARM64) in ${prefix}-dev-cluster, 256 CPU / 512 MiB, 1 task at creation`,
    );
    expect(plan).toContain('delivery: ECS rolling update, circuit breaker with rollback');
    expect(plan).toContain('delivery: Amazon ECS blue/green, bake 5 min');
    expect(plan).toContain(
      'delivery: CodeDeploy blue/green, traffic canary, 10 % for 5 minutes, then the rest, blue kept 60 min',
    );
    expect(plan).toMatch(
      /load balancer: internal, production listener HTTP:80, test listener HTTP:8443 \(VPC\)/,
    );
    expect(plan).toContain('! HTTP only: set service.certificateArn for HTTPS');
    expect(plan).toContain('friday-evening cron(0 19 ? * FRI *) to cron(0 23 ? * FRI *) (Asia/Tokyo): 6-20');
    expect(plan).toContain(
      `alarms: ${prefix}-prod-inventory-api-{target-5xx,p99-latency,unhealthy-hosts-blue,unhealthy-hosts-green}`,
    );
  });

  it('shows each environment’s monitoring as synthesized: dashboards, alarms by what they do, composites, notifications', () => {
    for (const env of project.environments.map((e) => e.name)) {
      // Every workload's watch, in the order of their stacks: fn-, then ec2-, k8s-, svc-.
      const functions = [
        ...project.functions.map((w) => [`fn-${w.name}`, `${prefix}-${env}-${w.name}`]),
        ...(project.services ?? []).map((w) => [`svc-${w.name}`, `${prefix}-${env}-${w.name}`]),
        ...(project.kubernetes ?? []).map((w) => [`k8s-${w.name}`, `${prefix}-${env}-${w.name}-k8s`]),
        ...(project.ec2 ?? []).map((w) => [`ec2-${w.name}`, `${prefix}-${env}-${w.name}-ec2`]),
      ]
        // The functions' stacks come first (after the deployment stack), then the others by name.
        .sort(
          ([a = ''], [b = '']) =>
            Number(!a.startsWith('fn-')) - Number(!b.startsWith('fn-')) || a.localeCompare(b),
        )
        .map(([, watch]) => watch as string);
      expect(plan).toMatch(
        new RegExp(
          `monitoring: \\d+ dashboards, (\\d+) alarms \\((\\d+) that notify and roll deployments back or watch the platform, (\\d+) that feed a composite alarm\\), ${functions.length + 1} composite alarms`,
        ),
      );
      expect(plan).toContain(
        `dashboards: ${prefix}-${env}-overview, ${functions.join(', ')}, ${prefix}-${env}-health`,
      );
      expect(plan).toContain(
        `is the environment healthy: ${prefix}-${env}-health (over all of the above; its members notify)`,
      );
      expect(plan).toContain(`composite alarms (notify): ${functions.map((f) => `${f}-health`).join(', ')}`);
      expect(plan).toMatch(
        new RegExp(`notifications: ${prefix}-${env}-alarms → (\\d+ email|no subscriber yet)`),
      );
      expect(plan).toContain(
        `events to the topic: ${prefix}-${env}-codedeploy-failures, ${prefix}-${env}-ecs-deployment-failures, ${prefix}-${env}-health-events`,
      );
    }
  });

  it('shows where the pipelines’ notifications go and when every pipeline sends one', () => {
    const pipelines = project.functions.length + (project.services ?? []).length + 1;
    expect(plan).toMatch(
      new RegExp(
        `notifications: ${prefix}-delivery-notifications → (\\d+ email|no subscriber yet \\(delivery.notificationEmails\\)); ${pipelines} pipelines notify when failed, succeeded, manual approval needed`,
      ),
    );
    expect(plan).toContain(
      '! platform-delivery@example.com is an example address: set notificationEmails in infra/lib/config/delivery.ts before deploying',
    );
  });

  it('says per environment at which severity the supply chain stops a deployment, and what it reads', () => {
    for (const env of project.environments) {
      const { failOn, scanning } = env.profile.supplyChain;
      const scan = scanning === 'enhanced' ? 'Amazon Inspector, continuous' : 'ECR basic scan on push';
      expect(plan).toContain(
        `  supply chain: deployments stop on findings ≥ ${failOn} (${scan} of the image; npm audit of the bundle); exceptions in supply-chain/exceptions.json; what passes has its CycloneDX SBOM kept under sbom/<workload>/<commit>.cdx.json of ${prefix}-${env.name}-artifact-store-${env.profile.account ?? '<account>'}-${env.profile.region}, named by its release`,
      );
    }
  });

  it('shows the service pipeline’s stages with the strategy of each environment', () => {
    expect(plan).toContain(`pipeline ${prefix}-inventory-api-pipeline:`);
    expect(plan).toContain('Build: Build (CodeBuild)');
    expect(plan).toMatch(
      /Deploy-dev: SupplyChainGate \(Lambda\) → EnsureService \(Lambda\) → Deploy \(ECS\) → RecordImage \(Lambda\) → DeployKubernetes \(Lambda\) → DeployEc2 \(CodeDeploy\) → RecordEc2 \(Lambda\)\s+\[ECS rolling update/,
    );
    expect(plan).toMatch(
      /Deploy-prod: SupplyChainGate \(Lambda\) → EnsureService \(Lambda\) → Deploy \(CodeDeployToECS\) → RecordImage \(Lambda\) → DeployKubernetes \(Lambda\) → DeployEc2 \(CodeDeploy\) → RecordEc2 \(Lambda\)\s+\[CodeDeploy blue\/green/,
    );
  });

  it('shows each environment’s EC2 fleet and its deployment style', () => {
    for (const env of project.environments) {
      const { ec2 } = env.profile;
      for (const app of project.ec2 ?? []) {
        expect(plan).toContain(
          `  ec2: ${app.name}: Auto Scaling group ${prefix}-${env.name}-${app.name}-ec2, ${ec2.capacity.min}-${ec2.capacity.max} × ${ec2.instanceType}`,
        );
      }
    }
    expect(plan).toContain(
      `delivery: CodeDeploy ${prefix}-dev-inventory-api-ec2-app / ${prefix}-dev-inventory-api-ec2-group: in place, all at once (CodeDeployDefault.AllAtOnce)`,
    );
    expect(plan).toContain(
      `delivery: CodeDeploy ${prefix}-staging-inventory-api-ec2-app / ${prefix}-staging-inventory-api-ec2-group: in place, half at a time (CodeDeployDefault.HalfAtATime)`,
    );
    expect(plan).toContain(
      `delivery: CodeDeploy ${prefix}-prod-inventory-api-ec2-app / ${prefix}-prod-inventory-api-ec2-group: blue/green (copied Auto Scaling group), half at a time, blue fleet terminated after 60 min (CodeDeployDefault.HalfAtATime)`,
    );
  });
});
