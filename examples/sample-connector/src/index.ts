/**
 * `@patchbay/sample-connector`: a complete, runnable Concur application connector built on
 * `@patchbay/connector-sdk`, used by patchbay's demo, its end-to-end tests and its benchmarks.
 *
 * - `createSampleConnector(options)`: the connector (Fetch Attendee, a three-level Fetch List, budget
 *   validation of Concur Requests from Event Notifications, a Launch External URL project picker).
 * - `ensureDevCertificates(dir, hostnames?)`: a development CA and a localhost certificate, made once.
 * - The demo data (`ATTENDEES`, `LOCATIONS`, `PROJECTS`) and the handlers' search functions, for tests.
 */
export { DEFAULT_BUDGET_LIMIT, PROJECT_PICKER_SAVE_PATH, createSampleConnector } from './sample-connector.ts';
export type { SampleConnector, SampleConnectorLogEntry, SampleConnectorOptions, SamplePatchbayOptions } from './sample-connector.ts';
export { createBudgetValidator, decide, formatAmount, requestUuidFromUri, totalsByCurrency } from './budget-validator.ts';
export type { BudgetValidator, BudgetValidatorOptions, RetryOptions, ValidationLogEntry, ValidationRecord } from './budget-validator.ts';
export { NoCompanyTokenError, createCompanyTokens } from './company-tokens.ts';
export type { CompanyTokenEvent, CompanyTokens, CompanyTokensOptions } from './company-tokens.ts';
export { createProjectPicker, escapeHtml, requestUpdate } from './project-picker.ts';
export type { ProjectPicker, ProjectPickerLogEntry, ProjectPickerOptions } from './project-picker.ts';
export { MAX_ATTENDEE_RESULTS, foldText, searchAttendees } from './search-attendees.ts';
export { fetchLocations, parentCodes } from './fetch-locations.ts';
export { ATTENDEES, ATTENDEE_TYPES, LOCATIONS, PROJECTS } from './data.ts';
export type { AttendeeTypeCode, DemoAttendee, ListNode, Project } from './data.ts';
export { DEFAULT_DEV_HOSTNAMES, DEV_CERTIFICATE_FILES, DevCertificateError, ensureDevCertificates } from './dev-certificates.ts';
export type { DevCertificates } from './dev-certificates.ts';
