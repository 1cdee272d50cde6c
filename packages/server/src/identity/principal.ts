/** Who is making a request to the admin API, as resolved from a session cookie or an API token. */

/** The roles a user can hold. Admin roles are those Concur calls "admin roles" in the seed. */
export const ROLES = [
  'CAN_ADMINISTER',
  'WEB_SERVICES_ADMINISTRATOR',
  'COMPANY_ADMIN',
  'EXPENSE_ADMIN',
  'REQUEST_ADMIN',
  'TRAVEL_ADMIN',
  'INVOICE_ADMIN',
  'EMPLOYEE',
] as const;

/** One of `ROLES`. */
export type Role = (typeof ROLES)[number];

/** The roles that count as "All Admin roles" for Professional editions. */
export const ADMIN_ROLES: readonly Role[] = ['COMPANY_ADMIN', 'EXPENSE_ADMIN', 'REQUEST_ADMIN', 'TRAVEL_ADMIN', 'INVOICE_ADMIN'];

/** The authenticated caller of one request. */
export interface Principal {
  readonly userId: string;
  readonly loginId: string;
  readonly name: string;
  /** The user's company; null for platform operators, who belong to none. */
  readonly companyId: string | null;
  readonly isOperator: boolean;
  readonly roles: readonly Role[];
  /** How the caller authenticated; cookie sessions must also present the CSRF token on writes. */
  readonly via: 'session' | 'api-token';
  readonly csrfToken: string | null;
}

/** The label the audit trail shows for a principal. */
export function actorLabel(principal: Principal): string {
  return principal.isOperator ? `${principal.name} (operator)` : principal.name;
}
