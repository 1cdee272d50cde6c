// The single HTTPS client for every call patchbay makes to a customer-hosted
// application connector (Test Connection now, the callouts later).
//
// Security model, in the order the checks run:
//   1. https: only (Concur never calls connectors over plain HTTP).
//   2. The URL host must be on the company's safe list. This runs before any
//      DNS so a host that is not allowed is never resolved or contacted.
//   3. Literal IP hosts are checked against the private-address policy here,
//      because Node does not call `lookup` for them.
//   4. Names are resolved inside the socket's own `lookup` hook, and every
//      resolved address is checked there. The socket then connects to exactly
//      those addresses, so a second DNS answer (DNS rebinding) cannot slip a
//      private address in between the check and the connect.
//   5. TLS 1.2+, certificate verified against the default trust store plus an
//      optional extra CA bundle.
//   6. Redirects are never followed; the response body is capped; one deadline
//      covers connect, headers and body.

import dns from 'node:dns';
import net from 'node:net';
import tls from 'node:tls';
import { performance } from 'node:perf_hooks';
import { domainToASCII } from 'node:url';
import { Agent, request } from 'undici';

/** Which private address ranges outbound calls may reach. */
export type PrivateAddressPolicy = 'none' | 'loopback' | 'all';

/** Settings fixed for the lifetime of one outbound client. */
export interface OutboundClientOptions {
  /** PEM bundle trusted in addition to the default CAs. */
  extraCa?: string;
  /** Which private address ranges may be reached ('loopback' is for local development and tests). */
  privateAddresses: PrivateAddressPolicy;
  /** Whole-call deadline in milliseconds (connect + headers + body). */
  timeoutMs: number;
  /** Largest response body accepted, in bytes. */
  maxResponseBytes: number;
  /** A client certificate and key (PEM) presented for mutual TLS, as Concur's ESS presents one to webhooks. */
  clientCertificate?: { cert: string; key: string };
  /** Whether plain http:// URLs may be called (local development of webhook receivers only). */
  allowHttp?: boolean;
  /**
   * Keep only the first `maxResponseBytes` of a larger body instead of failing the call: for webhooks,
   * whose answer is an acknowledgement and whose body is only logged.
   */
  truncateResponses?: boolean;
}

/** One call to a connector. */
export interface OutboundRequest {
  /** Absolute URL; must be https:. */
  url: string;
  /** HTTP method. */
  method: 'GET' | 'POST';
  /** Request headers. */
  headers?: Record<string, string>;
  /** Request body, sent with Content-Length (never chunked). */
  body?: string | Buffer;
  /**
   * The company's safe list: exact host names (case-insensitive) or '*.example.com' suffix entries.
   * Absent for calls that need no safe list (ESS webhooks); the address checks still apply.
   */
  allowedHosts?: readonly string[];
  /** This call's deadline in milliseconds, when shorter than the client's (per-service callout timeouts). */
  timeoutMs?: number;
}

/** What became of one call: the HTTP response (any status, including 3xx) or a classified failure. */
export type OutboundResult =
  | { ok: true; status: number; headers: Record<string, string>; body: Buffer; durationMs: number }
  | { ok: false; failure: OutboundFailure; message: string; durationMs: number };

/** Why a call produced no usable HTTP response. */
export type OutboundFailure =
  | 'not_https'
  | 'host_not_allowed'
  | 'private_address'
  | 'dns_failure'
  | 'connection_refused'
  | 'connection_reset'
  | 'tls_failure'
  | 'self_signed_certificate'
  | 'timeout'
  | 'response_too_large'
  | 'network_error';

/** The outbound HTTPS client; `send` never throws for network problems. */
export interface OutboundClient {
  /** Performs one call and reports its outcome. */
  send(req: OutboundRequest): Promise<OutboundResult>;
  /** Closes pooled connections; the client cannot be used afterwards. */
  close(): Promise<void>;
}

