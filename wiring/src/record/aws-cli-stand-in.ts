/**
 * An `aws` program for scripts a scenario runs (the EC2 revision's hook scripts): each command line
 * goes to the recording session, which records the API call the AWS CLI would make for it and answers
 * from the scenario's responses, printed as the CLI prints them. The program is a small Node.js client
 * of a local server in the scenario's process, so the script runs unchanged, its `aws` first on PATH.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CliResult, RecordingSession } from './recorder';

/** The environment variable that tells the program where the session listens. */
const ENDPOINT_VARIABLE = 'WIRING_AWS_CLI_ENDPOINT';

/** Sends its arguments, prints the answer, exits with its status; any failure to reach the session is 255. */
const PROGRAM = `
const http = require('node:http');
const fail = (message) => {
  process.stderr.write('aws (wiring stand-in): ' + message + '\\n');
  process.exit(255);
};
const request = http.request(process.env.${ENDPOINT_VARIABLE}, { method: 'POST' }, (response) => {
  let body = '';
  response.setEncoding('utf8');
  response.on('data', (chunk) => (body += chunk));
  response.on('end', () => {
    try {
      const result = JSON.parse(body);
      process.stdout.write(result.stdout);
      process.stderr.write(result.stderr);
      process.exitCode = result.status;
    } catch (error) {
      fail(error.message);
    }
  });
});
request.on('error', (error) => fail(error.message));
request.end(JSON.stringify(process.argv.slice(2)));
`;

/** The stand-in while it runs: the folder to put first on PATH, and the variables the program needs. */
export interface AwsCliStandIn {
  /** Holds `aws`. */
  readonly bin: string;
  /** To add to the script's environment. */
  readonly env: Readonly<Record<string, string>>;
  /** Stops the session's server. */
  close(): Promise<void>;
}

async function answer(
  session: Pick<RecordingSession, 'cli'>,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  let body = '';
  request.setEncoding('utf8');
  for await (const chunk of request) body += String(chunk);
  let result: CliResult;
  try {
    result = await session.cli(JSON.parse(body) as string[]);
  } catch (error) {
    result = { status: 255, stdout: '', stderr: `${(error as Error).message}\n` };
  }
  response.setHeader('content-type', 'application/json');
  response.end(JSON.stringify(result));
}

/** Writes `aws` into `dir`/bin and starts the session's server for it. */
export async function startAwsCliStandIn(
  session: Pick<RecordingSession, 'cli'>,
  dir: string,
): Promise<AwsCliStandIn> {
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  const program = join(dir, 'aws-stand-in.cjs');
  writeFileSync(program, PROGRAM);
  const aws = join(bin, 'aws');
  writeFileSync(aws, `#!/bin/sh\nexec '${process.execPath}' '${program}' "$@"\n`);
  chmodSync(aws, 0o755);
  const server = createServer((request, response) => void answer(session, request, response));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    bin,
    env: { [ENDPOINT_VARIABLE]: `http://127.0.0.1:${port}/` },
    close: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}
