import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubernetesTarget } from '@ias/targets';
import { describe, expect, it } from 'vitest';
import {
  REVIEW_IMAGE_DIGEST,
  renderForReview,
  reviewCopy,
  type ReviewInput,
} from '../../../src/kinds/kubernetes/render-cli.js';
import { DeliveryError } from '../../../src/errors.js';
import { appInput, environment, find, kindsAndNames } from './render-fixture.js';

function reviewInput(overrides: Partial<ReviewInput> = {}): ReviewInput {
  const { prefix, manifest, container, replicas } = appInput('service-switch');
  const target = kubernetesTarget(environment('service-switch'), { name: 'inventory-api' });
  return {
    prefix,
    target,
    manifest,
    container,
    replicas,
    config: { PGHOST: '<from /ias/dev/db/host>' },
    ...overrides,
  };
}

describe('reviewCopy', () => {
  const copy = reviewCopy(reviewInput());

  it('goes to k8s/<env>/<app>.yaml and opens by marking the placeholder image', () => {
    expect(copy.path).toBe('k8s/dev/inventory-api.yaml');
    const header = copy.yaml.split('\n').slice(0, 3);
    expect(header[0]).toBe(
      '# inventory-api in dev: the Kubernetes objects its deploys apply, for review (not applied).',
    );
    expect(header[1]).toBe('# Blue serving; green scaled to zero, as between deploys (service-selector).');
    expect(header[2]).toBe(
      `# PLACEHOLDER IMAGE: ias-dev-inventory-api@${REVIEW_IMAGE_DIGEST} is no image; each deploy renders the digest it pushed.`,
    );
    expect(REVIEW_IMAGE_DIGEST).toBe(`sha256:${'0'.repeat(64)}`);
  });

  it('holds the shared objects with blue serving, blue at the minimum and green at zero', () => {
    expect(kindsAndNames(copy.objects)).toEqual([
      'Namespace ias-dev',
      'IngressClassParams ias-dev-alb',
      'IngressClass ias-dev-alb',
      'ServiceAccount inventory-api',
      'ConfigMap inventory-api-config',
      'SecretProviderClass inventory-api-db',
      'Service inventory-api',
      'Service inventory-api-test',
      'Ingress inventory-api',
      'Deployment inventory-api-blue',
      'HorizontalPodAutoscaler inventory-api-blue',
      'PodDisruptionBudget inventory-api-blue',
      'Deployment inventory-api-green',
      'HorizontalPodAutoscaler inventory-api-green',
      'PodDisruptionBudget inventory-api-green',
    ]);
    expect(find(copy.objects, 'Service', 'inventory-api')['spec'].selector.version).toBe('blue');
    expect(find(copy.objects, 'Deployment', 'inventory-api-blue')['spec'].replicas).toBe(2);
    expect(find(copy.objects, 'Deployment', 'inventory-api-green')['spec'].replicas).toBe(0);
    expect(find(copy.objects, 'ConfigMap')['data']).toEqual({
      LOG_LEVEL: 'info',
      PGHOST: '<from /ias/dev/db/host>',
    });
    expect(copy.yaml).toContain(`image: ias-dev-inventory-api@${REVIEW_IMAGE_DIGEST}`);
  });
});

describe('renderForReview', () => {
  it('writes the review copy under the output folder once it validates', async () => {
    const out = mkdtempSync(join(tmpdir(), 'k8s-review-'));
    const file = await renderForReview(reviewInput(), out);
    expect(file).toBe(join(out, 'k8s', 'dev', 'inventory-api.yaml'));
    expect(readFileSync(file, 'utf8')).toBe(reviewCopy(reviewInput()).yaml);
  });

  it('fails on objects that do not validate, listing every problem, and writes nothing', async () => {
    const out = mkdtempSync(join(tmpdir(), 'k8s-review-'));
    const error = await renderForReview(reviewInput({ prefix: 'ias project' }), out).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeliveryError);
    expect((error as DeliveryError).message).toMatch(
      /^\d+ problems in the Kubernetes objects of inventory-api in dev: Namespace ias-dev: metadata\.labels: value of app\.kubernetes\.io\/part-of must be/,
    );
    const every = String(((error as DeliveryError).cause as Error).message).split('\n');
    expect(every.length).toBeGreaterThan(10);
    expect(existsSync(join(out, 'k8s'))).toBe(false);
  });
});