/** Creates an outbound client with one keep-alive connection pool. */
export function createOutboundClient(options: OutboundClientOptions): OutboundClient {
  const { privateAddresses: policy, maxResponseBytes } = options;

  // Passing `ca` replaces Node's trust store rather than extending it, so the
  // default store (bundled roots, plus NODE_EXTRA_CA_CERTS / --use-system-ca
  // when the operator configured them) is included explicitly.
  const ca = options.extraCa === undefined ? undefined : [...tls.getCACertificates('default'), options.extraCa];

  // Built once: a context holding the whole CA bundle takes milliseconds to build, and undici would
  // otherwise build one for every new connection.
  const secureContext = tls.createSecureContext({ minVersion: 'TLSv1.2', ...(ca === undefined ? {} : { ca }), ...(options.clientCertificate ?? {}) });
  const agent = new Agent({
    connect: {
      minVersion: 'TLSv1.2',
      rejectUnauthorized: true,
      secureContext,
      lookup: guardedLookup(policy),
      timeout: options.timeoutMs,
    },
    // Concur talks HTTP/1.1 to connectors; undici would otherwise offer h2 via ALPN.
    allowH2: false,
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    // Backstop only: `send` enforces the cap itself to report it precisely (or truncates).
    maxResponseSize: options.truncateResponses ? -1 : maxResponseBytes,
  });

  async function send(req: OutboundRequest): Promise<OutboundResult> {
    const timeoutMs = Math.min(req.timeoutMs ?? options.timeoutMs, options.timeoutMs);
    const started = performance.now();
    const elapsed = (): number => Math.round(performance.now() - started);
    const fail = (failure: OutboundFailure, message: string): OutboundResult => ({ ok: false, failure, message, durationMs: elapsed() });

    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      return fail('not_https', `"${req.url}" is not a valid URL; connector URLs must look like https://host[:port]/path.`);
    }
    const host = bareHost(url.hostname);
    // url.host keeps a non-default port, which helps the developer find the right listener.
    const where = url.host;
    if (url.protocol !== 'https:' && !(options.allowHttp && url.protocol === 'http:')) {
      return fail('not_https', `Refusing to call ${where} over ${url.protocol.slice(0, -1)}: connectors must be reached over https:// (TLS 1.2 or higher).`);
    }
    if (req.allowedHosts !== undefined && !isHostAllowed(host, req.allowedHosts)) {
      return fail('host_not_allowed', `${host} is not on the company's safe list of connector hosts; add it to the safe list before calling it.`);
    }
    if (net.isIP(host) !== 0) {
      const refusal = refusalFor(host, policy);
      if (refusal !== null) {
        return fail('private_address', `${host} is ${refusal.label}; connectors must be reachable on a public IP address.`);
      }
    }

    const controller = new AbortController();
    // The abort waits one more turn of the event loop (setImmediate runs after pending I/O): if the
    // process was stalled past the deadline while the answer had already arrived, the answer wins,
    // rather than a delivered webhook being recorded as timed out (and sent again).
    const timer = setTimeout(() => setImmediate(() => controller.abort(new DeadlineExceeded())), timeoutMs);
    // undici does not act on an abort while the socket is still connecting: it
    // waits for the connect to finish (or hit its own timeout) before
    // rejecting. Racing the signal keeps the deadline strict.
    const deadline = new Promise<never>((_resolve, reject) => {
      controller.signal.addEventListener('abort', () => reject(controller.signal.reason as Error), { once: true });
    });
    deadline.catch(() => {}); // only observed through the race below
    try {
      const pending = request(url, {
        dispatcher: agent,
        method: req.method,
        headers: req.headers ?? {},
        body: req.body,
        signal: controller.signal,
      });
      // If the deadline wins, undici still rejects `pending` later (with the abort reason).
      pending.catch(() => {});
      const response = await Promise.race([pending, deadline]);
      const tooLarge = (): OutboundResult =>
        fail('response_too_large', `The response from ${where} is larger than the ${maxResponseBytes}-byte limit; connectors must return smaller responses.`);

      const declared = Number(response.headers['content-length']);
      if (!options.truncateResponses && Number.isFinite(declared) && declared > maxResponseBytes) {
        response.body.destroy();
        return tooLarge();
      }
      const chunks: Buffer[] = [];
      let total = 0;
      for await (const chunk of response.body as AsyncIterable<Buffer>) {
        total += chunk.length;
        // Leaving the loop destroys the body stream, which makes undici drop
        // the socket instead of draining an oversized body.
        if (total > maxResponseBytes) {
          if (!options.truncateResponses) return tooLarge();
          chunks.push(chunk.subarray(0, chunk.length - (total - maxResponseBytes)));
          total = maxResponseBytes;
          break;
        }
        chunks.push(chunk);
      }
      return {
        ok: true,
        status: response.statusCode,
        headers: flattenHeaders(response.headers),
        body: Buffer.concat(chunks, total),
        durationMs: elapsed(),
      };
    } catch (error) {
      if (controller.signal.aborted) {
        return fail('timeout', `${where} did not send a complete response within ${timeoutMs} ms; check that the connector is reachable and answers promptly.`);
      }
      const classified = classifyError(error, host, where, timeoutMs, maxResponseBytes);
      if (classified === null) throw error;
      return fail(classified.failure, classified.message);
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    send,
    close: () => agent.close(),
  };
}

