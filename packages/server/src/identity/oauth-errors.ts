/**
 * Errors of Concur's OAuth2 service, as its documentation lists them: `{code, error,
 * error_description, geolocation}`, with Concur's numeric `code` for each cause.
 */

/** One documented cause: the OAuth2 `error`, Concur's numeric `code`, the HTTP status and a description. */
interface OAuthCause {
  readonly error: 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'invalid_scope' | 'unauthorized_client' | 'unsupported_grant_type' | 'access_denied' | 'temporarily_unavailable';
  readonly code: number;
  readonly status: number;
  readonly description: string;
}

/** The causes patchbay reports, keyed by name. Codes and descriptions follow Concur's /token table. */
export const OAUTH_CAUSES = {
  incorrectCredentials: { error: 'invalid_grant', code: 5, status: 400, description: 'Incorrect Credentials. Please Retry' },
  usernameMissing: { error: 'invalid_request', code: 51, status: 400, description: 'username was not supplied' },
  passwordMissing: { error: 'invalid_request', code: 52, status: 400, description: 'password was not supplied' },
  companyNotEnabled: { error: 'invalid_client', code: 53, status: 401, description: 'company is not enabled for this client' },
  scopeExceeded: { error: 'invalid_scope', code: 54, status: 400, description: 'requested scope exceeds granted scope' },
  clientDisabled: { error: 'access_denied', code: 59, status: 403, description: 'client disabled' },
  grantNotAllowed: { error: 'unauthorized_client', code: 60, status: 400, description: 'these are not the grants you are looking for' },
  clientNotFound: { error: 'invalid_client', code: 61, status: 401, description: 'client not found' },
  clientIdMissing: { error: 'invalid_request', code: 62, status: 400, description: 'client_id was not supplied' },
  clientSecretMissing: { error: 'invalid_request', code: 63, status: 400, description: 'client_secret was not supplied' },
  clientSecretWrong: { error: 'invalid_client', code: 64, status: 401, description: 'Incorrect credentials. Please Retry' },
  grantTypeMissing: { error: 'invalid_request', code: 65, status: 400, description: 'grant_type was not supplied' },
  grantTypeUnknown: { error: 'unsupported_grant_type', code: 65, status: 400, description: 'grant_type is not one of authorization_code, password, client_credentials, refresh_token' },
  codeMissing: { error: 'invalid_request', code: 101, status: 400, description: 'code was not supplied' },
  redirectUriMissing: { error: 'invalid_request', code: 102, status: 400, description: 'redirect_uri was not supplied' },
  codeBad: { error: 'invalid_grant', code: 103, status: 400, description: 'code is bad or expired' },
  redirectUriMismatch: { error: 'invalid_grant', code: 104, status: 400, description: 'redirect_uri does not match the previous grant' },
  notIssuedToYou: { error: 'invalid_grant', code: 105, status: 400, description: 'this grant was not issued to you!' },
  refreshTokenMissing: { error: 'invalid_request', code: 106, status: 400, description: 'refresh_token was not supplied' },
  refreshBad: { error: 'invalid_grant', code: 108, status: 400, description: 'bad or expired refresh token' },
  credtypeInvalid: { error: 'invalid_request', code: 120, status: 400, description: 'credtype is invalid' },
  requestTokenBad: { error: 'invalid_grant', code: 19, status: 400, description: 'Incorrect credentials. Please Retry (the request token is unknown, used or expired)' },
  malformedBody: { error: 'invalid_request', code: 400, status: 400, description: 'the body must be application/x-www-form-urlencoded with each parameter once' },
  // Not in Concur's table (patchbay's own, numbered like its HTTP status as malformedBody is): failed
  // attempts are throttled, see --sign-in-attempts-per-window. RFC 6749's temporarily_unavailable tells
  // generic clients to come back later; Retry-After says when.
  tooManyAttempts: { error: 'temporarily_unavailable', code: 429, status: 429, description: 'too many failed attempts with these credentials from your address; try again after the Retry-After seconds' },
  nulCharacter: { error: 'invalid_request', code: 400, status: 400, description: 'a parameter contains a NUL character (\\u0000), which no parameter accepts' },
} as const satisfies Record<string, OAuthCause>;

/** The name of one of `OAUTH_CAUSES`. */
export type OAuthCauseName = keyof typeof OAUTH_CAUSES;

/** A failed token request; the token route turns it into Concur's OAuth2 error body. */
export class OAuthError extends Error {
  readonly oauth: OAuthCause;

  constructor(cause: OAuthCauseName, detail?: string) {
    const known = OAUTH_CAUSES[cause];
    super(detail ? `${known.description}: ${detail}` : known.description);
    this.name = 'OAuthError';
    this.oauth = known;
  }

  /** The HTTP status of this error. */
  get status(): number {
    return this.oauth.status;
  }

  /** Concur's error body. */
  body(geolocation: string): { code: number; error: string; error_description: string; geolocation: string } {
    return { code: this.oauth.code, error: this.oauth.error, error_description: this.message, geolocation };
  }
}
