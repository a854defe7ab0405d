import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { delivery } from '../../lib/config/delivery';
import { ConfigError } from '../../lib/config/errors';
import { parseDelivery } from '../../lib/config/load';
import { cdkContext } from '../../lib/config/project';
import { loadServices } from '../../lib/config/services';
import { EnvironmentStage } from '../../lib/environment-stage';
import { DeliveryStage } from '../../lib/delivery-stage';
import { environmentConfig, SERVICES, TEST_PREFIX } from '../support/stages';

function writeService(dir: string, name: string, manifest: unknown, dockerfile = true): void {
  mkdirSync(join(dir, name), { recursive: true });
  writeFileSync(
    join(dir, name, 'service.json'),
    typeof manifest === 'string' ? manifest : JSON.stringify(manifest),
  );
  if (dockerfile)
    writeFileSync(join(dir, name, 'Dockerfile'), 'FROM node:20.20.2-bookworm-slim AS production\n');
}

describe('service manifests', () => {
  it('finds every service folder with a service.json, with the defaults filled in', () => {
    expect(SERVICES.map((s) => s.name)).toEqual(['inventory-api']);
    expect(SERVICES[0]).toMatchObject({
      folder: 'app/services/inventory-api',
      manifest: {
        containerPort: 3000,
        healthCheckPath: '/ready',
        dockerfile: 'Dockerfile',
        target: 'production',
      },
    });
  });

  it('fails on a canary that is not a .js file in its own folder, is missing, or is named by two services', () => {
    const dir = mkdtempSync(join(tmpdir(), 'services-'));
    writeService(dir, 'flat-canary', { description: 'x', canary: 'canary.js' });
    writeService(dir, 'gone-canary', { description: 'x', canary: 'canary/missing.js' });
    for (const name of ['api-one', 'api-two']) {
      writeService(dir, name, { description: 'x', canary: 'canary/check.js' });
      mkdirSync(join(dir, name, 'canary'));
      writeFileSync(join(dir, name, 'canary', 'check.js'), 'exports.handler = async () => undefined;\n');
    }
    let message = '';
    try {
      loadServices(dir, dir);
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      message = (err as Error).message;
    }
    expect(message).toContain('3 problems in the service manifests; fix each and run again:');
    expect(message).toContain(
      'flat-canary/service.json: canary: must be a .js file in a folder of its own, e.g. canary/api-canary.js',
    );
    expect(message).toContain(
      'gone-canary/service.json: canary: gone-canary/canary/missing.js does not exist',
    );
    expect(message).toContain(
      '  - services api-one, api-two each name a canary: an environment has one canary (<prefix>-<env>); keep it on the service that is the API',
    );
  });

  it('fails on broken manifests, listing every problem with its file and path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'services-'));
    writeService(dir, 'good-api', { description: 'fine' });
    writeService(dir, 'Bad_Name', { description: 'x' });
    writeService(dir, 'no-json', '{ nope');
    writeService(dir, 'wrong', { description: 'x', containerPort: 80, healthCheckPath: 'ready', extra: 1 });
    writeService(dir, 'no-dockerfile', { description: 'x' }, false);
    mkdirSync(join(dir, 'not-a-service'));
    let message = '';
    try {
      loadServices(dir, dir);
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      message = (err as Error).message;
    }
    expect(message).toContain('6 problems in the service manifests; fix each and run again:');
    expect(message).toContain('Bad_Name/service.json: the folder name must be 3 to 30 lowercase letters');
    expect(message).toContain('no-json/service.json: not valid JSON');
    expect(message).toContain('wrong/service.json: containerPort:');
    expect(message).toContain('wrong/service.json: healthCheckPath: must be a path such as /ready');
    expect(message).toContain('wrong/service.json: (root): Unrecognized key: "extra"');
    expect(message).toContain(
      'no-dockerfile/service.json: dockerfile: no-dockerfile/Dockerfile does not exist',
    );
  });
});

describe('adding a service', () => {
  // A new folder with a manifest and a Dockerfile, and no other edit.
  const dir = mkdtempSync(join(tmpdir(), 'new-service-'));
  writeService(dir, 'pricing-api', {
    description: 'Prices',
    containerPort: 8080,
    healthCheckPath: '/healthz',
  });
  const services = [...SERVICES, ...loadServices(dir, dir)];
  const app = new App({ context: cdkContext() });
  const config = environmentConfig('staging');
  const stage = new EnvironmentStage(app, `${TEST_PREFIX}-staging`, { config, services });
  const pipelines = new DeliveryStage(new App({ context: cdkContext() }), `${TEST_PREFIX}-delivery`, {
    prefix: TEST_PREFIX,
    delivery: parseDelivery({ ...delivery, approvalBefore: [] }, [config]),
    environments: [config],
    functions: [],
    services,
  });

  it('gets its repository, image parameter, stack and pipeline', () => {
    Template.fromStack(stage.foundation).hasResourceProperties('AWS::ECR::Repository', {
      RepositoryName: 'ias-staging-pricing-api',
    });
    Template.fromStack(stage.configuration).hasResourceProperties('AWS::SSM::Parameter', {
      Name: '/ias/staging/services/pricing-api/image',
      Value: 'none',
    });
    const svc = stage.workloads.service.get('pricing-api');
    expect(svc?.stackName).toBe('ias-staging-svc-pricing-api');
    const t = Template.fromStack(svc as NonNullable<typeof svc>);
    t.hasResourceProperties('AWS::ECS::Service', { ServiceName: 'ias-staging-pricing-api' });
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Port: 8080,
      HealthCheckPath: '/healthz',
    });
    expect(pipelines.pipelines.service.get('pricing-api')?.stackName).toBe('ias-pricing-api-pipeline');
    Template.fromStack(pipelines.pipelines.service.get('pricing-api') as never).hasResourceProperties(
      'AWS::CodePipeline::Pipeline',
      { Name: 'ias-pricing-api-pipeline' },
    );
  });
});
