/**
 * The supply-chain gate as a command, for a buildspec or a GitHub workflow:
 *
 *     npx tsx delivery/src/supply-chain/cli.ts image --repository R --digest sha256:… --fail-on HIGH \
 *       [--exceptions supply-chain/exceptions.json] [--deadline-seconds 600]
 *     npm audit --json > audit.json || true   # npm audit exits 1 when it finds anything
 *     npx tsx delivery/src/supply-chain/cli.ts npm-audit --audit-file audit.json --fail-on HIGH \
 *       [--exceptions supply-chain/exceptions.json]
 *
 * Prints the decision's summary lines and exits 0 when the gate passes, 1 when it blocks (or the scan
 * could not be decided on), 2 on bad input, with one line naming it. The image command reads the scan
 * in the region `AWS_REGION`, with the default credentials.
 */
import { runSupplyChainCli } from './run-cli.js';

runSupplyChainCli(process.argv.slice(2), {
  env: process.env,
  out: (line) => console.log(line),
  err: (line) => console.error(line),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`supply-chain: ${String(error)}`);
    process.exitCode = 1;
  },
);
