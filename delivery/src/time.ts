/** Waits `ms` milliseconds: the default `sleep` of every polling loop. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The current time in ms since the epoch: the default `now` of every polling loop. */
export function now(): number {
  return Date.now();
}

/** Time as a polling loop sees it, injected so that tests run on a fake clock. */
export interface Clock {
  /** Waits `ms` milliseconds. */
  readonly sleep: (ms: number) => Promise<void>;
  /** The current time in ms since the epoch. */
  readonly now: () => number;
}
