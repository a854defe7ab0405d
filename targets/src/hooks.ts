import type { Naming } from './naming';

/** The names of an environment's traffic hooks, known to every function's stack without a reference. */
export function trafficHookNames(naming: Naming) {
  return {
    /** CodeDeploy's BeforeAllowTraffic hook. */
    preTraffic: naming.name('pre-traffic-hook'),
    /** CodeDeploy's AfterAllowTraffic hook. */
    postTraffic: naming.name('post-traffic-hook'),
    /** The role both run with; each function's stack grants it what it needs on that function. */
    role: naming.name('traffic-hooks'),
    /** SSM path under which each function's smoke event is stored, by function name. */
    smokeEventsPath: naming.path('smoke-events') + '/',
  };
}
