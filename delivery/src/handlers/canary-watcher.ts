import { Logger } from '@aws-lambda-powertools/logger';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { Context } from 'aws-lambda';
import { loadWatchedGroups, sweepCodeDeploy } from '../canary/codedeploy-watcher.js';
import { readCanaryWatcherConfig } from '../canary/watcher-config.js';
import { recordCanaryLook } from '../canary/evidence.js';
import { describeError } from '../errors.js';

// Read once at load: a misconfigured watcher fails on its first invocation with a clear message.
const config = readCanaryWatcherConfig(process.env);
const logger = new Logger({ serviceName: 'delivery-canary-watcher' });
const clients = {
  codedeploy: new CodeDeployClient({}),
  cloudwatch: new CloudWatchClient({}),
  dynamodb: new DynamoDBClient({}),
  ssm: new SSMClient({}),
};

/**
 * The canary watcher, invoked every minute by its schedule: judges every CodeDeploy deployment in
 * progress of the groups under `CANARY_WATCH_PATH`, stops those that fail with rollback, ends an EC2
 * wait on a confident pass, and keeps each look in the releases table (`RELEASES_TABLE`).
 * Returns what it did (the logs hold the same).
 */
export const handler = async (_event: unknown, context?: Context) => {
  if (context) {
    logger.addContext(context);
  }
  const loaded = await loadWatchedGroups(clients.ssm, config.groupsPath);
  for (const { where, error } of loaded.errors) {
    logger.error('not a judged deployment group: skipped', { parameter: where, error });
  }
  const result = await sweepCodeDeploy(
    {
      codedeploy: clients.codedeploy,
      cloudwatch: clients.cloudwatch,
      now: () => Date.now(),
      record: async (deploymentId, look) => {
        try {
          await recordCanaryLook(clients.dynamodb, config.releasesTable, deploymentId, look);
        } catch (error) {
          // Evidence lost is logged, never a reason to leave a deployment unjudged.
          logger.error('could not keep the look as evidence', { deploymentId, error: describeError(error) });
        }
      },
    },
    loaded.groups,
  );
  for (const watch of result.watched) {
    const fields = {
      deploymentId: watch.deploymentId,
      group: watch.group,
      detail: watch.detail,
      ...(watch.judged && {
        verdict: watch.look.judgement.verdict,
        action: watch.look.action,
        acted: watch.acted,
        look: `${watch.look.look}/${watch.look.looks}`,
        metrics: watch.look.judgement.metrics.map((m) => ({
          metric: m.metric,
          verdict: m.verdict,
          effect: m.effect,
          pValueWorse: m.pValueWorse,
          pValueNotWorse: m.pValueNotWorse,
        })),
      }),
    };
    if (watch.judged && watch.acted === 'stopped') logger.warn('canary failed: deployment stopped', fields);
    else logger.info(watch.judged ? 'canary judged' : 'canary not judged now', fields);
  }
  for (const { where, error } of result.errors) {
    logger.error('could not judge', { where, error });
  }
  return {
    groups: loaded.groups.length,
    judged: result.watched.filter((w) => w.judged).length,
    stopped: result.watched.filter((w) => w.judged && w.acted === 'stopped').map((w) => w.deploymentId),
    errors: result.errors.length + loaded.errors.length,
  };
};