// ---------------------------------------------------------------------------
// Safe list

/** Lower-cases, strips IPv6 brackets and a trailing root dot, so equal hosts compare equal. */
function bareHost(hostname: string): string {
  let host = hostname.toLowerCase();
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host.endsWith('.')) host = host.slice(0, -1);
  return host;
}

function normaliseEntry(entry: string): string {
  const host = bareHost(entry.trim());
  // Spell IPv6 literals the way the URL parser does ('0:0::1' and '::1' are one host).
  if (net.isIPv6(host)) return bareHost(new URL(`https://[${host}]/`).hostname);
  // The URL parser turns international names into punycode; do the same to entries.
  const wildcard = host.startsWith('*.');
  const name = wildcard ? host.slice(2) : host;
  const ascii = domainToASCII(name) || name;
  return wildcard ? `*.${ascii}` : ascii;
}

function isHostAllowed(host: string, allowedHosts: readonly string[]): boolean {
  const literalIp = net.isIP(host) !== 0;
  for (const raw of allowedHosts) {
    const entry = normaliseEntry(raw);
    if (entry.startsWith('*.')) {
      // '*.example.com' covers any depth of sub-domain but not example.com itself,
      // and never an IP literal.
      const suffix = entry.slice(1);
      if (!literalIp && host.length > suffix.length && host.endsWith(suffix)) return true;
    } else if (entry === host) {
      return true;
    }
  }
  return false;
}

// ---------------------------------------------------------------------------
// Private address policy

interface Refusal {
  label: string;
  loopback: boolean;
}

interface Range {
  prefix: readonly number[];
  bits: number;
  label: string;
  loopback?: true;
}

const IPV4_RANGES: readonly Range[] = [
  { prefix: [0, 0, 0, 0], bits: 8, label: 'an unspecified ("this network") address' },
  { prefix: [10, 0, 0, 0], bits: 8, label: 'a private (RFC 1918) address' },
  { prefix: [100, 64, 0, 0], bits: 10, label: 'a carrier-grade NAT (RFC 6598) address' },
  { prefix: [127, 0, 0, 0], bits: 8, label: 'a loopback address', loopback: true },
  // Listed before link-local so the message names the real danger.
  { prefix: [169, 254, 169, 254], bits: 32, label: 'the cloud instance metadata address' },
  { prefix: [169, 254, 0, 0], bits: 16, label: 'a link-local address' },
  { prefix: [172, 16, 0, 0], bits: 12, label: 'a private (RFC 1918) address' },
  { prefix: [192, 0, 0, 0], bits: 24, label: 'a reserved (IETF protocol assignment) address' },
  { prefix: [192, 0, 2, 0], bits: 24, label: 'a documentation (TEST-NET) address' },
  { prefix: [192, 168, 0, 0], bits: 16, label: 'a private (RFC 1918) address' },
  { prefix: [198, 18, 0, 0], bits: 15, label: 'a benchmarking (RFC 2544) address' },
  { prefix: [198, 51, 100, 0], bits: 24, label: 'a documentation (TEST-NET) address' },
  { prefix: [203, 0, 113, 0], bits: 24, label: 'a documentation (TEST-NET) address' },
  { prefix: [224, 0, 0, 0], bits: 4, label: 'a multicast address' },
  { prefix: [240, 0, 0, 0], bits: 4, label: 'a reserved or broadcast address' },
];

