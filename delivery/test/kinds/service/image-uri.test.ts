import { describe, expect, it } from 'vitest';
import { imageUriProblem, imageUriSchema, parseImageUri } from '../../../src/kinds/service/image-uri.js';
import { IMAGE } from './support.js';
import { failureOf } from '../../support.js';

const REPOSITORY = '123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/ias-dev-inventory-api';
const DIGEST = `sha256:${'a'.repeat(64)}`;

describe('parseImageUri', () => {
  it('splits a commit-tagged ECR URI', () => {
    expect(parseImageUri(IMAGE)).toEqual({
      uri: IMAGE,
      registry: '123456789012.dkr.ecr.ap-northeast-1.amazonaws.com',
      repository: 'ias-dev-inventory-api',
      tag: '3f2c1ab',
    });
  });

  it('accepts a digest, a tag with a digest, nested repositories and China regions', () => {
    expect(parseImageUri(`${REPOSITORY}@${DIGEST}`)).toMatchObject({ digest: DIGEST });
    expect(parseImageUri(`${REPOSITORY}:3f2c1ab@${DIGEST}`)).toMatchObject({
      tag: '3f2c1ab',
      digest: DIGEST,
    });
    expect(parseImageUri('123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/team/api:v1')).toMatchObject({
      repository: 'team/api',
      tag: 'v1',
    });
  });

  it('fails on an untagged URI, quoting it', () => {
    expect(failureOf(() => parseImageUri(REPOSITORY, 'IMAGE_URI'))).toBe(
      `BAD_INPUT: IMAGE_URI "${REPOSITORY}" has no tag or digest: deliver the image by the commit tag the build gave it (or its sha256 digest), never untagged`,
    );
  });

  it('fails on the latest tag', () => {
    expect(failureOf(() => parseImageUri(`${REPOSITORY}:latest`))).toMatch(
      /^BAD_INPUT: image URI ".*:latest" is tagged latest, which moves: deliver the commit tag/,
    );
  });

  it('fails on URIs that are not private ECR images', () => {
    for (const uri of [
      'public.ecr.aws/nginx/nginx:1.27',
      'nginx:1.27',
      '12345.dkr.ecr.ap-northeast-1.amazonaws.com/api:v1',
      `${REPOSITORY}:bad tag`,
      `${REPOSITORY}@sha256:short`,
      `${IMAGE} `,
    ]) {
      expect(imageUriProblem(uri), uri).toMatch(/^is not an ECR image URI \(expected one like /);
    }
  });
});

describe('imageUriSchema', () => {
  it('quotes the bad URI in its issue', () => {
    const result = imageUriSchema.safeParse(`${REPOSITORY}:latest`);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/^".*:latest" is tagged latest/);
    expect(imageUriSchema.safeParse(IMAGE).success).toBe(true);
  });
});
