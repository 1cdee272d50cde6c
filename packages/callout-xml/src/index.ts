/**
 * `@patchbay/callout-xml`: the wire formats of Concur's callouts to application connectors, the single
 * source of truth for both sides: the patchbay server (builds requests, parses connector responses) and the
 * connector SDK (parses requests, builds responses).
 *
 * - Fetch Attendee v2.0: `buildAttendeeSearchRequest`, `parseAttendeeSearchRequest`,
 *   `buildAttendeeSearchResponse`, `parseAttendeeSearchResponse`, `attendeeVersionFromEndpoint`.
 * - Fetch List v1.2: `buildFetchListRequest`, `parseFetchListRequest`, `buildFetchListResponse`,
 *   `parseFetchListResponse`, `fetchListQueryMatches`.
 * - Event Notification: `buildNotification`, `parseNotification`, and the failed-notification listing
 *   (`buildFailedNotificationsXml`/`Json`, `parseFailedNotificationsXml`/`Json`).
 * - Launch External URL v4 (Expense and Concur Request) and v1: `leuSignature`, `buildLeuUrl`,
 *   `verifyLeuSignature`.
 *
 * Builders produce exactly the spec's bytes and throw `CalloutContractError` for input that breaks the
 * contract; parsers never throw and answer `{ ok: false, code, reason }` for anything they refuse, with DTDs
 * and entity expansion off and a size cap.
 */
export { CalloutContractError } from './result.ts';
export type { ParseFailure, ParseFailureCode } from './result.ts';
export { DEFAULT_MAX_XML_BYTES, DEFAULT_MAX_XML_DEPTH, escapeXml, parseXml, stripIllegalXmlChars } from './xml.ts';
export type { XmlElement, XmlParseOptions, XmlParseResult } from './xml.ts';
export {
  ATTENDEE_REQUEST_CONTENT_TYPE,
  ATTENDEE_RESULT_LIMIT,
  ATTENDEE_SEARCH_REQUEST_FIELDS,
  ATTENDEE_SEARCH_RESPONSE_FIELDS,
  attendeeVersionFromEndpoint,
  buildAttendeeSearchRequest,
  buildAttendeeSearchResponse,
  parseAttendeeSearchRequest,
  parseAttendeeSearchResponse,
} from './attendee.ts';
export type {
  Attendee,
  AttendeeCustomFields,
  AttendeeCustomIndex,
  AttendeeField,
  AttendeeInput,
  AttendeeSearchCriteria,
  AttendeeSearchCriteriaInput,
  AttendeeSearchRequestResult,
  AttendeeSearchResponseOptions,
  AttendeeSearchResponseResult,
  AttendeeVersionResult,
} from './attendee.ts';
export {
  FETCH_LIST_LIMIT,
  FETCH_LIST_REQUEST_CONTENT_TYPE,
  buildFetchListRequest,
  buildFetchListResponse,
  fetchListItemCode,
  fetchListLongCode,
  fetchListQueryMatches,
  parseFetchListRequest,
  parseFetchListResponse,
} from './fetch-list.ts';
export type {
  FetchListItem,
  FetchListRequest,
  FetchListRequestInput,
  FetchListRequestResult,
  FetchListResponseResult,
  FetchListSearchBy,
} from './fetch-list.ts';
export {
  NOTIFICATIONS_API_PATH,
  NOTIFICATION_EVENT_TYPE_PREFIX,
  NOTIFICATION_LIST_NAMESPACE,
  XML_SCHEMA_INSTANCE_NAMESPACE,
  buildFailedNotificationsJson,
  buildFailedNotificationsXml,
  buildNotification,
  notificationEventType,
  parseFailedNotificationsJson,
  parseFailedNotificationsXml,
  parseNotification,
} from './notification.ts';
export type {
  FailedNotification,
  FailedNotificationInput,
  FailedNotificationsResult,
  Notification,
  NotificationInput,
  NotificationObjectType,
  NotificationResult,
} from './notification.ts';
export {
  buildLeuUrl,
  encodeLeuValue,
  leuSignature,
  leuSignedMessage,
  leuSigningKey,
  newLeuNonce,
  normalizeLeuLanguageCode,
  verifyLeuSignature,
} from './leu.ts';
export type {
  LeuCredentials,
  LeuParams,
  LeuQuery,
  LeuSignedParams,
  LeuSource,
  LeuV1Params,
  LeuV4CommonParams,
  LeuV4ExpenseParams,
  LeuV4RequestParams,
  LeuVerification,
  LeuVerifiedV1,
  LeuVerifiedV4,
  LeuVerifyOptions,
  LeuVersion,
} from './leu.ts';
