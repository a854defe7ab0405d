/**
 * The plan `rollback --release N` builds before any change: what each item goes back to, and the writes
 * that put it back. Each kind of workload adds its part (ops/src/kinds/<kind>/restore.ts); the command
 * adds the configuration's.
 */
import type { AwsClients } from './context';
import { unsafe, type OpsError } from './errors';
import type { FleetEntry } from './kinds/ec2/revision';

/** A function alias moved back. */
export interface FunctionChange {
  readonly name: string;
  /** The alias's version before (with `+N` for a shift it had). */
  readonly from: string;
  readonly to: string;
}

/** A parameter rewritten with its recorded version's value (never the value itself). */
export interface ParameterChange {
  readonly name: string;
  readonly from: number;
  /** The recorded version whose value was written. */
  readonly restored: number;
  /** The new version holding it. */
  readonly version: number | undefined;
}

/** A secret whose AWSCURRENT label moved back. */
export interface SecretChange {
  readonly name: string;
  readonly from: string;
  readonly to: string;
}

/** A service rolled out with its recorded image. */
export interface ServiceChange {
  readonly name: string;
  readonly from: string;
  readonly to: string;
  /** The revision registered with the recorded image. */
  readonly taskDefinition: string;
  readonly action: 'updated-service' | 'created-deployment';
  readonly deploymentId: string | undefined;
}

/** A Kubernetes application put back: switched back to its recorded color, or its recorded image redeployed. */
export interface ApplicationChange {
  readonly name: string;
  /** What served it before: `<color> <image>`. */
  readonly from: string;
  /** What the release recorded: `<color> <image>`. */
  readonly to: string;
  /** `switch-back` when the recorded color still runs the recorded image, else `deploy` of that image. */
  readonly action: 'switch-back' | 'deploy';
  /** The deploy project's build that made it. */
  readonly build: string | undefined;
  /** What serves it now, as the build exported it (the color a redeployment lands on may be the other). */
  readonly live: { readonly color: string; readonly image: string; readonly revision: string } | undefined;
}

/** An EC2 application's fleet given its recorded revision again, by a CodeDeploy deployment. */
export interface FleetChange {
  readonly name: string;
  /** The revision its group's last successful deployment installed: `s3://<bucket>/<key> (version <v>)`. */
  readonly from: string;
  /** The revision the release recorded. */
  readonly to: string;
  /** The deployment that installs it. */
  readonly deploymentId: string | undefined;
  /** What the fleet runs now, once the deployment succeeded (or, blue/green, its green fleet serves). */
  readonly live: FleetEntry | undefined;
}

/** One write of the plan: its progress title, and the call that makes it. */
export interface Action {
  readonly title: string;
  readonly run: (aws: AwsClients) => Promise<void>;
}

/** Refused before any change (exit 4): the message says why. */
export function refuse(number: number, why: string): OpsError {
  return unsafe(`rollback to release ${number} refused, nothing changed: ${why}`);
}

/** A plan of `rollback --release N` under construction: the writes to make and what they report. */
export interface RestorePlan {
  readonly actions: Action[];
  readonly changed: {
    functions: FunctionChange[];
    parameters: ParameterChange[];
    secrets: SecretChange[];
    services: ServiceChange[];
    applications: ApplicationChange[];
    fleets: FleetChange[];
  };
  readonly unchanged: {
    functions: string[];
    parameters: string[];
    secrets: string[];
    services: string[];
    applications: string[];
    fleets: string[];
  };
}
