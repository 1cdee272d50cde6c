/**
 * HTTP Basic authentication of Concur's callouts (spec §0, §5): Concur sends the connector's registered user
 * name and password with every callout and with Test Connection. Both are 10 to 50 characters, as Concur
 * requires of a registration since 2021-02-20.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** The user name and password registered for the connector in Concur (or patchbay). */
export interface ConnectorCredentials {
  /** 10 to 50 characters, without `:` (HTTP Basic cannot carry a colon in the user name). */
  userName: string;
  /** 10 to 50 characters. */
  password: string;
}

/** The shortest user name or password Concur accepts. */
export const MIN_CREDENTIAL_LENGTH = 10;
/** The longest user name or password Concur accepts. */
export const MAX_CREDENTIAL_LENGTH = 50;

/** Thrown by `createConnector` for options that cannot work (bad credentials, missing TLS material...). */
export class ConnectorConfigError extends TypeError {
  constructor(message: string) {
    super(message);
    this.name = 'ConnectorConfigError';
  }
}

/** Whether a value has a C0 control or DEL: a browser or Concur's admin page cannot send them in a credential. */
function hasControl(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/** Checks the credentials as Concur's registration page does; throws `ConnectorConfigError`. */
export function checkCredentials(credentials: ConnectorCredentials | undefined): ConnectorCredentials {
  if (credentials === null || typeof credentials !== 'object') throw new ConnectorConfigError('credentials { userName, password } are required');
  const { userName, password } = credentials;
  for (const [name, value] of [['userName', userName], ['password', password]] as const) {
    if (typeof value !== 'string') throw new ConnectorConfigError(`credentials.${name} must be a string`);
    const length = [...value].length;
    if (length < MIN_CREDENTIAL_LENGTH || length > MAX_CREDENTIAL_LENGTH) {
      throw new ConnectorConfigError(
        `credentials.${name} is ${length} characters: Concur requires ${MIN_CREDENTIAL_LENGTH} to ${MAX_CREDENTIAL_LENGTH} characters for a connector's user name and password`,
      );
    }
    if (hasControl(value)) throw new ConnectorConfigError(`credentials.${name} contains a control character`);
  }
  if (userName.includes(':')) throw new ConnectorConfigError('credentials.userName must not contain ":" (HTTP Basic authentication cannot carry it)');
  return { userName, password };
}

// The digest of `user:password` as bytes. Both sides are hashed to 32 bytes before `timingSafeEqual`, so neither
// the content nor the length of the expected credentials leaks through the comparison's timing.
function digest(bytes: Buffer): Buffer {
  return createHash('sha256').update(bytes).digest();
}

const BASIC = /^Basic[ \t]+([A-Za-z0-9+/]+={0,2})[ \t]*$/i;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** A checker of `Authorization` headers against the connector's credentials. */
export type BasicAuthChecker = (header: string | undefined) => boolean;

/**
 * Returns a function that tells whether an `Authorization` header carries exactly the given credentials:
 * `Basic ` + Base64(`userName:password`) in UTF-8. A missing, non-Basic or malformed header is refused. The
 * decoded bytes are compared with the expected ones in constant time (SHA-256 of both, `timingSafeEqual`).
 */
export function basicAuthChecker(credentials: ConnectorCredentials): BasicAuthChecker {
  const expected = digest(Buffer.from(`${credentials.userName}:${credentials.password}`, 'utf8'));
  return (header) => {
    if (typeof header !== 'string' || header.length > 1024) return false;
    const match = BASIC.exec(header);
    const encoded = match?.[1];
    if (encoded === undefined || !BASE64.test(encoded)) return false;
    const decoded = Buffer.from(encoded, 'base64');
    if (!decoded.includes(0x3a)) return false;
    return timingSafeEqual(digest(decoded), expected);
  };
}

/** The `Authorization` header value for the credentials: what Concur (and patchbay) sends. */
export function basicAuthorization(userName: string, password: string): string {
  return `Basic ${Buffer.from(`${userName}:${password}`, 'utf8').toString('base64')}`;
}
