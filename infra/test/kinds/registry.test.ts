import { WORKLOAD_KIND_IDS, WORKLOAD_KINDS } from '@ias/targets';
import { describe, expect, it } from 'vitest';
import { KIND_LIST, KINDS, workloadsOf } from '../../lib/kinds';

describe('the registry of workload kinds', () => {
  it('has one kind per id of @ias/targets, under its own id, in the same order', () => {
    expect(Object.keys(KINDS)).toEqual([...WORKLOAD_KIND_IDS]);
    for (const [id, kind] of Object.entries(KINDS)) {
      expect(kind.id).toBe(id);
      expect(WORKLOAD_KINDS[kind.id].id).toBe(id);
    }
    expect(KIND_LIST).toEqual(Object.values(KINDS));
  });

  it('reads each kind its own workloads from the configuration', () => {
    const workloads = {
      functions: [{ name: 'allocate-order' }],
      services: [{ name: 'inventory-api' }],
      kubernetes: [{ name: 'inventory-api-k8s-only-in-this-test' }],
      ec2: [{ name: 'inventory-api-ec2-only-in-this-test' }],
    } as never;
    expect(KIND_LIST.map((k) => k.definitions(workloads).map((w) => w.name))).toEqual([
      ['allocate-order'],
      ['inventory-api'],
      ['inventory-api-k8s-only-in-this-test'],
      ['inventory-api-ec2-only-in-this-test'],
    ]);
    expect(KIND_LIST.map((k) => k.definitions({}).length)).toEqual([0, 0, 0, 0]);
  });

  it('builds functions after the deployment stack and services after the config stack', () => {
    expect(KINDS.function.after).toBe('deployment');
    expect(KINDS.service.after).toBe('configuration');
    expect(KINDS.kubernetes.after).toBe('configuration');
    expect(KINDS.ec2.after).toBe('configuration');
  });

  it("hands the stages each kind's list and nothing else of the configuration", () => {
    const functions = [{ name: 'allocate-order' }];
    const services = [{ name: 'inventory-api' }];
    const config = { prefix: 'ias', governance: { enabled: false }, functions, services } as never;
    expect(workloadsOf(config)).toEqual({ functions, services });
  });
});