const IPV6_RANGES: readonly Range[] = [
  { prefix: ipv6Bytes('::'), bits: 128, label: 'the unspecified address' },
  { prefix: ipv6Bytes('::1'), bits: 128, label: 'a loopback address', loopback: true },
  { prefix: ipv6Bytes('::'), bits: 96, label: 'a deprecated IPv4-compatible address' },
  { prefix: ipv6Bytes('64:ff9b:1::'), bits: 48, label: 'a local-use NAT64 address' },
  { prefix: ipv6Bytes('100::'), bits: 64, label: 'a discard-only address' },
  { prefix: ipv6Bytes('2001:db8::'), bits: 32, label: 'a documentation address' },
  { prefix: ipv6Bytes('fc00::'), bits: 7, label: 'a unique-local (private) address' },
  { prefix: ipv6Bytes('fe80::'), bits: 10, label: 'a link-local address' },
  { prefix: ipv6Bytes('fec0::'), bits: 10, label: 'a site-local (private) address' },
  { prefix: ipv6Bytes('ff00::'), bits: 8, label: 'a multicast address' },
];

// IPv6 forms that carry an IPv4 address and reach it: IPv4-mapped (::ffff:a.b.c.d),
// NAT64 well-known prefix (64:ff9b::a.b.c.d) and 6to4 (2002:aabb:ccdd::).
const EMBEDDED_IPV4: readonly { prefix: readonly number[]; bits: number; offset: number; label: string }[] = [
  { prefix: ipv6Bytes('::ffff:0:0'), bits: 96, offset: 12, label: 'IPv4-mapped' },
  { prefix: ipv6Bytes('64:ff9b::'), bits: 96, offset: 12, label: 'NAT64' },
  { prefix: ipv6Bytes('2002::'), bits: 16, offset: 2, label: '6to4' },
];

function refusalFor(address: string, policy: PrivateAddressPolicy): Refusal | null {
  if (policy === 'all') return null;
  const refusal = classifyAddress(address);
  if (refusal === null) return null;
  if (policy === 'loopback' && refusal.loopback) return null;
  return refusal;
}

/** Returns why an address is not public, or null when it is a public unicast address. */
function classifyAddress(address: string): Refusal | null {
  const plain = address.split('%')[0] ?? address; // drop an IPv6 zone id (fe80::1%eth0)
  if (net.isIPv4(plain)) return matchRange(plain.split('.').map(Number), IPV4_RANGES);
  if (!net.isIPv6(plain)) return { label: 'not a valid IP address', loopback: false };
  const bytes = ipv6Bytes(plain);
  for (const form of EMBEDDED_IPV4) {
    if (prefixMatches(bytes, form.prefix, form.bits)) {
      const ipv4 = bytes.slice(form.offset, form.offset + 4);
      const inner = matchRange(ipv4, IPV4_RANGES);
      return inner === null ? null : { label: `${inner.label} (${form.label} ${ipv4.join('.')})`, loopback: inner.loopback };
    }
  }
  return matchRange(bytes, IPV6_RANGES);
}

function matchRange(bytes: readonly number[], ranges: readonly Range[]): Refusal | null {
  for (const range of ranges) {
    if (prefixMatches(bytes, range.prefix, range.bits)) return { label: range.label, loopback: range.loopback === true };
  }
  return null;
}

function prefixMatches(bytes: readonly number[], prefix: readonly number[], bits: number): boolean {
  for (let i = 0; i < prefix.length && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((bytes[i] ?? 0) & mask) !== ((prefix[i] ?? 0) & mask)) return false;
  }
  return true;
}

