import { ConfigError } from './errors';

/**
 * Runs `main`; a {@link ConfigError} is printed as its message alone (no stack trace: the message
 * says what to fix) and ends the process with exit code 1. Other errors propagate.
 */
export function exitOnConfigError<T>(main: () => T): T {
  try {
    return main();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}
