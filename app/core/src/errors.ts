/** One problem with a request: where (a dotted path) and what. */
export interface Issue {
  /** Dotted path of the offending field (`lines.0.quantity`), `''` for the whole input. */
  readonly path: string;
  /** What is wrong and what is expected. */
  readonly message: string;
}

/** A line that cannot be met in full. */
export interface Shortage {
  readonly sku: string;
  readonly requested: number;
  /** What all warehouses together have available for the sku. */
  readonly available: number;
}

/** Base of the domain's expected failures; anything else is a bug or an outage. */
export abstract class DomainError extends Error {}

/** The input is malformed: HTTP 400. */
export class ValidationError extends DomainError {
  constructor(readonly issues: readonly Issue[]) {
    super('invalid request');
    this.name = 'ValidationError';
  }
}

/** The thing asked for does not exist: HTTP 404. */
export class NotFoundError extends DomainError {
  constructor(message: string) {
    super(message);
    this.name = 'NotFoundError';
  }
}

/** The request conflicts with the current state: HTTP 409. */
export class ConflictError extends DomainError {
  constructor(
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'ConflictError';
  }
}

/** Not enough stock for at least one line; nothing was allocated: HTTP 409. */
export class ShortageError extends DomainError {
  constructor(readonly shortages: readonly Shortage[]) {
    super('insufficient stock');
    this.name = 'ShortageError';
  }
}
