import { describe, expect, inject, it } from 'vitest';
import { loadProject } from '../../lib/config/project';
import { readAssembly } from '../../lib/plan';
import { expectSupplyChainGates } from '../support/supply-chain-gate';

const project = loadProject({});
const stages = readAssembly(inject('assemblyDir'));

describe('the supply-chain gate of every application pipeline', () => {
  it('starts every Deploy-<env> stage with SupplyChainGate at that environment’s failOn, the scan readable on exactly its repository', () => {
    const gates = expectSupplyChainGates(stages, project.environments);
    const pipelines = project.functions.length + (project.services ?? []).length;
    expect(gates).toBe(pipelines * project.environments.length);
  });
});
