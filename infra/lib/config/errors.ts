/**
 * An error in the project's configuration (README prefix line or environment profiles).
 *
 * Entry points print its message as-is, on one line per problem, without a stack trace, and exit
 * non-zero: the message already says what is wrong and how to fix it.
 */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}