/** 16 bytes of a syntactically valid IPv6 address (as accepted by net.isIPv6). */
function ipv6Bytes(address: string): number[] {
  let text = address;
  // Rewrite a dotted IPv4 tail (::ffff:1.2.3.4) as two hex groups.
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const [a = 0, b = 0, c = 0, d = 0] = tail.split('.').map(Number);
    text = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  let groups: string[];
  const gap = text.indexOf('::');
  if (gap === -1) {
    groups = text.split(':');
  } else {
    const left = text.slice(0, gap);
    const right = text.slice(gap + 2);
    const leftGroups = left === '' ? [] : left.split(':');
    const rightGroups = right === '' ? [] : right.split(':');
    groups = [...leftGroups, ...Array<string>(8 - leftGroups.length - rightGroups.length).fill('0'), ...rightGroups];
  }
  return groups.flatMap((group) => {
    const value = parseInt(group, 16);
    return [value >> 8, value & 0xff];
  });
}

/** Carries a private-address refusal out of the socket's lookup hook. */
class PrivateAddressError extends Error {
  readonly code = 'PATCHBAY_PRIVATE_ADDRESS';
  readonly host: string;
  readonly address: string;
  readonly refusal: Refusal;
  constructor(host: string, address: string, refusal: Refusal) {
    super(`${host} resolves to ${address}, ${refusal.label}`);
    this.name = 'PrivateAddressError';
    this.host = host;
    this.address = address;
    this.refusal = refusal;
  }
}

/** Marks an abort caused by the whole-call deadline. */
class DeadlineExceeded extends Error {
  constructor() {
    super('outbound call deadline exceeded');
    this.name = 'DeadlineExceeded';
  }
}

/**
 * A `lookup` for net/tls.connect that resolves every address of the name and
 * refuses the connection if any of them is forbidden by the policy. Refusing on
 * any (rather than filtering) is deliberate: a name that mixes public and
 * private answers is either misconfigured or a rebinding attempt.
 */
function guardedLookup(policy: PrivateAddressPolicy): net.LookupFunction {
  return (hostname, lookupOptions, callback) => {
    dns.lookup(hostname, { ...lookupOptions, all: true }, (error, addresses) => {
      if (error) {
        callback(error, '', 0);
        return;
      }
      for (const { address } of addresses) {
        const refusal = refusalFor(address, policy);
        if (refusal !== null) {
          callback(new PrivateAddressError(hostname, address, refusal), '', 0);
          return;
        }
      }
      const first = addresses[0];
      if (lookupOptions.all) callback(null, addresses);
      else if (first === undefined) callback(Object.assign(new Error(`${hostname} has no addresses`), { code: 'ENOTFOUND' }), '', 0);
      else callback(null, first.address, first.family);
    });
  };
}

// ---------------------------------------------------------------------------
// Error classification

const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NODATA', 'EAI_NONAME', 'ENODATA', 'ESERVFAIL']);
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'UND_ERR_SOCKET', 'ERR_STREAM_PREMATURE_CLOSE']);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
const SELF_SIGNED_CODES = new Set(['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN']);
const UNKNOWN_ISSUER_CODES = new Set(['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY']);
// Errors that are bugs in the caller, not network conditions: let them throw.
const PROGRAMMER_CODES = new Set(['UND_ERR_INVALID_ARG', 'UND_ERR_CLOSED', 'UND_ERR_DESTROYED', 'ERR_INVALID_ARG_TYPE', 'ERR_INVALID_ARG_VALUE']);

interface Classified {
  failure: OutboundFailure;
  message: string;
}

/** Every error in the chain: undici and net wrap causes and bundle happy-eyeballs attempts in AggregateErrors. */
function errorChain(error: unknown): { code: string; error: Error }[] {
  const found: { code: string; error: Error }[] = [];
  const seen = new Set<unknown>();
  const visit = (value: unknown): void => {
    if (!(value instanceof Error) || seen.has(value)) return;
    seen.add(value);
    const code = (value as { code?: unknown }).code;
    found.push({ code: typeof code === 'string' ? code : '', error: value });
    if (value instanceof AggregateError) for (const inner of value.errors) visit(inner);
    visit(value.cause);
  };
  visit(error);
  return found;
}

