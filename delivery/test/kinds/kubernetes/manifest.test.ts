import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  kubernetesManifestProblems,
  loadKubernetesManifest,
  parseQuantity,
} from '../../../src/kinds/kubernetes/manifest.js';
import { failureOf } from '../../support.js';
import { MANIFEST_FILE } from './render-fixture.js';

const GOOD = {
  description: 'An application',
  resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } },
  livenessPath: '/health',
  readinessPath: '/ready',
};

const WHERE = 'app/services/x/kubernetes.json';

describe('parseQuantity', () => {
  it('reads decimal, binary and exponent suffixes', () => {
    expect(parseQuantity('250m')).toBe(0.25);
    expect(parseQuantity('1')).toBe(1);
    expect(parseQuantity('1.5')).toBe(1.5);
    expect(parseQuantity('.5')).toBe(0.5);
    expect(parseQuantity('256Mi')).toBe(256 * 2 ** 20);
    expect(parseQuantity('1Gi')).toBe(2 ** 30);
    expect(parseQuantity('512M')).toBe(512e6);
    expect(parseQuantity('1e3')).toBe(1000);
    expect(parseQuantity('100k')).toBe(100_000);
  });

  it('fails on what is not a quantity', () => {
    for (const text of ['', 'abc', '1x', '-1', '1..2', '1 Gi', 'Mi', '1constructor', '1mi']) {
      expect(parseQuantity(text), text).toBeUndefined();
    }
  });
});

describe('kubernetes.json', () => {
  it('loads inventory-api’s own file and the fixture', () => {
    const app = join(__dirname, '../../../../app/services/inventory-api/kubernetes.json');
    expect(loadKubernetesManifest(app).readinessPath).toBe('/ready');
    expect(loadKubernetesManifest(MANIFEST_FILE)).toEqual({
      description: "A test application on the environment's EKS cluster",
      resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } },
      livenessPath: '/health',
      readinessPath: '/ready',
    });
  });

  it('takes a manifest without a CPU limit', () => {
    const raw = { ...GOOD, resources: { ...GOOD.resources, limits: { memory: '1Gi' } } };
    expect(kubernetesManifestProblems(raw, WHERE)).toEqual([]);
  });

  it('fails on quantities that are not Kubernetes quantities, naming the file and field', () => {
    const raw = {
      ...GOOD,
      resources: { requests: { cpu: '250 millicores', memory: '0' }, limits: { cpu: '1', memory: '512MB' } },
    };
    expect(kubernetesManifestProblems(raw, WHERE)).toEqual([
      `${WHERE}: resources.requests.cpu: must be a positive Kubernetes quantity such as 250m or 1`,
      `${WHERE}: resources.requests.memory: must be a positive Kubernetes quantity such as 256Mi or 1Gi`,
      `${WHERE}: resources.limits.memory: must be a positive Kubernetes quantity such as 256Mi or 1Gi`,
    ]);
  });

  it('fails on limits below their requests, comparing across units', () => {
    const raw = {
      ...GOOD,
      resources: { requests: { cpu: '0.5', memory: '1Gi' }, limits: { cpu: '499m', memory: '1000M' } },
    };
    expect(kubernetesManifestProblems(raw, WHERE)).toEqual([
      `${WHERE}: resources.limits.cpu: must be at least the request (0.5)`,
      `${WHERE}: resources.limits.memory: must be at least the request (1Gi)`,
    ]);
  });

  it('fails on paths without a leading slash, a missing memory limit and unknown fields', () => {
    const raw = {
      ...GOOD,
      livenessPath: 'health',
      resources: { ...GOOD.resources, limits: { cpu: '1' } },
      replicas: 3,
    };
    expect(kubernetesManifestProblems(raw, WHERE)).toEqual([
      `${WHERE}: resources.limits.memory: Invalid input: expected string, received undefined`,
      `${WHERE}: livenessPath: must be an HTTP path starting with /, such as /ready`,
      `${WHERE}: (root): Unrecognized key: "replicas"`,
    ]);
  });

  it('fails to load a file that is missing or not JSON, or breaks the schema, in one line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'k8s-manifest-'));
    expect(failureOf(() => loadKubernetesManifest(join(dir, 'none.json'), WHERE))).toMatch(
      new RegExp(`^BAD_INPUT: ${WHERE}: cannot be read \\(ENOENT`),
    );
    writeFileSync(join(dir, 'bad.json'), '{ "description": ');
    expect(failureOf(() => loadKubernetesManifest(join(dir, 'bad.json'), WHERE))).toMatch(
      new RegExp(`^BAD_INPUT: ${WHERE}: not valid JSON \\(`),
    );
    writeFileSync(join(dir, 'broken.json'), JSON.stringify({ ...GOOD, readinessPath: '', description: '' }));
    expect(failureOf(() => loadKubernetesManifest(join(dir, 'broken.json'), WHERE))).toBe(
      `BAD_INPUT: ${WHERE}: description: Too small: expected string to have >=1 characters; ${WHERE}: readinessPath: must be an HTTP path starting with /, such as /ready`,
    );
  });
});
