/**
 * Progress of a command's steps: listr2 on stderr on a terminal (stdout carries the result alone),
 * silent otherwise.
 */
import { Listr, ListrLogger, ProcessOutput } from 'listr2';
import type { OpsContext } from './context';

/** A step shown as progress: listr2 on stderr on a terminal, silent otherwise. */
export interface Step {
  readonly title: string;
  readonly task: (report: (line: string) => void) => Promise<void>;
}

/** Options of {@link runSteps}. */
export interface RunStepsOptions {
  /**
   * The steps handle SIGINT themselves (a judged deployment puts its alias back first): listr2 then
   * registers no SIGINT listener of its own, which would end the process at once.
   * @default false
   */
  readonly ownSignals?: boolean;
}

/** Runs steps in order, with listr2 progress on stderr when the context asks for it. */
export async function runSteps(
  ctx: OpsContext,
  steps: readonly Step[],
  options: RunStepsOptions = {},
): Promise<void> {
  if (!ctx.progress) {
    for (const step of steps) {
      await step.task(() => undefined);
    }
    return;
  }
  // Progress goes to stderr, whichever renderer listr2 picks: stdout carries the result alone.
  const logger = new ListrLogger({ processOutput: new ProcessOutput(process.stderr, process.stderr) });
  await new Listr(
    steps.map((step) => ({
      title: step.title,
      task: async (_: unknown, task: { output: string }) =>
        step.task((line) => {
          task.output = line;
        }),
    })),
    {
      exitOnError: true,
      rendererOptions: { logger },
      fallbackRendererOptions: { logger },
      ...(options.ownSignals ? { registerSignalListeners: false } : {}),
    },
  ).run();
}
