import { describe, expect, it } from 'vitest';
import {
  DEFAULT_JUDGED_STEPS,
  deployedByCodeDeploy,
  deploymentConfigName,
  JUDGED_MAX_TIMEOUT_MINUTES,
  judgedBakesMinutes,
  judgedTimeoutMinutes,
  LAMBDA_DEPLOYMENTS,
  lambdaSplit,
  LAMBDA_STRATEGIES,
  Naming,
  NATIVE_BLUE_GREEN,
  SERVICE_DEPLOYMENTS,
  SERVICE_STRATEGIES,
  type ServiceDeploymentSettings,
} from '../src';

const naming = new Naming('ias', 'prod');
const settings: ServiceDeploymentSettings = {
  traffic: 'canary',
  blueRetentionMinutes: 15,
  bakeMinutes: 7,
  stepPercent: 20,
  stepMinutes: 3,
};

describe('the service strategy table', () => {
  it('has one row per strategy the profile accepts', () => {
    expect(Object.keys(SERVICE_STRATEGIES).sort()).toEqual([...SERVICE_DEPLOYMENTS].sort());
  });

  it.each(SERVICE_DEPLOYMENTS)(
    '%s: the controller, the CLI, the pipeline action and the listeners agree',
    (strategy) => {
      const t = SERVICE_STRATEGIES[strategy];
      const codeDeploy = t.controller === 'CODE_DEPLOY';
      expect(deployedByCodeDeploy(strategy)).toBe(codeDeploy);
      expect(t.cliController).toBe(codeDeploy ? 'codedeploy' : 'ecs');
      expect(t.pipelineAction).toBe(codeDeploy ? 'codedeploy-ecs' : 'ecs');
      // A green side needs somewhere to be checked before production traffic reaches it.
      expect(t.listeners.includes('test')).toBe(t.blueGreen);
      expect(t.listeners).toContain('production');
      // Only CodeDeploy reads a deployment configuration; Amazon ECS reads the service's own settings.
      expect(t.deploymentConfig(settings, naming) !== undefined).toBe(codeDeploy);
    },
  );

  it('names the CodeDeploy configuration of the traffic choice and the plan words of each strategy', () => {
    expect(SERVICE_STRATEGIES['codedeploy-blue-green'].deploymentConfig(settings, naming)).toBe(
      'CodeDeployDefault.ECSCanary10Percent5Minutes',
    );
    expect(SERVICE_DEPLOYMENTS.map((s) => SERVICE_STRATEGIES[s].words(settings))).toEqual([
      'CodeDeploy blue/green, traffic canary, 10 % for 5 minutes, then the rest, blue kept 15 min',
      'Amazon ECS blue/green, bake 7 min',
      'Amazon ECS linear, 20 % every 3 min, bake 7 min',
      'Amazon ECS canary, 20 % for 3 min, bake 7 min',
      'ECS rolling update, circuit breaker with rollback',
    ]);
  });

  it.each(SERVICE_DEPLOYMENTS)(
    '%s: the green check and the traffic shift follow the controller and the test listener',
    (strategy) => {
      const t = SERVICE_STRATEGIES[strategy];
      const testListener = t.listeners.includes('test');
      const byCodeDeploy = t.controller === 'CODE_DEPLOY';
      // Whoever moves the traffic invokes the check of the green side, behind the test listener only.
      expect(t.greenCheck).toBe(testListener ? (byCodeDeploy ? 'codedeploy-hook' : 'ecs-hook') : undefined);
      // CodeDeploy rewrites the listeners' default actions; Amazon ECS a rule's weights.
      expect(t.trafficShift).toBe(
        testListener ? (byCodeDeploy ? 'default-actions' : 'rule-weights') : undefined,
      );
    },
  );

  it.each(SERVICE_DEPLOYMENTS)(
    '%s: the canary gate runs where a hook follows the production traffic shift, invoked by its controller',
    (strategy) => {
      const t = SERVICE_STRATEGIES[strategy];
      // Both CodeDeploy (AfterAllowTraffic) and Amazon ECS's own deployments (POST_PRODUCTION_TRAFFIC_SHIFT)
      // have one; a rolling update has none.
      expect(t.canaryGate).toBe(
        strategy === 'rolling' ? undefined : t.controller === 'CODE_DEPLOY' ? 'codedeploy-hook' : 'ecs-hook',
      );
    },
  );

  it('counts as native blue/green exactly the strategies Amazon ECS runs with lifecycle stages', () => {
    expect(NATIVE_BLUE_GREEN).toEqual(['ecs-blue-green', 'ecs-linear', 'ecs-canary']);
  });
});

