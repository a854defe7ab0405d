/**
 * What the ledger and the deploy project's builds say of a Kubernetes application's two colors: which
 * serves, which served before, and whether the idle one still runs the image it served with.
 *
 * A deployment rolls the image out to the color that does not serve, so an idle color keeps the image
 * it last served with until a later deployment targets it. The ledger records only the deployments
 * that went live; the project's builds show every one that ran (the pipelines', the workflows' and
 * this CLI's all start it), including those that failed or were switched back after rolling the idle
 * color out with another image.
 */
import { listReleases, type LedgerRelease } from '@ias/delivery';
import type { Color } from '@ias/targets';
import type { AwsClients } from '../../context';
import { buildsSince, type BuildSummary } from '../../aws/codebuild';

/** What serves an application: its color, that color's image, and the manifest revision. */
export type ApplicationEntry = NonNullable<LedgerRelease['applications']>[string];

/** How many releases, newest first, are read to find what served before. */
export const RELEASES_READ = 100;

/** One release that records the application, newest first. */
export interface Served {
  readonly release: number;
  /** When the release was recorded (ISO 8601). */
  readonly at: string;
  readonly entry: ApplicationEntry;
}

/** The releases recording `app`, newest first, from the latest {@link RELEASES_READ}. */
export async function applicationHistory(aws: AwsClients, table: string, app: string): Promise<Served[]> {
  const releases = await listReleases(aws.dynamodb, table, RELEASES_READ);
  return releases.flatMap((r) => {
    const entry = r.applications?.[app];
    return entry ? [{ release: r.number, at: r.at, entry }] : [];
  });
}

/** The color that served before the current one, with the release that last recorded it. */
export function servedBefore(
  history: readonly Served[],
): { previous: Served; idleSince: string } | undefined {
  const [current] = history;
  if (current === undefined) return undefined;
  const index = history.findIndex((h) => h.entry.color !== current.entry.color);
  const previous = history[index];
  // The release after it in time (newer), the first with the other color: since then it has been idle.
  const next = history[index - 1];
  return previous && next ? { previous, idleSince: next.at } : undefined;
}

/** Whether an idle color still runs an image, and if not, why. */
export type StillRuns =
  { readonly runs: true } | { readonly runs: false; readonly why: string; readonly build?: BuildSummary };

/**
 * Whether `color` still runs `image`: it was the image the color last served with in the ledger, and no
 * deployment of another image has run since the color went idle (each would have rolled out to it).
 */
export async function stillRuns(
  aws: AwsClients,
  projectName: string,
  history: readonly Served[],
  color: Color,
  image: string,
): Promise<StillRuns> {
  const index = history.findIndex((h) => h.entry.color === color);
  const last = history[index];
  if (last === undefined) {
    return {
      runs: false,
      why: `no release of the last ${RELEASES_READ} records ${color} serving, so what it runs is not known`,
    };
  }
  if (last.entry.image !== image) {
    return {
      runs: false,
      why: `${color} served ${last.entry.image} in release ${last.release}, a later deployment than ${image}`,
    };
  }
  const next = history[index - 1];
  if (next === undefined) return { runs: true };
  const since = await buildsSince(aws, projectName, next.at);
  const other = since.find((b) => b.action === 'deploy' && b.image !== image);
  return other
    ? {
        runs: false,
        why: `build ${other.id} deployed ${other.image ?? '?'} to the idle color since ${next.at} (release ${next.release})`,
        build: other,
      }
    : { runs: true };
}
