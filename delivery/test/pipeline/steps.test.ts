import { describe, expect, it } from 'vitest';
import { pipelineSteps, stepNamed, userParametersSchema } from '../../src/pipeline/steps.js';

const names = pipelineSteps.map((step) => step.parameters.shape.step.value);

describe('the step table', () => {
  it('holds the shared steps, then each kind’s steps once, function steps first', () => {
    expect(names).toEqual([
      'supply-chain-gate',
      'create-appspec',
      'deploy',
      'judged-deploy',
      'ensure-service',
      'record-service-image',
      'kubernetes-deploy',
      'ec2-record',
    ]);
  });

  it('is the UserParameters schema: one option per entry, the entry’s own schema', () => {
    expect(userParametersSchema.options).toHaveLength(pipelineSteps.length);
    for (const [index, name] of names.entries()) {
      expect(userParametersSchema.options[index]).toBe(pipelineSteps[index]?.parameters);
      expect(stepNamed(name)).toBe(pipelineSteps[index]);
    }
  });

  it('fails on a step no entry names, at its step field', () => {
    const parsed = userParametersSchema.safeParse({ step: 'ship-it', environment: 'dev' });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(['step']);
  });

  it('gives every step the parameters every step takes', () => {
    for (const step of pipelineSteps) {
      expect(Object.keys(step.parameters.shape)).toEqual(
        expect.arrayContaining(['step', 'roleArn', 'ledger', 'environment']),
      );
    }
  });
});
