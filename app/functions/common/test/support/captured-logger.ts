import { Logger } from '@aws-lambda-powertools/logger';
import { vi } from 'vitest';

/** One JSON log line, parsed. */
export type LogLine = Record<string, unknown>;

/**
 * A Powertools logger at INFO (the tests' environment silences the others) whose lines are kept:
 * it writes through its own console to the process's stdout and stderr, which are intercepted
 * until `restore()`.
 */
export function capturedLogger(serviceName = 'test'): {
  logger: Logger;
  lines: LogLine[];
  restore(): void;
} {
  const lines: LogLine[] = [];
  const keep = (chunk: unknown): boolean => {
    for (const line of String(chunk).split('\n')) {
      if (line.startsWith('{')) lines.push(JSON.parse(line) as LogLine);
    }
    return true;
  };
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(keep);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(keep);
  return {
    logger: new Logger({ serviceName, logLevel: 'INFO' }),
    lines,
    restore() {
      out.mockRestore();
      err.mockRestore();
    },
  };
}
