/**
 * The one check every Concur-compatible endpoint runs on its caller's access token: signature and
 * expiry, token type, scopes, that the application is still active, that a company token's company is
 * still connected, and the company the endpoint acts on. Missing or bad tokens get 401 `invalidUser`
 * (Concur's documented code for an invalid or missing Authorization header), everything
 * else 403, in Concur's error shape with an RFC 6750 `WWW-Authenticate` header.
 */
import type { FastifyRequest } from 'fastify';
import { ConcurApiError } from '../http/concur-errors.ts';
import type { Store } from '../store/store.ts';
import { toBool } from '../store/schema.ts';
import { prepareQuery } from '../store/prepared-query.ts';
import { connectedSince } from './oauth.ts';
import { TokenRejected, type TokenIssuer, type TokenType, type VerifiedToken } from './tokens.ts';

/** What an endpoint demands of its caller's token. */
export interface TokenRequirements {
  /** The token types the endpoint accepts. */
  types: readonly TokenType[];
  /** Scopes the token must all have. */
  allScopes?: readonly string[];
  /** Scopes of which the token must have at least one. */
  anyScope?: readonly string[];
  /** The company the request acts on; company and user tokens of another company are refused. */
  companyId?: string | undefined;
}

/** Verifies callers of Concur-compatible endpoints. */
export interface TokenGuard {
  require(request: FastifyRequest, requirements: TokenRequirements): Promise<VerifiedToken>;
}

const TYPE_NAMES: Record<TokenType, string> = { app: 'an app token', company: 'a company token', user: 'a user token' };

function unauthorized(message: string): ConcurApiError {
  return new ConcurApiError(401, 'invalidUser', message, { 'www-authenticate': `Bearer error="invalid_token", error_description="${message.replaceAll('"', "'")}"` });
}

function forbidden(message: string, scope?: readonly string[]): ConcurApiError {
  const header = scope ? `Bearer error="insufficient_scope", scope="${scope.join(' ')}"` : 'Bearer error="insufficient_scope"';
  return new ConcurApiError(403, 'permissionDenied', message, { 'www-authenticate': header });
}

/** Creates the guard over the store and the token issuer. */
// Checked on every Concur API call, compiled once.
const appActive = prepareQuery<[string], { active: boolean | 0 | 1 }>((db, slot) => db.selectFrom('applications').select('active').where('id', '=', slot(0)));
const userCompany = prepareQuery<[string], { company_id: string }>((db, slot) => db.selectFrom('users').select('company_id').where('id', '=', slot(0)));

export function createTokenGuard(store: Store, tokens: TokenIssuer): TokenGuard {
  return {
    async require(request, requirements) {
      const header = request.headers.authorization;
      const match = header ? /^Bearer\s+([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)\s*$/i.exec(header) : null;
      if (!match) throw unauthorized('Send an access token from /oauth2/v0/token as "Authorization: Bearer <token>".');
      let token: VerifiedToken;
      try {
        token = await tokens.verify(match[1]!);
      } catch (error) {
        if (error instanceof TokenRejected) throw unauthorized(error.message);
        throw error;
      }

      const app = await appActive.first(store.db, [token.appId]);
      if (!app || !toBool(app.active)) throw unauthorized('The application this token was issued to is disabled.');
      if (token.type === 'company') {
        const since = await connectedSince(store.db, token.appId, token.companyId!);
        // A token of an earlier connection (disconnected since, even if reconnected) is revoked.
        if (since === null || since !== token.connectedAt) throw unauthorized('The company is no longer connected to this application; the token was revoked.');
      }
      if (token.type === 'user') {
        const user = await userCompany.first(store.db, [token.userId!]);
        if (!user || user.company_id !== token.companyId) throw unauthorized('The user of this token no longer exists.');
      }

      if (!requirements.types.includes(token.type)) {
        throw forbidden(`This endpoint needs ${requirements.types.map((t) => TYPE_NAMES[t]).join(' or ')}; this is ${TYPE_NAMES[token.type]}.`);
      }
      const missing = (requirements.allScopes ?? []).filter((scope) => !token.scopes.includes(scope));
      if (missing.length > 0) throw forbidden(`The token lacks the scope${missing.length > 1 ? 's' : ''} ${missing.join(', ')}.`, requirements.allScopes);
      if (requirements.anyScope && !requirements.anyScope.some((scope) => token.scopes.includes(scope))) {
        throw forbidden(`The token needs one of the scopes ${requirements.anyScope.join(', ')}.`, requirements.anyScope);
      }
      if (requirements.companyId !== undefined && token.companyId !== null && token.companyId !== requirements.companyId.toLowerCase()) {
        throw forbidden('The token belongs to another company.');
      }
      return token;
    },
  };
}
