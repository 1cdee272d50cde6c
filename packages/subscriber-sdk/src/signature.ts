/**
 * `Concur-Signature` verification. Concur's ESS (and patchbay) sign the exact bytes of each webhook
 * body with RSASSA-PSS, SHA-256, MGF1-SHA-256 and the MAXIMUM salt length (222 bytes for an RSA-2048
 * key), and send the signature base64-encoded. Many libraries default to a salt as long as the hash
 * (32 bytes) and then reject every genuine signature; verifying with `RSA_PSS_SALTLEN_AUTO` reads the
 * salt length from the signature itself, so it accepts Concur's maximum salt.
 */
import { X509Certificate, constants, createPublicKey, verify, type KeyObject } from 'node:crypto';

/** A verification key: a KeyObject, a PEM public key, or a PEM certificate (ESS's client certificate). */
export type PublicKeyInput = KeyObject | string;

/** Standard base64 (Concur's encoding) or base64url, optionally padded. */
const BASE64 = /^(?:[A-Za-z0-9+/]+={0,2}|[A-Za-z0-9_-]+={0,2})$/;
/** A signature of an RSA key up to 16384 bits is at most 2048 bytes (2732 base64 characters). */
const MAX_SIGNATURE_CHARS = 2_732;

/**
 * Turns a PEM public key or PEM certificate into a KeyObject; throws when it is neither. Use it when
 * loading configuration, so a wrong key fails at start-up instead of failing every signature.
 */
export function loadPublicKey(input: PublicKeyInput): KeyObject {
  if (typeof input !== 'string') {
    if (input.type === 'secret') throw new TypeError('A Concur-Signature key must be an RSA public key, not a secret key.');
    return input.type === 'private' ? createPublicKey(input) : input;
  }
  const key = input.includes('-----BEGIN CERTIFICATE-----') ? new X509Certificate(input).publicKey : createPublicKey(input);
  if (key.asymmetricKeyType !== 'rsa' && key.asymmetricKeyType !== 'rsa-pss') {
    throw new TypeError(`A Concur-Signature key must be an RSA key, not ${key.asymmetricKeyType ?? 'an unknown key type'}.`);
  }
  return key;
}

/**
 * Whether `signatureHeader` (the base64 `Concur-Signature` header) is a valid signature of `body` (the
 * exact bytes received: a string is taken as its UTF-8 bytes) by `publicKey`. Never throws: a
 * missing, malformed or wrong signature, or an unusable key, all give `false`.
 *
 * Verify the raw body before parsing it: re-serializing the parsed JSON does not reproduce the bytes
 * that were signed.
 */
export function verifySignature(body: Buffer | string, signatureHeader: string | null | undefined, publicKey: PublicKeyInput): boolean {
  try {
    if (typeof signatureHeader !== 'string') return false;
    const encoded = signatureHeader.trim();
    if (encoded.length === 0 || encoded.length > MAX_SIGNATURE_CHARS || !BASE64.test(encoded)) return false;
    const signature = Buffer.from(encoded.replaceAll('-', '+').replaceAll('_', '/'), 'base64');
    const key = loadPublicKey(publicKey);
    // A PSS signature is exactly as long as the modulus; anything else is not one of ours.
    const modulusBits = key.asymmetricKeyDetails?.modulusLength;
    if (modulusBits !== undefined && signature.length !== Math.ceil(modulusBits / 8)) return false;
    const data = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    if (!Buffer.isBuffer(data)) return false;
    return verify('sha256', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO }, signature);
  } catch {
    return false;
  }
}