describe('the function strategy table', () => {
  it('has one row per strategy, each run through the pipeline steps with no listener, by CodeDeploy but judged', () => {
    expect(Object.keys(LAMBDA_STRATEGIES).sort()).toEqual([...LAMBDA_DEPLOYMENTS].sort());
    for (const s of LAMBDA_DEPLOYMENTS) {
      expect(LAMBDA_STRATEGIES[s]).toMatchObject({
        controller: s === 'judged' ? 'PIPELINE' : 'CODE_DEPLOY',
        pipelineAction: 'lambda-steps',
        // The group stays under judged: ias-ops still checks it for a deployment in flight.
        cliController: 'codedeploy',
        listeners: [],
      });
    }
  });

  it("names CodeDeploy's predefined configurations, seed 003's own under the environment's prefix, and none for judged", () => {
    expect(LAMBDA_DEPLOYMENTS.map((s) => LAMBDA_STRATEGIES[s].deploymentConfig(s, naming))).toEqual([
      'CodeDeployDefault.LambdaAllAtOnce',
      'CodeDeployDefault.LambdaLinear10PercentEvery1Minute',
      'CodeDeployDefault.LambdaCanary10Percent5Minutes',
      'ias-prod-lambda-linear-25-every-10-minutes',
      undefined,
    ]);
    // The group every function keeps is all at once under judged: only a deployment made by hand reads it.
    expect(deploymentConfigName('judged', naming)).toBe('CodeDeployDefault.LambdaAllAtOnce');
    expect(LAMBDA_STRATEGIES['linear-25-every-10-minutes'].words('linear-25-every-10-minutes')).toBe(
      "seed 003's linear, 25 % every 10 minutes",
    );
  });
});

describe('the judged function strategy', () => {
  it('has a split per step that the profile chooses: a day at most, so any bake the profile names fits', () => {
    expect(lambdaSplit('judged')).toEqual({ minutes: 1440 });
    expect(lambdaSplit('canary')).toEqual({ minutes: 5 });
  });

  it('bakes each step below 100 plus the minutes until its data is in CloudWatch', () => {
    expect(DEFAULT_JUDGED_STEPS).toEqual([10, 50, 100]);
    expect(judgedBakesMinutes([10, 50, 100], 10)).toBe(26);
    expect(judgedBakesMinutes([25, 100], 5)).toBe(8);
  });

  it("gives a time-out of twice the bakes, within CodePipeline's 24 hours less one, never under the bakes", () => {
    expect(judgedTimeoutMinutes([10, 50, 100], 10)).toBe(52);
    expect(JUDGED_MAX_TIMEOUT_MINUTES).toBe(1380);
    expect(judgedTimeoutMinutes([10, 50, 100], 600)).toBe(1380);
    expect(judgedTimeoutMinutes([10, 20, 50, 100], 600)).toBe(judgedBakesMinutes([10, 20, 50, 100], 600));
  });

  it('reads as the judged steps in the plan', () => {
    expect(LAMBDA_STRATEGIES.judged.words('judged')).toMatch(
      /^judged: the pipeline shifts the alias through lambda\.judgedSteps/,
    );
  });
});
