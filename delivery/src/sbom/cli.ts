/**
 * Builds a workspace's SBOM, for a buildspec (after `npm ci`, beside the artifact it describes):
 *
 *     npx tsx delivery/src/sbom/cli.ts --workspace app/functions/allocate-order --output sbom.cdx.json
 *
 * Writes the CycloneDX JSON SBOM of the workspace's production dependencies to `--output` and prints
 * one line saying so; exits 0 when written, 1 when the SBOM tool failed, 2 on bad input, with one line
 * naming it. Store it in the environment's artifact bucket under `sbomKey(workload, build)` of
 * @ias/targets (`sbom/<workload>/<build>.cdx.json`) and give that location to the ledger (`sbom`).
 */
import { resolve } from 'node:path';
import { runSbomCli } from './run-cli.js';

runSbomCli(process.argv.slice(2), {
  repoRoot: resolve(__dirname, '../../..'),
  cwd: process.cwd(),
  out: (line) => console.log(line),
  err: (line) => console.error(line),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`sbom: ${String(error)}`);
    process.exitCode = 1;
  },
);
