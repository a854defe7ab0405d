import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { KubernetesTarget } from '@ias/targets';
import { DeliveryError } from '../../errors.js';
import {
  type KubernetesAppInput,
  type KubernetesNames,
  type KubernetesObject,
  renderColor,
  renderShared,
  toYaml,
} from './manifests.js';
import { validateManifests } from './validate.js';

/** The digest a review copy's image carries: all zeros, which no image has. */
export const REVIEW_IMAGE_DIGEST = `sha256:${'0'.repeat(64)}`;

/** What a review copy of an application's manifests is made from. */
export interface ReviewInput extends Omit<
  KubernetesAppInput,
  'target' | 'servingColor' | 'weights' | 'config'
> {
  readonly target: KubernetesNames & Pick<KubernetesTarget, 'environment' | 'repositoryName'>;
  /**
   * The settings each deploy reads from SSM, as the review should show them (e.g. the parameter each
   * comes from).
   * @default - none: the ConfigMap shows service.json's environment only
   */
  readonly config?: Readonly<Record<string, string>>;
}

/** A review copy: where it goes under the output folder, its objects and its text. */
export interface ReviewCopy {
  /** `k8s/<env>/<app>.yaml`, relative to the output folder (infra's cdk.out). */
  readonly path: string;
  readonly objects: readonly KubernetesObject[];
  readonly yaml: string;
}

/**
 * The objects a deploy applies, for review before any deploy: the shared ones with blue serving, blue at
 * the profile's minimum and green scaled to zero (as between deploys), both with a placeholder image
 * (`<repository>@sha256:000…`, marked at the top of the file). Pure.
 */
export function reviewCopy(input: ReviewInput): ReviewCopy {
  const { target } = input;
  const app: KubernetesAppInput = { ...input, config: input.config ?? {}, servingColor: 'blue' };
  const image = `${target.repositoryName}@${REVIEW_IMAGE_DIGEST}`;
  const objects = [
    ...renderShared(app),
    ...renderColor(app, 'blue', image),
    ...renderColor(app, 'green', image, { replicas: 0 }),
  ];
  const header = [
    `# ${target.app} in ${target.environment}: the Kubernetes objects its deploys apply, for review (not applied).`,
    `# Blue serving; green scaled to zero, as between deploys (${target.switches ?? 'no strategy'}).`,
    `# PLACEHOLDER IMAGE: ${image} is no image; each deploy renders the digest it pushed.`,
    '',
  ].join('\n');
  return {
    path: join('k8s', target.environment, `${target.app}.yaml`),
    objects,
    yaml: header + toYaml(objects),
  };
}

/**
 * Writes the review copy of an application's manifests under `outDir` (`k8s/<env>/<app>.yaml`) once
 * they validate offline (see {@link validateManifests}).
 *
 * @returns the file written
 * @throws DeliveryError `BAD_INPUT` naming the objects' problems (every one, a line each, in its `cause`);
 *   nothing is written
 */
export async function renderForReview(input: ReviewInput, outDir: string): Promise<string> {
  const copy = reviewCopy(input);
  const problems = await validateManifests(copy.objects);
  if (problems.length > 0) {
    // The message is cut for a pipeline's one line; the cause keeps every problem, one a line.
    throw new DeliveryError(
      'BAD_INPUT',
      `${problems.length} problem${problems.length === 1 ? '' : 's'} in the Kubernetes objects of ${input.target.app} in ${input.target.environment}: ${problems.join('; ')}`,
      { cause: new Error(problems.join('\n')) },
    );
  }
  const file = join(outDir, copy.path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, copy.yaml);
  return file;
}
