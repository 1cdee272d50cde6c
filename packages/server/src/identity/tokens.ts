/**
 * Access tokens as Concur issues them: RS256 JWTs with a numeric `kid`, `concur.*` claims and a
 * 60-minute lifetime, plus the `id_token` that describes the company or user.
 */
import { randomUUID, type KeyObject } from 'node:crypto';
import { SignJWT, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import type { KeyRing } from './signing-keys.ts';

/** Access tokens live one hour, as Concur's do. */
export const ACCESS_TOKEN_SECONDS = 3_600;

/** How many verified tokens are remembered; the oldest is forgotten first. */
const VERIFIED_CACHE_SIZE = 10_000;

/** The three kinds of principal a token can stand for. */
export type TokenType = 'app' | 'company' | 'user';

/** What an access token says about its bearer. */
export interface TokenClaims {
  type: TokenType;
  appId: string;
  scopes: string[];
  /** Set for company and user tokens. */
  companyId: string | null;
  /** Set for user tokens. */
  userId: string | null;
  /**
   * For company tokens: when the company's connection to the app began (epoch ms). A token stays valid
   * only while that same connection lasts, so a disconnect revokes it even if the company reconnects.
   */
  connectedAt?: number | undefined;
}

/** A verified access token. */
export interface VerifiedToken extends TokenClaims {
  tokenId: string;
  issuedAt: number;
  expiresAt: number;
}

/** Why a token was refused; each reason has its own message. */
export class TokenRejected extends Error {
  override readonly name = 'TokenRejected';
}

/** Issues and verifies patchbay's JWTs. */
export interface TokenIssuer {
  accessToken(claims: TokenClaims): Promise<string>;
  idToken(claims: TokenClaims): Promise<string>;
  verify(jwt: string): Promise<VerifiedToken>;
}

/** Creates the issuer; `issuer` is patchbay's public URL (the `iss` claim and the `geolocation`). */
export function createTokenIssuer(keys: KeyRing, issuer: string): TokenIssuer {
  /** Tokens already verified, by their exact text: a client sends the same token on every call. */
  const verified = new Map<string, { token: VerifiedToken; kid: string }>();
  const subjectOf = (claims: TokenClaims): string => claims.userId ?? claims.companyId ?? claims.appId;

  async function sign(payload: JWTPayload, subject: string, audience: string): Promise<string> {
    const { kid, privateKey } = await keys.signingKey();
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT(payload)
      .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
      .setSubject(subject)
      .setIssuer(issuer)
      .setAudience(audience)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + ACCESS_TOKEN_SECONDS)
      .setJti(randomUUID())
      .sign(privateKey);
  }

  return {
    accessToken(claims) {
      return sign(
        {
          'concur.type': claims.type,
          'concur.appId': claims.appId,
          'concur.scopes': claims.scopes,
          'concur.version': 3,
          ...(claims.companyId ? { 'concur.company': claims.companyId } : {}),
          ...(claims.connectedAt !== undefined ? { 'patchbay.connectedAt': claims.connectedAt } : {}),
        },
        subjectOf(claims),
        '*',
      );
    },
    idToken(claims) {
      return sign(
        {
          'concur.type': claims.type,
          'concur.version': 2,
          'concur.profile': `${issuer}/profile/v1/principals/${subjectOf(claims)}`,
          ...(claims.companyId ? { 'concur.company': claims.companyId } : {}),
        },
        subjectOf(claims),
        claims.appId,
      );
    },
    async verify(jwt) {
      const remembered = verified.get(jwt);
      if (remembered) {
        // The signature and the claims were checked before; what can change since is the clock and
        // whether the signing key still verifies.
        if (remembered.token.expiresAt > Date.now() / 1000 && (await keys.verificationKey(remembered.kid))) return remembered.token;
        verified.delete(jwt);
      }
      let payload: JWTPayload;
      let kid = '';
      try {
        ({ payload } = await jwtVerify(
          jwt,
          async (header): Promise<KeyObject> => {
            const key = header.kid ? await keys.verificationKey(header.kid) : null;
            if (!key) throw new TokenRejected('The token was not signed by a key of this patchbay.');
            kid = header.kid!;
            return key;
          },
          { issuer, audience: '*', algorithms: ['RS256'], requiredClaims: ['exp', 'iat', 'sub', 'jti'] },
        ));
      } catch (error) {
        if (error instanceof TokenRejected) throw error;
        if (error instanceof joseErrors.JWTExpired) throw new TokenRejected('The token has expired. Get a new one from /oauth2/v0/token.');
        if (error instanceof joseErrors.JWSSignatureVerificationFailed) throw new TokenRejected('The token\'s signature is not valid.');
        if (error instanceof joseErrors.JWTClaimValidationFailed) throw new TokenRejected(`The token's "${error.claim}" claim is not valid here.`);
        throw new TokenRejected('The token is not a well-formed JWT issued by this patchbay.');
      }
      const type = payload['concur.type'];
      const scopes = payload['concur.scopes'];
      const appId = payload['concur.appId'];
      if ((type !== 'app' && type !== 'company' && type !== 'user') || typeof appId !== 'string' || !Array.isArray(scopes) || !scopes.every((s) => typeof s === 'string')) {
        throw new TokenRejected('The token is not an access token.');
      }
      const company = payload['concur.company'];
      const connectedAt = payload['patchbay.connectedAt'];
      const token: VerifiedToken = {
        type,
        appId,
        scopes: scopes as string[],
        companyId: type === 'app' ? null : typeof company === 'string' ? company : null,
        userId: type === 'user' ? payload.sub! : null,
        connectedAt: typeof connectedAt === 'number' ? connectedAt : undefined,
        tokenId: payload.jti!,
        issuedAt: payload.iat!,
        expiresAt: payload.exp!,
      };
      if (verified.size >= VERIFIED_CACHE_SIZE) verified.delete(verified.keys().next().value!);
      // Frozen: every later call with this token gets the same object.
      Object.freeze(token.scopes);
      verified.set(jwt, { token: Object.freeze(token), kid });
      return token;
    },
  };
}
