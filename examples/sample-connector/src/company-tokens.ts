/**
 * The company tokens the notification worker acts with. A company connects to the application by handing it a
 * Company Request Token (single use, valid 24 hours); the connector exchanges it once for a company access
 * token and a refresh token (`grant_type=password`, `credtype=authtoken`), keeps both in memory, and gets new
 * access tokens with the refresh token (`grant_type=refresh_token`) shortly before the current one expires.
 */
import { ConcurOAuthError, exchangeCompanyRequestToken, refreshAccessToken } from '@patchbay/connector-sdk';
import type { TokenEndpointOptions, TokenResponse } from '@patchbay/connector-sdk';

/** Renew an access token this long before it expires (at most half its lifetime), so no call starts with a dying token. */
const REFRESH_MARGIN_MS = 60_000;
/** The lifetime assumed when the token endpoint sends no usable `expires_in`. */
const DEFAULT_LIFETIME_MS = 10 * 60_000;

/** No token can be had for a company: it never gave a Company Request Token, or its tokens were refused. */
export class NoCompanyTokenError extends Error {
  readonly companyId: string;
  constructor(companyId: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'NoCompanyTokenError';
    this.companyId = companyId;
  }
}

/** What `createCompanyTokens` reports. */
export interface CompanyTokenEvent {
  level: 'info' | 'warn' | 'error';
  event: 'company-connected' | 'token-refreshed' | 'token-refused' | 'token-unavailable';
  companyId: string;
  message: string;
  error?: unknown;
}

/** Options of `createCompanyTokens`: the token endpoint, the application's credentials, and `fetch`. */
export interface CompanyTokensOptions extends Omit<TokenEndpointOptions, 'scope'> {
  /** Receives what happened to each company's tokens. */
  report?: (event: CompanyTokenEvent) => void;
  /** The clock. Default `Date.now`. */
  now?: () => number;
}

/** The company tokens, by company id. */
export interface CompanyTokens {
  /** Records a company's Company Request Token; it replaces any tokens the company had (a reconnection). */
  setRequestToken(companyId: string, requestToken: string): void;
  /** Exchanges a company's request token now, in the background (failures are reported, and retried at the next use). */
  prefetch(companyId: string): void;
  /** The companies that gave a request token, in the order they gave it. */
  companies(): string[];
  /**
   * A live access token for the company: the current one, else one from the refresh token, else one from the
   * request token. `refresh: true` skips the current one (it was refused). Throws `ConcurOAuthError` for a
   * transport failure (the tokens are kept) and `NoCompanyTokenError` when the company has no usable token.
   */
  accessToken(companyId: string, options?: { refresh?: boolean }): Promise<string>;
}

interface CompanyState {
  requestToken: string | undefined;
  refreshToken: string | undefined;
  accessToken: string | undefined;
  /** When the access token should be renewed (epoch ms). */
  renewAt: number;
  /** The exchange or refresh in progress: concurrent callers share it (a request token works only once). */
  pending: Promise<string> | undefined;
  /** Bumped by `setRequestToken`, so an exchange of a replaced token does not overwrite the new state. */
  generation: number;
}

/** A failure worth retrying later with the same credential: no answer, or the server's own error. */
export function isTransientOAuthError(error: unknown): boolean {
  return error instanceof ConcurOAuthError && (error.status === 0 || error.status === 429 || error.status >= 500);
}

