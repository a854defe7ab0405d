import { z } from 'zod';
import { DeliveryError } from '../../errors.js';

/** An ECR image reference, split into its parts. */
export interface ImageReference {
  /** The whole URI, as given. */
  readonly uri: string;
  /** The registry host, `<account>.dkr.ecr.<region>.amazonaws.com`. */
  readonly registry: string;
  /** The repository name, e.g. `ias-dev-inventory-api`. */
  readonly repository: string;
  /**
   * The tag (the git commit, by the build-once contract).
   * @default - none: the image is pinned by its digest
   */
  readonly tag?: string;
  /**
   * The digest, `sha256:<64 hex>`.
   * @default - none: the image is referenced by its tag
   */
  readonly digest?: string;
}

// <account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]/<repository>[:<tag>][@sha256:<hex>]; the repository
// and tag rules are ECR's own (lowercase path components; tags of at most 128 characters).
const ECR_IMAGE_URI =
  // eslint-disable-next-line security/detect-unsafe-regex -- each repeated group starts with a separator its class excludes: one way to match
  /^(?<registry>[0-9]{12}\.dkr\.ecr(?:-fips)?\.[a-z]{2}(?:-[a-z]+)+-[0-9]\.amazonaws\.com(?:\.cn)?)\/(?<repository>[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*)(?::(?<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?:@(?<digest>sha256:[a-f0-9]{64}))?$/;

const EXAMPLE = '123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/ias-dev-inventory-api:<commit>';

/**
 * What is wrong with `uri` as the image of a delivery, or undefined when nothing is.
 *
 * A delivery names its image immutably: by the tag the build gave it (the commit) or by its digest.
 * An untagged URI means `latest` to Docker, and `latest` moves, so neither is accepted.
 */
export function imageUriProblem(uri: string): string | undefined {
  const match = ECR_IMAGE_URI.exec(uri);
  if (!match?.groups) {
    return `is not an ECR image URI (expected one like ${EXAMPLE})`;
  }
  const { tag, digest } = match.groups;
  if (tag === undefined && digest === undefined) {
    return 'has no tag or digest: deliver the image by the commit tag the build gave it (or its sha256 digest), never untagged';
  }
  if (tag === 'latest') {
    return 'is tagged latest, which moves: deliver the commit tag the build gave it (or its sha256 digest) so every environment runs the same image';
  }
  return undefined;
}

/** An ECR image URI with a tag other than `latest` or a digest (see {@link imageUriProblem}). */
export const imageUriSchema = z.string().superRefine((uri, context) => {
  const problem = imageUriProblem(uri);
  if (problem) {
    context.addIssue({ code: 'custom', message: `${JSON.stringify(uri)} ${problem}` });
  }
});

/**
 * Splits an image URI into its parts after checking it.
 *
 * Throws {@link DeliveryError} `BAD_INPUT`, quoting the URI, when it is not an ECR URI, has neither tag
 * nor digest, or is tagged `latest`. `what` names the value in the message (e.g. `IMAGE_URI`).
 */
export function parseImageUri(uri: string, what = 'image URI'): ImageReference {
  const problem = imageUriProblem(uri);
  const groups = ECR_IMAGE_URI.exec(uri)?.groups;
  if (problem || !groups) {
    throw new DeliveryError('BAD_INPUT', `${what} ${JSON.stringify(uri)} ${problem ?? 'is invalid'}`);
  }
  return {
    uri,
    registry: groups['registry'] ?? '',
    repository: groups['repository'] ?? '',
    ...(groups['tag'] === undefined ? {} : { tag: groups['tag'] }),
    ...(groups['digest'] === undefined ? {} : { digest: groups['digest'] }),
  };
}
