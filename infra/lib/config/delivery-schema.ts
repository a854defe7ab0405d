import { z } from 'zod';
import { accountIdSchema, DEFAULT_REGION, regionNameSchema } from './aws-schemas';

/** A CodeConnections (formerly CodeStar Connections) connection ARN. */
const connectionArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:(codeconnections|codestar-connections):[a-z0-9-]+:\d{12}:connection\/[0-9a-f-]{36}$/,
    'must be a CodeConnections connection ARN, arn:aws:codeconnections:<region>:<account>:connection/<id>',
  );

/** Where the application pipelines take their source from. */
const sourceSchema = z
  .object({
    /**
     * The connection to GitHub. Without it, the pipelines create one, `<prefix>-github`, which
     * stays PENDING until someone completes the GitHub handshake in the console (Developer Tools →
     * Settings → Connections).
     */
    connectionArn: connectionArn.optional(),
    /** `owner/name` of the GitHub repository. */
    repository: z
      .string()
      .regex(/^[A-Za-z0-9-]{1,39}\/[A-Za-z0-9._-]{1,100}$/, 'must be owner/name of a GitHub repository'),
    /** The branch whose pushes start the pipelines. */
    branch: z
      .string()
      .min(1)
      .max(255)
      .regex(/^[^\s~^:?*[\\]+$/, 'must be a git branch name'),
  })
  .strict();

/** How the application pipelines are set up: where they live and what they listen to. */
export const deliverySchema = z
  .object({
    /**
     * The tooling account, where every pipeline lives. When the profiles name their accounts, name
     * this one too: environments in other accounts let its pipelines in through their delivery
     * role (`<prefix>-<env>-delivery`) and CDK bootstrap trust. It may be one of theirs.
     * @default - the deploying credentials' account (then no profile names an account either)
     */
    account: accountIdSchema.optional(),
    /** AWS region of the pipelines. */
    region: regionNameSchema.default(DEFAULT_REGION),
    source: sourceSchema,
    /** Environments a person approves each promotion to (a manual approval stage before them). */
    approvalBefore: z.array(z.string().min(1)).default(['prod']),
    /**
     * E-mail addresses told when a pipeline fails, succeeds or waits for an approval (the topic
     * `<prefix>-delivery-notifications`). @default - none (the topic has no subscriber)
     */
    notificationEmails: z.array(z.email('must be an e-mail address')).default([]),
    /** Minutes a Lambda deployment may take before the pipeline stops it with a rollback. */
    deploymentTimeoutMinutes: z.number().int().min(5).max(720).default(90),
    /** Keep the pipelines' artifact stores and logs on `cdk destroy`. */
    retainArtifacts: z.boolean().default(false),
  })
  .strict();

/** The delivery settings as written. */
export type DeliveryInput = z.input<typeof deliverySchema>;
/** The validated delivery settings. */
export type DeliveryConfig = z.output<typeof deliverySchema>;
