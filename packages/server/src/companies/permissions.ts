/**
 * The seed's permission rules for Administration > Web Services > Manage Application Connectors.
 * - Standard editions and Developer Sandbox: the Can Administer permission.
 * - Professional editions: Web Services Administrator, or any admin role, and only at companies that
 *   are Development Partners.
 * - Platform operators (the seed's "Concur internal staff") may always.
 */
import { ADMIN_ROLES, type Principal } from '../identity/principal.ts';
import type { Company } from './companies.ts';

/** Whether a principal may manage a company's connectors, and if not, which permission is missing. */
export type Permission = { allowed: true } | { allowed: false; missing: string };

/** Applies the seed's rule for registering and modifying application connectors. */
export function connectorPermission(principal: Principal, company: Company): Permission {
  if (principal.isOperator) return { allowed: true };
  if (principal.companyId !== company.id) return { allowed: false, missing: 'membership of this company' };
  if (company.edition === 'PROFESSIONAL') {
    if (!company.developmentPartner) {
      return {
        allowed: false,
        missing: `Development Partner status: in Professional editions only Development Partner companies can register and modify application connectors, and ${company.name} is not one`,
      };
    }
    const hasRole = principal.roles.includes('WEB_SERVICES_ADMINISTRATOR') || principal.roles.some((role) => ADMIN_ROLES.includes(role));
    return hasRole ? { allowed: true } : { allowed: false, missing: 'the Web Services Administrator permission (or an admin role)' };
  }
  return principal.roles.includes('CAN_ADMINISTER') ? { allowed: true } : { allowed: false, missing: 'the Can Administer permission' };
}
