import { z } from 'zod';

/** An AWS account ID: twelve digits. */
export const ACCOUNT_ID = /^\d{12}$/;

/** An AWS account ID, with the message every settings file gives for a bad one. */
export const accountIdSchema = z.string().regex(ACCOUNT_ID, 'must be a 12-digit AWS account ID');

/** An AWS region name such as `ap-northeast-1`. */
export const regionNameSchema = z
  .string()
  // eslint-disable-next-line security/detect-unsafe-regex -- each repetition starts with a - its class excludes: one way to match
  .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be a region name such as ap-northeast-1');

/** The region where the project deploys unless its settings name another. */
export const DEFAULT_REGION = 'ap-northeast-1';
