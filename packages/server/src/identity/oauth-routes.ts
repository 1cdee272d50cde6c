/**
 * Concur's OAuth2 endpoints: `POST /oauth2/v0/token` (form-encoded, every error in Concur's OAuth2
 * shape), `GET /oauth2/v0/jwks`, and `DELETE /app-mgmt/v0/connections` (a user revokes an app's grants).
 */
import { concurErrorHandler } from '../http/concur-errors.ts';
import type { FastifyError, FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Store } from '../store/store.ts';
import type { KeyRing } from './signing-keys.ts';
import type { TokenGuard } from './token-guard.ts';
import { OAUTH_CAUSES, OAuthError } from './oauth-errors.ts';
import { NulCharacterError } from '../http/input-guards.ts';
import { exchangeToken, revokeUserGrants, type OAuthDeps } from './oauth.ts';
import { normalizeLoginId } from '../companies/companies.ts';
import { createSignInThrottle, retryAfterSeconds, type SignInLimits, type SignInThrottle } from '../security/rate-limit.ts';

/** A token request is a handful of short parameters; anything bigger is not one. */
const TOKEN_BODY_LIMIT_BYTES = 16 * 1024;

/** Parses a form body; a repeated parameter is refused, since it would be ambiguous which one counts. */
export function parseForm(body: string): Record<string, string> {
  // No prototype: a parameter named "__proto__" is an ordinary (unknown) parameter, not a prototype.
  const params = Object.create(null) as Record<string, string>;
  for (const [key, value] of new URLSearchParams(body)) {
    if (Object.hasOwn(params, key)) throw new OAuthError('malformedBody', `"${key}" appears more than once`);
    params[key] = value;
  }
  return params;
}

/**
 * Which credential a failed token request got wrong: the client's (unknown client or wrong secret), or
 * the user's password or the company's request token (named by `username`). Other failures (malformed
 * requests, disallowed grants or scopes, unguessable codes and refresh tokens) are not guessing and are
 * not counted.
 */
function wrongCredential(error: unknown): 'client' | 'username' | null {
  if (!(error instanceof OAuthError)) return null;
  if (error.oauth === OAUTH_CAUSES.clientNotFound || error.oauth === OAUTH_CAUSES.clientSecretWrong) return 'client';
  if (error.oauth === OAUTH_CAUSES.incorrectCredentials || error.oauth === OAUTH_CAUSES.requestTokenBad) return 'username';
  return null;
}

/**
 * Registers the OAuth2 routes. Failed token requests are throttled by `throttle` (or one made from
 * `limits`), per client address and client id or username, and per client address.
 */
export async function oauthRoutes(app: FastifyInstance, deps: OAuthDeps & { keys: KeyRing; guard: TokenGuard; store: Store; limits?: SignInLimits; throttle?: SignInThrottle }): Promise<void> {
  const throttle = deps.throttle ?? createSignInThrottle(deps.limits ?? { signInAttemptsPerWindow: 0, signInAttemptsPerIp: 0, signInWindowSeconds: 1 });
  app.get('/oauth2/v0/jwks', { schema: { tags: ['OAuth2'], summary: 'The public keys that verify patchbay\'s JWTs (RFC 7517)' } }, async (_request, reply) => {
    return reply.header('cache-control', 'public, max-age=300').send(await deps.keys.jwks());
  });

  app.delete('/app-mgmt/v0/connections', { errorHandler: concurErrorHandler, schema: { tags: ['OAuth2'], summary: 'Revoke every refresh token of the calling user for the calling app' } }, async (request, reply) => {
    const token = await deps.guard.require(request, { types: ['user'] });
    await revokeUserGrants(deps.store.db, token.appId, token.userId!);
    return reply.code(200).send();
  });

  // The token endpoint lives in its own scope: it alone takes form bodies, and it answers every
  // failure, parsing included, in Concur's OAuth2 error shape.
  await app.register(async (scope) => {
    // Concur's token endpoint takes form bodies only; JSON is refused (415, answered as invalid_request).
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: TOKEN_BODY_LIMIT_BYTES }, (_request, body, done) => {
      try {
        done(null, parseForm(body as string));
      } catch (error) {
        done(error as Error, undefined);
      }
    });
    scope.setErrorHandler((error: FastifyError | OAuthError | NulCharacterError, request, reply) => {
      const oauth =
        error instanceof OAuthError
          ? error
          : error instanceof NulCharacterError
            ? new OAuthError('nulCharacter')
            : error.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
            ? new OAuthError('malformedBody', 'the body is too large')
            : error.statusCode && error.statusCode < 500
              ? new OAuthError('malformedBody', error.message)
              : null;
      if (!oauth) {
        request.log.error({ err: error }, 'token request failed');
        return reply.code(500).send({ error: 'server_error', error_description: 'Something went wrong on our side.', geolocation: deps.geolocation });
      }
      return reply.code(oauth.status).header('cache-control', 'no-store').send(oauth.body(deps.geolocation));
    });
    scope.post(
      '/oauth2/v0/token',
      {
        schema: {
          tags: ['OAuth2'],
          summary: 'Concur\'s token endpoint: client_credentials, password (credtype password or authtoken), authorization_code, refresh_token',
          consumes: ['application/x-www-form-urlencoded'],
          body: Type.Record(Type.String(), Type.String()),
        },
      },
      async (request, reply) => {
        const params = request.body as Record<string, string>;
        const accounts = {
          client: params.client_id ? `client:${params.client_id.toLowerCase()}` : null,
          username: params.username ? `user:${normalizeLoginId(params.username)}` : null,
        };
        const attempt = throttle.begin({
          ip: request.ip,
          accounts: [accounts.client, accounts.username].filter((account) => account !== null),
          // A user's password is what a person chose; client secrets are random (and apps call in parallel).
          passwords: accounts.username === null ? [] : [accounts.username],
        });
        if ('retryAfterMs' in attempt) {
          reply.header('retry-after', String(retryAfterSeconds(attempt.retryAfterMs)));
          throw new OAuthError('tooManyAttempts');
        }
        let response: Awaited<ReturnType<typeof exchangeToken>>;
        try {
          response = await exchangeToken(deps, params);
        } catch (error) {
          const wrong = wrongCredential(error);
          const account = wrong === null ? null : accounts[wrong];
          if (account) attempt.failed([account]);
          else attempt.ended();
          throw error;
        }
        attempt.succeeded();
        return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').send(response);
      },
    );
  });
}
