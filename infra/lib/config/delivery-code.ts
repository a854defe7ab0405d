/** A handler of the delivery workspace (`delivery/src/handlers/<name>.ts`). */
export type DeliveryHandler =
  | 'pipeline-step'
  | 'traffic-hook'
  | 'green-check'
  | 'canary-gate'
  | 'canary-watcher'
  | 'db-roles'
  | 'ec2-deployment-group';

/** Where the delivery code is: the `delivery` workspace's handler files. */
export interface DeliveryCode {
  /** `delivery/src/handlers/<name>.ts` for a handler name. */
  readonly entry: (handler: DeliveryHandler) => string;
}
