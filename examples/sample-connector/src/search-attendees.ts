/**
 * The Fetch Attendee handler's search (spec §1): every non-blank criterion must match (logical AND, as
 * Concur combines them), and the answer is capped at the request's `MaximumNumberRecords` and at 100.
 */
import type { AttendeeInput, AttendeeSearchCriteria } from '@patchbay/connector-sdk';
import { ATTENDEES } from './data.ts';
import type { DemoAttendee } from './data.ts';

/** Concur's documented cap on a Fetch Attendee result list, whatever `MaximumNumberRecords` says. */
export const MAX_ATTENDEE_RESULTS = 100;

/** How a criterion is compared with an attendee's field, after case and accents are folded. */
type Comparison = 'prefix' | 'exact' | 'contains';

type MatchedField = Exclude<keyof AttendeeSearchCriteria, 'ownerLoginId' | 'maximumNumberRecords'>;

/**
 * The criteria and how each one matches. Names match by prefix (users type the start of a name); codes and
 * keys exactly; company and title anywhere in the value; the custom (HCP) fields by prefix. `OwnerLoginID`
 * names the report's owner, not a search value, so it is not compared.
 */
const RULES: readonly (readonly [MatchedField, Comparison])[] = [
  ['attendeeTypeCode', 'exact'],
  ['externalId', 'exact'],
  ['firstName', 'prefix'],
  ['middleInitial', 'exact'],
  ['lastName', 'prefix'],
  ['suffix', 'exact'],
  ['title', 'contains'],
  ['company', 'contains'],
  ...Array.from({ length: 25 }, (_, i) => [`custom${i + 1}` as MatchedField, 'prefix'] as const),
];

/** Lower case without accents, so `muller` finds `Müller` and `garcia` finds `García`. */
export function foldText(value: string): string {
  return value.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().trim();
}

function matches(comparison: Comparison, wanted: string, value: string): boolean {
  switch (comparison) {
    case 'prefix':
      return value.startsWith(wanted);
    case 'exact':
      return value === wanted;
    case 'contains':
      return value.includes(wanted);
  }
}

/**
 * The attendees matching every non-blank criterion, sorted by last then first name, at most
 * `criteria.maximumNumberRecords` and at most 100. No criterion at all matches everyone (still capped).
 */
export function searchAttendees(criteria: AttendeeSearchCriteria, attendees: readonly DemoAttendee[] = ATTENDEES): AttendeeInput[] {
  const wanted = RULES.map(([field, comparison]) => [field, comparison, foldText(criteria[field] ?? '')] as const).filter(([, , value]) => value !== '');
  const cap = Math.max(0, Math.min(criteria.maximumNumberRecords, MAX_ATTENDEE_RESULTS));
  return attendees
    .filter((attendee) => wanted.every(([field, comparison, value]) => matches(comparison, value, foldText(attendee[field] ?? ''))))
    .toSorted((a, b) => a.lastName.localeCompare(b.lastName, 'en') || a.firstName.localeCompare(b.firstName, 'en') || a.externalId.localeCompare(b.externalId))
    .slice(0, cap)
    .map((attendee) => ({ ...attendee }));
}
