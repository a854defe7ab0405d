import { SERVICE_DEPLOYMENTS, SERVICE_STRATEGIES, WORKLOAD_KIND_IDS } from '@ias/targets';
import { describe, expect, it } from 'vitest';
import { KIND_CONTROLLERS, KINDS } from '../src/kinds';
import { project } from './helpers';

describe('the kind controllers', () => {
  it('cover every kind of @ias/targets, in its order', () => {
    expect(KINDS.map((k) => k.id)).toEqual([...WORKLOAD_KIND_IDS]);
    for (const id of WORKLOAD_KIND_IDS) expect(KIND_CONTROLLERS[id].id).toBe(id);
  });

  it("deploy a service through its strategy's cliController, whichever strategy the profile picks", () => {
    const dev = project.environments[0];
    expect(dev).toBeDefined();
    if (dev === undefined) return;
    for (const strategy of SERVICE_DEPLOYMENTS) {
      const env = {
        ...dev,
        profile: {
          ...dev.profile,
          service: { ...dev.profile.service, deployment: { ...dev.profile.service.deployment, strategy } },
        },
      };
      const [workload] = KIND_CONTROLLERS.service.workloads(project, env);
      expect(workload).toBeDefined();
      if (workload === undefined) continue;
      const handle = KIND_CONTROLLERS.service.deployment(workload, env);
      expect(handle.controller).toBe(SERVICE_STRATEGIES[strategy].cliController);
    }
  });

  it('deploy every function through its CodeDeploy group', () => {
    for (const env of project.environments) {
      for (const workload of KIND_CONTROLLERS.function.workloads(project, env)) {
        expect(KIND_CONTROLLERS.function.deployment(workload, env)).toMatchObject({
          controller: 'codedeploy',
          group: { kind: 'function', name: workload.name },
        });
      }
    }
  });
});
