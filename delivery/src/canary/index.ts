/**
 * Automated canary analysis (`@ias/delivery/canary`): the judge that compares a canary with its
 * baseline minute by minute and answers `pass`, `fail` or `inconclusive` with its statistics, and the
 * reader of both sides' series from CloudWatch. The judge is pure statistics; the reader loads the
 * CloudWatch SDK only when it is called, so `ias-ops canary judge` starts without it.
 */
export {
  type CanaryJudgement,
  type CanaryMetric,
  type CanaryVerdict,
  type MetricJudgement,
  judgeCanary,
} from './judge.js';
export {
  type ErrorRateOptions,
  type JudgeOptions,
  type JudgeSettings,
  type MetricMargins,
  DEFAULT_JUDGE_SETTINGS,
} from './settings.js';
export {
  type CanaryMinute,
  type CanarySeries,
  canaryMinuteSchema,
  canarySeriesSchema,
  parseCanarySeries,
} from './series.js';
export {
  type CanarySeriesReading,
  type CanarySource,
  type CanaryWindow,
  canarySourceSchema,
  readCanarySeries,
} from './cloudwatch.js';
export {
  type CanaryAnalysis,
  type CanaryLook,
  type InconclusivePolicy,
  type WatchAction,
  canaryAnalysisSchema,
  INCONCLUSIVE_POLICIES,
  lookLevel,
  parseCanaryAnalysis,
  SPENDING_POWER,
  watchLook,
} from './watch.js';
/** What the judge throws on bad input (`BAD_INPUT`, naming the series and the field). */
export { DeliveryError } from '../errors.js';
/** The judge's evidence: each look of a deployment in flight, kept in the environment's releases table. */
export {
  type CanaryEvidence,
  type CanaryLookSummary,
  type CanaryMetricEvidence,
  canaryDeploymentIdSchema,
  canaryEvidenceSchema,
  canaryLookQuery,
  canaryLookSummarySchema,
  canaryMetricEvidenceSchema,
  latestCanaryLook,
  recordCanaryLook,
  summarizeCanaryLook,
} from './evidence.js';
export {
  type CodeDeployWatcherDependencies,
  type DeploymentWatch,
  type SweepResult,
  type WatchedGroup,
  loadWatchedGroups,
  parseWatchedGroups,
  sweepCodeDeploy,
  watchDeployment,
  watchedGroupSchema,
  watchedGroupsSchema,
} from './codedeploy-watcher.js';
