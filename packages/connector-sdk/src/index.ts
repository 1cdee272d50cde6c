/**
 * `@patchbay/connector-sdk`: build a SAP Concur (or patchbay) application connector in a few lines.
 *
 * - `createConnector({ credentials, tls, handlers })`: an HTTPS server with HTTP Basic authentication
 *   (constant-time), `GET /system/v1.0/testconnection`, typed handlers for Fetch Attendee v2.0, Fetch List
 *   v1.2 and Event Notification (XML parsed and produced by `@patchbay/callout-xml`), and Launch External URL
 *   v4 with signature and nonce checks.
 * - `exchangeAuthCode` and `requestApi`: the launch's `client_auth_code` exchange at `/oauth2/v0/token`, and a
 *   Concur Request v4 client (read, update, approve, send back) with typed errors.
 * - `exchangeCompanyRequestToken` and `refreshAccessToken`: a company token from a Company Request Token
 *   (`grant_type=password`, `credtype=authtoken`), and new access tokens from its refresh token.
 */
export {
  DEFAULT_PATHS,
  TEST_CONNECTION_PATH,
  createConnector,
} from './connector.ts';
export type {
  CalloutContext,
  Connector,
  ConnectorHandlers,
  ConnectorLogEntry,
  ConnectorOptions,
  ConnectorPaths,
  ConnectorTlsOptions,
  LeuHelpers,
  LeuPage,
  ListeningAddress,
} from './connector.ts';
export {
  ConnectorConfigError,
  MAX_CREDENTIAL_LENGTH,
  MIN_CREDENTIAL_LENGTH,
  basicAuthChecker,
  basicAuthorization,
} from './auth.ts';
export type { BasicAuthChecker, ConnectorCredentials } from './auth.ts';
export { NonceStoreFullError, createMemoryNonceStore } from './nonce-store.ts';
export type { MemoryNonceStoreOptions, NonceStore } from './nonce-store.ts';
export {
  ConcurApiError,
  ConcurOAuthError,
  exchangeAuthCode,
  exchangeCompanyRequestToken,
  refreshAccessToken,
  requestApi,
} from './concur-api.ts';
export type {
  ConcurErrorEntry,
  ConcurRequest,
  ExchangeAuthCodeOptions,
  HttpClientOptions,
  RequestApiClient,
  RequestCustomFieldValue,
  RequestLocation,
  RequestUpdate,
  TokenEndpointOptions,
  TokenResponse,
} from './concur-api.ts';
// The callout types the handlers see, and the helpers a connector needs to answer them.
export { CalloutContractError, fetchListItemCode, fetchListQueryMatches } from '@patchbay/callout-xml';
export type {
  Attendee,
  AttendeeInput,
  AttendeeSearchCriteria,
  FetchListItem,
  FetchListRequest,
  LeuVerifiedV4,
  Notification,
} from '@patchbay/callout-xml';
