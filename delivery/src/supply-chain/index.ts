/**
 * The supply-chain gate: findings read from an ECR image scan (basic or enhanced) or an npm audit
 * report, the repository's accepted exceptions (`supply-chain/exceptions.json`), and the decision a
 * pipeline step or a workflow acts on (`decide`, `gateImage`, and the CLI in `cli.ts`).
 */
export {
  type FailOn,
  type Finding,
  type FindingSource,
  type Severity,
  atOrAbove,
  describeFinding,
  failOnSchema,
  findingIdSchema,
  SEVERITIES,
  toSeverity,
} from './findings.js';
export {
  type SupplyChainException,
  EXCEPTIONS_FILE,
  exceptionMatches,
  exceptionSchema,
  exceptionsFileSchema,
  isExpired,
  loadExceptions,
  parseExceptions,
} from './exceptions.js';
export {
  type DecideOptions,
  type ExceptedFinding,
  type ExpiredException,
  type GateDecision,
  decide,
} from './decide.js';
export {
  type ImageScan,
  type ReadImageScanOptions,
  basicFinding,
  enhancedFindings,
  readImageScan,
} from './ecr-scan.js';
export {
  type ImageGateOptions,
  type ImageGateOutcome,
  type ImageGateResult,
  gateImage,
} from './image-gate.js';
export { parseNpmAudit } from './npm-audit.js';
export { type SupplyChainCliIo, EXIT, runSupplyChainCli, USAGE } from './run-cli.js';