function classifyError(error: unknown, host: string, where: string, timeoutMs: number, maxResponseBytes: number): Classified | null {
  const chain = errorChain(error);
  const has = (test: (code: string, error: Error) => boolean) => chain.find(({ code, error: e }) => test(code, e));

  if (has((code) => PROGRAMMER_CODES.has(code))) return null;

  const privateHit = has((_code, e) => e instanceof PrivateAddressError);
  if (privateHit !== undefined) {
    const e = privateHit.error as PrivateAddressError;
    return {
      failure: 'private_address',
      message: `${e.host} resolves to ${e.address}, ${e.refusal.label}; connectors must be reachable on a public IP address, so fix the host's DNS record.`,
    };
  }

  const selfSigned = has((code) => SELF_SIGNED_CODES.has(code));
  if (selfSigned !== undefined) {
    return {
      failure: 'self_signed_certificate',
      message: `${where} presented a self-signed certificate. Concur requires connectors to use a certificate signed by a certificate authority (CA); install a CA-signed certificate on the connector.`,
    };
  }

  const tlsHit = has((code) => isTlsCode(code));
  if (tlsHit !== undefined) {
    return { failure: 'tls_failure', message: `The TLS handshake with ${where} failed: ${tlsReason(tlsHit.code, tlsHit.error, host)}.` };
  }

  if (has((code) => DNS_CODES.has(code)) !== undefined) {
    return {
      failure: 'dns_failure',
      message: `The host name ${host} could not be resolved in DNS; check the host name in the connector registration and that it has a public DNS record.`,
    };
  }
  if (has((code) => code === 'ECONNREFUSED') !== undefined) {
    return {
      failure: 'connection_refused',
      message: `${where} refused the connection; check that the connector is running and accepting HTTPS connections on that port.`,
    };
  }
  if (has((code) => TIMEOUT_CODES.has(code)) !== undefined) {
    return {
      failure: 'timeout',
      message: `${where} did not send a complete response within ${timeoutMs} ms; check that the connector is reachable and answers promptly.`,
    };
  }
  if (has((code) => code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') !== undefined) {
    return {
      failure: 'response_too_large',
      message: `The response from ${where} is larger than the ${maxResponseBytes}-byte limit; connectors must return smaller responses.`,
    };
  }
  if (has((code) => RESET_CODES.has(code)) !== undefined) {
    return {
      failure: 'connection_reset',
      message: `${where} closed the connection before sending a complete response; check the connector's logs and its HTTPS server configuration.`,
    };
  }
  const first = chain[0];
  const detail = first === undefined ? String(error) : `${first.error.message}${first.code ? ` (${first.code})` : ''}`;
  return { failure: 'network_error', message: `The call to ${where} failed: ${detail}; check that the connector is reachable from this server.` };
}

function isTlsCode(code: string): boolean {
  return (
    UNKNOWN_ISSUER_CODES.has(code) ||
    code.startsWith('CERT_') ||
    code.startsWith('ERR_TLS_') ||
    code.startsWith('ERR_SSL_') ||
    code === 'HOSTNAME_MISMATCH' ||
    code === 'INVALID_CA' ||
    code === 'INVALID_PURPOSE' ||
    code === 'UNABLE_TO_DECRYPT_CERT_SIGNATURE' ||
    code === 'EPROTO'
  );
}

function tlsReason(code: string, error: Error, host: string): string {
  if (UNKNOWN_ISSUER_CODES.has(code)) {
    return 'its certificate was issued by an unknown certificate authority; use a certificate from a public CA and serve the full chain, including intermediate certificates';
  }
  switch (code) {
    case 'CERT_HAS_EXPIRED':
      return 'its certificate has expired; renew the certificate';
    case 'CERT_NOT_YET_VALID':
      return "its certificate is not valid yet; check the certificate's start date and the server clock";
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
    case 'HOSTNAME_MISMATCH':
      return `its certificate does not cover the host name ${host}; use a certificate whose subjectAltName includes ${host}`;
    case 'ERR_SSL_UNSUPPORTED_PROTOCOL':
    case 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION':
      return 'the connector does not support TLS 1.2 or higher, which Concur requires';
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
    case 'ERR_SSL_PACKET_LENGTH_TOO_LONG':
      return 'the server did not answer with TLS; check that the port serves HTTPS and not plain HTTP';
    default:
      return `${error.message} (${code})`;
  }
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}
