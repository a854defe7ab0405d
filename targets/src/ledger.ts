/** The release ledger table of an environment, `<prefix>-<env>-releases`. */
export function ledgerTableName(prefix: string, environment: string): string {
  return `${prefix}-${environment}-releases`;
}