/** Creates the in-memory company token store. */
export function createCompanyTokens(options: CompanyTokensOptions): CompanyTokens {
  const now = options.now ?? Date.now;
  const states = new Map<string, CompanyState>();
  const endpoint: TokenEndpointOptions = {
    tokenUrl: options.tokenUrl,
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    ...(options.fetch !== undefined ? { fetch: options.fetch } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.allowInsecureHttp !== undefined ? { allowInsecureHttp: options.allowInsecureHttp } : {}),
  };

  function report(event: CompanyTokenEvent): void {
    try {
      options.report?.(event);
    } catch {
      // A failing reporter must not break token handling.
    }
  }

  function keep(state: CompanyState, token: TokenResponse): string {
    const seconds = Number(token.expires_in);
    const lifetimeMs = Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : DEFAULT_LIFETIME_MS;
    state.accessToken = token.access_token;
    // Concur may rotate the refresh token; patchbay keeps the same one. Keep whichever came last.
    if (typeof token.refresh_token === 'string' && token.refresh_token !== '') state.refreshToken = token.refresh_token;
    state.renewAt = now() + lifetimeMs - Math.min(REFRESH_MARGIN_MS, lifetimeMs / 2);
    return token.access_token;
  }

  async function obtain(companyId: string, state: CompanyState): Promise<string> {
    const generation = state.generation;
    if (state.refreshToken !== undefined) {
      try {
        const token = await refreshAccessToken(state.refreshToken, endpoint);
        if (state.generation !== generation) return token.access_token;
        report({ level: 'info', event: 'token-refreshed', companyId, message: `got a new access token for company ${companyId} with its refresh token` });
        return keep(state, token);
      } catch (error) {
        if (isTransientOAuthError(error) || !(error instanceof ConcurOAuthError)) throw error;
        // Revoked, expired, or the company disconnected: only a new request token helps.
        if (state.generation === generation) state.refreshToken = undefined;
        report({ level: 'warn', event: 'token-refused', companyId, message: `the refresh token of company ${companyId} was refused (${error.error}): ${error.errorDescription}`, error });
        if (state.requestToken === undefined) {
          throw new NoCompanyTokenError(companyId, `company ${companyId}'s refresh token was refused (${error.error}); connect the company again with a new Company Request Token`, { cause: error });
        }
      }
    }
    const requestToken = state.requestToken;
    if (requestToken === undefined) {
      throw new NoCompanyTokenError(companyId, `company ${companyId} has no token: connect it with a Company Request Token (setCompanyRequestToken)`);
    }
    try {
      const token = await exchangeCompanyRequestToken(companyId, requestToken, endpoint);
      if (state.generation !== generation) return token.access_token;
      // A request token works once: it is spent now, whatever happens next.
      state.requestToken = undefined;
      report({ level: 'info', event: 'company-connected', companyId, message: `exchanged company ${companyId}'s Company Request Token for a company token` });
      return keep(state, token);
    } catch (error) {
      if (isTransientOAuthError(error) || !(error instanceof ConcurOAuthError)) throw error;
      if (state.generation === generation) state.requestToken = undefined;
      report({ level: 'error', event: 'token-refused', companyId, message: `company ${companyId}'s Company Request Token was refused (${error.error}): ${error.errorDescription}`, error });
      throw new NoCompanyTokenError(companyId, `company ${companyId}'s Company Request Token was refused (${error.error}: ${error.errorDescription}); create a new one`, { cause: error });
    }
  }

  function accessToken(companyId: string, callOptions: { refresh?: boolean } = {}): Promise<string> {
    const state = states.get(companyId);
    if (state === undefined) {
      return Promise.reject(new NoCompanyTokenError(companyId, `company ${companyId} has no token: connect it with a Company Request Token (setCompanyRequestToken)`));
    }
    if (state.pending !== undefined) return state.pending;
    if (callOptions.refresh !== true && state.accessToken !== undefined && now() < state.renewAt) return Promise.resolve(state.accessToken);
    if (callOptions.refresh === true) state.accessToken = undefined;
    const pending = obtain(companyId, state).finally(() => {
      if (state.pending === pending) state.pending = undefined;
    });
    state.pending = pending;
    return pending;
  }

  return {
    setRequestToken(companyId, requestToken) {
      if (typeof companyId !== 'string' || companyId === '') throw new TypeError('setCompanyRequestToken: companyId must be a non-empty string');
      if (typeof requestToken !== 'string' || requestToken === '') throw new TypeError('setCompanyRequestToken: the request token must be a non-empty string');
      const previous = states.get(companyId);
      states.set(companyId, {
        requestToken,
        refreshToken: undefined,
        accessToken: undefined,
        renewAt: 0,
        pending: undefined,
        generation: (previous?.generation ?? 0) + 1,
      });
    },
    prefetch(companyId) {
      accessToken(companyId).catch((error: unknown) => {
        if (error instanceof NoCompanyTokenError) return; // already reported
        report({ level: 'warn', event: 'token-unavailable', companyId, message: `could not get a token for company ${companyId} yet (${error instanceof Error ? error.message : String(error)}); retrying at the next notification`, error });
      });
    },
    companies: () => [...states.keys()],
    accessToken,
  };
}
