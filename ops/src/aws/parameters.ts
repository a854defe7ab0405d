/** Names under the environment's `/<prefix>/<env>/`, the only ones `ias-ops` reads and writes. */
import type { EnvironmentConfig } from '@ias/infra/config';
import { naming } from '../context';
import { unsafe } from '../errors';

/**
 * The full path of a parameter or secret: a name relative to `/<prefix>/<env>/`, or a full path under it.
 *
 * @throws OpsError (exit 4) for a path outside the environment's, or one with `.`/`..` segments
 */
export function resolvePath(env: EnvironmentConfig, name: string): string {
  const root = naming(env).pathPrefix;
  const path = name.startsWith('/') ? name : `${root}${name}`;
  const rest = path.slice(root.length);
  const segments = rest.split('/');
  if (!path.startsWith(root) || rest === '' || segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw unsafe(
      `refused "${name}": ias-ops only reads and writes names under ${root} (give a name relative to it, e.g. db/endpoint)`,
    );
  }
  return path;
}
