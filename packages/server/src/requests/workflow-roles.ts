/**
 * The seed's status table: for each workflow step role, the event's `role`, `status`,
 * `currentApprovalStatus` and the approval status name the Request API shows.
 */

/** What a pending step at one role looks like in events and in the API. */
export interface RoleDescription {
  /** `facts.role`, and the suffix of `statusChange.PENDING.<role>`. */
  readonly role: string;
  /** `facts.status`. */
  readonly status: string;
  /**
   * `facts.currentApprovalStatus`; null where the seed gives a numeric status key configured per step
   * (TMC and custom steps).
   */
  readonly approvalStatus: string | null;
  /** The default `approvalStatus.name` the Request API shows at this step. */
  readonly stepName: string;
}

/** The seed's roles, by workflow role code. */
export const STEP_ROLES = {
  REQ_PROCESSOR1: { role: 'TMC', status: 'PendingTMCApproval', approvalStatus: null, stepName: 'Pending Travel Agency Update' },
  REQ_MANAGER: { role: 'RequestManager', status: 'PendingRequestManagerApproval', approvalStatus: 'Q_PEND', stepName: 'Pending Request Manager Approval' },
  REQ_PROCESSOR3: { role: 'RequestAuditor', status: 'PendingRequestAuditorApproval', approvalStatus: 'Q_PEND', stepName: 'Pending Request Auditor Approval' },
  CO_APPROVE: { role: 'CostObjectApprover', status: 'PendingCostObjectApproverApproval', approvalStatus: 'Q_PECO', stepName: 'Pending Cost Object Approval' },
  AUTH_APPROVE: { role: 'AuthorizedApprover', status: 'PendingAuthorizedApproverApproval', approvalStatus: 'Q_PEND', stepName: 'Pending Authorized Approver Approval' },
  BDGT_APPROVE: { role: 'BudgetManager', status: 'PendingBudgetManagerApproval', approvalStatus: 'Q_PBDG', stepName: 'Pending Budget Approval' },
  RISK_PROCESSOR: { role: 'RiskManager', status: 'PendingRiskManagerApproval', approvalStatus: 'Q_PEND', stepName: 'Pending Risk Manager Approval' },
  REQ_PROCESSOR_2: { role: 'RequestAdministrator', status: 'PendingRequestAdministratorApproval', approvalStatus: 'Q_PEND', stepName: 'Pending Request Administrator Approval' },
  EXTERNAL_VALIDATION: { role: 'ExternalValidation', status: 'PendingExternalValidation', approvalStatus: 'Q_EXTV', stepName: 'Pending External Validation' },
} as const satisfies Record<string, RoleDescription>;

/** A role code of `STEP_ROLES`, or `CUSTOM` for an admin-defined role. */
export type RoleCode = keyof typeof STEP_ROLES | 'CUSTOM';

/** Every role code an admin may give a step. */
export const ROLE_CODES = [...Object.keys(STEP_ROLES), 'CUSTOM'] as RoleCode[];

/** Other spellings Concur's own sources use for the same role codes. */
const ALIASES: Record<string, RoleCode> = { REQ_PROCESSOR2: 'REQ_PROCESSOR_2', CO_APPROVER: 'CO_APPROVE' };

/** The canonical role code for `code`, accepting Concur's alternative spellings; null if unknown. */
export function canonicalRoleCode(code: string): RoleCode | null {
  const canonical = ALIASES[code] ?? code;
  return (ROLE_CODES as string[]).includes(canonical) ? (canonical as RoleCode) : null;
}

/** The seed's status keys for TMC and custom steps are numeric, such as `002003`. */
export const NUMERIC_STATUS_KEY = /^\d{1,10}$/;

/**
 * How a step at `roleCode` appears: for custom roles the admin's role name gives `role` and `status`
 * (`Pending<Role>Approval`; the seed leaves custom statuses undocumented), and `statusKey` gives
 * `currentApprovalStatus` where the seed makes it numeric.
 */
export function describeStep(step: { roleCode: RoleCode; customRole: string | null; statusKey: string }): { role: string; status: string; currentApprovalStatus: string } {
  if (step.roleCode === 'CUSTOM') {
    const role = step.customRole ?? 'Custom';
    return { role, status: `Pending${role}Approval`, currentApprovalStatus: step.statusKey };
  }
  const known = STEP_ROLES[step.roleCode];
  return { role: known.role, status: known.status, currentApprovalStatus: known.approvalStatus ?? step.statusKey };
}

/** The status key a new step gets when the admin gives none. */
export function defaultStatusKey(roleCode: RoleCode): string {
  if (roleCode === 'CUSTOM') return '002100';
  return STEP_ROLES[roleCode].approvalStatus ?? '002003';
}
