/**
 * Hostile connectors, on SQLite and PostgreSQL: a real HTTPS connector (trusted dev CA, Basic auth) whose
 * answer to each callout is scripted, driven through patchbay's real API: Fetch Attendee (the attendee
 * search, and adding an attendee by its ExternalID, which looks it up again), Fetch List (the list search
 * and the choice, which is confirmed by the one-to-one CODE call and stored in the request) and Event
 * Notification (through the queue: a request submitted into an External Validation step).
 *
 * Every bad answer a connector can give (too slow, silent, dripping, a TLS handshake that never ends, HTTP
 * errors, binary error pages, HTML, garbage, malformed, truncated, oversized with and without Content-Length,
 * compressed, with huge headers, XXE, entity expansion, deep nesting, missing or too long values, too many
 * results, a wrong root, item codes that do not match, resets before and after the headers, a redirect, a
 * self-signed certificate) must end the same way: the user gets a 4xx/502 whose message names the reason,
 * the call log has one line with the right outcome, the call ends within the service's timeout (guarded at
 * timeout + 5 s, not timed), nothing in the request changes, patchbay answers /healthz and the next good
 * call, and nothing answers 500. Event Notifications are not shown to a user: there the queue records the
 * failed attempt with its reason, keeps the notification PENDING, and delivers it once the connector
 * answers well.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import { createSecureContext, type SecureContext } from 'node:tls';
import { gzipSync } from 'node:zlib';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  buildAttendeeSearchResponse,
  buildFetchListResponse,
  fetchListItemCode,
  fetchListQueryMatches,
  parseAttendeeSearchRequest,
  parseFetchListRequest,
} from '@patchbay/callout-xml';
import { createDevCa, selfSigned, type TlsMaterial } from '../support/tls-fixture.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { signIn, type ApiClient, type ApiResponse } from '../support/api-client.ts';
import { storeSuites } from '../support/stores.ts';
import { createRequestFixture, type PolicyRef, type RequestApi, type RequestFixture } from '../support/request-fixtures.ts';

const USER = 'Hostile-Connector-User';
const PASSWORD = 'H0stile-Connector-Passw0rd!';
/** Every callout's deadline here (PATCHBAY_FETCH_ATTENDEE/FETCH_LIST/NOTIFICATION_TIMEOUT_MS): short, so slow cases stay quick. */
const TIMEOUT_MS = 800;
/** PATCHBAY_OUTBOUND_MAX_RESPONSE_BYTES. */
const MAX_RESPONSE_BYTES = 65_536;
/** A hang guard, not a timing assertion: a call that ends later than this did not respect its deadline. */
const HANG_GUARD_MS = TIMEOUT_MS + 5_000;
/** Wait before an Event Notification is posted again: long enough that a case sees its first attempt alone. */
const NOTIFICATION_RETRY_BASE_MS = 400;

const PATHS = {
  attendee: '/concur/attendee/v2.0/fetch',
  list: '/concur/list/v1.2/fetch',
  notification: '/concur/v1.0/notify',
} as const;
const TEST_CONNECTION = '/system/v1.0/testconnection';
/** Where the redirect case points; nothing may ever come here. */
const ELSEWHERE = '/elsewhere';

/** A callout service of the hostile connector. */
type Service = keyof typeof PATHS;

// ---------------------------------------------------------------------------------------------------
// The hostile connector

/** One callout the hostile connector received, with the means to answer it badly (or well). */
interface HostileCall {
  service: Service;
  body: string;
  request: IncomingMessage;
  response: ServerResponse;
  socket: Socket;
  /** The right answer to this call (a well-formed XML document, or OK for a notification). */
  good(): string;
}

/** How the connector answers a call. */
type Behaviour = (call: HostileCall) => void;

/** A running hostile connector. */
interface HostileConnector {
  url: string;
  /** Paths of every request that reached the HTTP layer (after TLS), in order. */
  paths: string[];
  /** Sets how one service answers; `null` restores the right answers. */
  script(service: Service, behaviour: Behaviour | null): void;
  /** Serves `tls` from now on: existing connections are dropped and TLS session tickets forgotten. */
  useCertificate(tls: TlsMaterial): void;
  /** While on, TLS handshakes never complete (the server never answers the ClientHello); existing connections are dropped. */
  stallHandshakes(on: boolean): void;
  /** Runs `work` later, and forgets it when the connector closes. */
  later(ms: number, work: () => void): void;
  /** Runs `work` every `ms` until `response` closes. */
  every(ms: number, response: ServerResponse, work: () => void): void;
  close(): Promise<void>;
}

const expectedAuthorization = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;

/** The lists' items: level 1, and level 2 under each level-1 code. */
const LIST_ITEMS: Record<string, Array<[string, string]>> = {
  '': [['US', 'United States'], ['CA', 'Canada']],
  US: [['NY', 'New York'], ['SF', 'San Francisco'], ['NO', 'New Orleans']],
  CA: [['TO', 'Toronto']],
};

/** The right answer to a call: the attendee asked for, the list items matching, or OK. */
function goodAnswer(service: Service, body: string): string {
  if (service === 'attendee') {
    const parsed = parseAttendeeSearchRequest(body);
    if (!parsed.ok) throw new Error(`patchbay sent an invalid AttendeeSearchRequest: ${parsed.reason}`);
    const externalId = parsed.criteria.externalId || 'ATT-1';
    return buildAttendeeSearchResponse([{ externalId, firstName: 'Chris', lastName: 'Miller', company: 'Len Dev', attendeeTypeCode: 'BUSGUEST', title: 'CFO' }], {
      maxRecords: parsed.criteria.maximumNumberRecords,
    });
  }
  if (service === 'list') {
    const parsed = parseFetchListRequest(body);
    if (!parsed.ok) throw new Error(`patchbay sent an invalid fetch-list-request: ${parsed.reason}`);
    const request = parsed.request;
    const items = (LIST_ITEMS[request.longCode] ?? [])
      .filter(([code, text]) => (request.searchBy === 'CODE' ? code === request.query : fetchListQueryMatches(request.query, text)))
      .slice(0, request.numToReturn)
      .map(([shortCode, text]) => ({ code: fetchListItemCode(request.longCode, shortCode), shortCode, text, matchValue: request.searchBy === 'CODE' ? shortCode : text }));
    return buildFetchListResponse(items, { longCode: request.longCode, numToReturn: request.numToReturn });
  }
  return 'OK';
}

function serviceOf(path: string): Service | null {
  for (const [service, servicePath] of Object.entries(PATHS)) if (path === servicePath) return service as Service;
  return null;
}

/** Answers `status` with `body` and a Content-Length. */
function reply(response: ServerResponse, status: number, body: string | Buffer, contentType = 'application/xml; charset=utf-8', headers: Record<string, string> = {}): void {
  if (response.destroyed) return;
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  response.writeHead(status, { 'content-type': contentType, 'content-length': String(bytes.length), ...headers });
  response.end(bytes);
}

const answerWell: Behaviour = (call) => reply(call.response, 200, call.good(), call.service === 'notification' ? 'text/plain; charset=utf-8' : 'application/xml; charset=utf-8');

/** Starts the hostile connector on localhost (port 0) serving `tls`. */
async function startHostileConnector(tls: TlsMaterial): Promise<HostileConnector> {
  const scripts: Partial<Record<Service, Behaviour>> = {};
  const paths: string[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let context: SecureContext = createSecureContext({ cert: tls.cert, key: tls.key });
  let stalled = false;

  const handle = (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = request.url ?? '';
      paths.push(path);
      if (request.headers.authorization !== expectedAuthorization) {
        reply(response, 401, 'Unauthorized', 'text/plain', { 'www-authenticate': 'Basic realm="connector"' });
        return;
      }
      if (path === TEST_CONNECTION) {
        reply(response, 200, 'OK', 'text/plain');
        return;
      }
      const service = serviceOf(path);
      if (service === null) {
        reply(response, 404, 'Not Found', 'text/plain');
        return;
      }
      const body = Buffer.concat(chunks).toString('utf8');
      const call: HostileCall = { service, body, request, response, socket: request.socket, good: () => goodAnswer(service, body) };
      try {
        (scripts[service] ?? answerWell)(call);
      } catch (error) {
        reply(response, 599, `the hostile connector's script failed: ${(error as Error).message}`, 'text/plain');
      }
    });
  };

  // patchbay calls https://localhost, so it sends SNI: the callback picks the certificate, or never
  // answers (the handshake stalls) while `stalled`.
  const server: Server = createServer({ cert: tls.cert, key: tls.key, SNICallback: (_name, done) => (stalled ? undefined : done(null, context)) }, handle);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  // patchbay refusing the self-signed certificate ends handshakes abruptly: expected here.
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const later = (ms: number, work: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      work();
    }, ms);
    timers.add(timer);
  };
  return {
    url: `https://localhost:${port}`,
    paths,
    script(service, behaviour) {
      if (behaviour === null) delete scripts[service];
      else scripts[service] = behaviour;
    },
    useCertificate(material) {
      context = createSecureContext({ cert: material.cert, key: material.key });
      server.setSecureContext({ cert: material.cert, key: material.key });
      // New ticket keys: a client cannot resume a session made with the other certificate (resuming
      // skips the certificate), so the next connection is a full handshake with the new one.
      server.setTicketKeys(randomBytes(48));
      for (const socket of sockets) socket.destroy();
    },
    stallHandshakes(on) {
      stalled = on;
      if (!on) return;
      // A resumed session skips the certificate, and with it the SNI callback: forget the tickets.
      server.setTicketKeys(randomBytes(48));
      for (const socket of sockets) socket.destroy();
    },
    later,
    every(ms, response, work) {
      const timer = setInterval(() => {
        if (response.destroyed || response.writableEnded) {
          clearInterval(timer);
          timers.delete(timer);
          return;
        }
        work();
      }, ms);
      timers.add(timer);
      response.on('close', () => {
        clearInterval(timer);
        timers.delete(timer);
      });
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const socket of sockets) socket.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Hostile documents

const XML_PROLOG = '<?xml version="1.0" encoding="utf-8"?>';
const ATTENDEE_ELEMENTS = ['ExternalID', 'FirstName', 'MiddleInitial', 'LastName', 'Suffix', 'Company', 'AttendeeTypeCode', 'Title', ...Array.from({ length: 25 }, (_, i) => `Custom${i + 1}`)];

/** An `<Attendee>` with every element, `values` overriding the defaults, `omit` left out. */
function attendeeElement(values: Record<string, string> = {}, omit: readonly string[] = []): string {
  const defaults: Record<string, string> = { ExternalID: 'ATT-1', FirstName: 'Chris', LastName: 'Miller', Company: 'Len Dev', AttendeeTypeCode: 'BUSGUEST', Title: 'CFO' };
  const parts = ATTENDEE_ELEMENTS.filter((name) => !omit.includes(name)).map((name) => {
    const value = values[name] ?? defaults[name] ?? '';
    return value === '' ? `<${name}/>` : `<${name}>${value}</${name}>`;
  });
  return `<Attendee>${parts.join('')}</Attendee>`;
}

const attendeeDocument = (attendees: readonly string[], root = 'AttendeeSearchResponse') => `${XML_PROLOG}<${root}>${attendees.join('')}</${root}>`;

/** The list searches and choices here are all under the level-1 item US. */
const LONG_CODE = 'US';

/** An `<item>` under US, `values` overriding the defaults, `omit` left out. */
function listItem(shortCode: string, values: Record<string, string> = {}, omit: readonly string[] = []): string {
  const fields: Array<[string, string]> = [
    ['code', values.code ?? `${LONG_CODE}-${shortCode}`],
    ['short-code', values['short-code'] ?? shortCode],
    ['text', values.text ?? `Item ${shortCode}`],
    ['match-value', values['match-value'] ?? shortCode],
  ];
  return `<item>${fields.filter(([name]) => !omit.includes(name)).map(([name, value]) => `<${name}>${value}</${name}>`).join('')}</item>`;
}

const listDocument = (items: readonly string[], root = 'fetch-list-response') => `${XML_PROLOG}<${root}>${items.join('')}</${root}>`;

/** The short code the list choice confirms: the one-to-one CODE call answers it. */
const CHOSEN = 'NY';

/** `count` items (attendees or list items) for the service of `call`. */
function manyResults(call: HostileCall, count: number): string {
  if (call.service === 'attendee') return attendeeDocument(Array.from({ length: count }, (_, i) => attendeeElement({ ExternalID: `ATT-${i + 1}`, LastName: `Miller${i}` })));
  // The chosen item first, so a choice that read only the first item would have found it.
  return listDocument([listItem(CHOSEN), ...Array.from({ length: count - 1 }, (_, i) => listItem(`X${i}`))]);
}

/** A document of the service's root with `inner` inside (after `head`: a prolog, a DOCTYPE...). */
function wrapped(call: HostileCall, inner: string, head = XML_PROLOG): string {
  const root = call.service === 'attendee' ? 'AttendeeSearchResponse' : 'fetch-list-response';
  return `${head}<${root}>${inner}</${root}>`;
}

const XXE_DOCTYPE = (root: string) => `<?xml version="1.0"?><!DOCTYPE ${root} [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>`;
const LAUGHS_DOCTYPE = (root: string) =>
  `<?xml version="1.0"?><!DOCTYPE ${root} [<!ENTITY lol "lol">` +
  Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`).join('') +
  ']>';

const rootOf = (call: HostileCall) => (call.service === 'attendee' ? 'AttendeeSearchResponse' : 'fetch-list-response');

/** The first element that holds a value the attacker wants expanded: ExternalID, or the item's text. */
function withEntity(call: HostileCall, entity: string): string {
  return call.service === 'attendee' ? attendeeElement({ ExternalID: entity }) : listItem(CHOSEN, { text: entity });
}

// ---------------------------------------------------------------------------------------------------
// Cases

/** The four user operations that call a connector. */
type OpId = 'attendee-search' | 'attendee-add' | 'list-search' | 'list-choice';
const ALL_OPS: readonly OpId[] = ['attendee-search', 'attendee-add', 'list-search', 'list-choice'];
const ATTENDEE_OPS: readonly OpId[] = ['attendee-search', 'attendee-add'];
const LIST_OPS: readonly OpId[] = ['list-search', 'list-choice'];

/** What the user and the call log must show. */
interface Expectation {
  status: 400 | 422 | 502;
  code: string;
  /** The call log line's outcome. */
  outcome: string | RegExp;
  /** A keyword of the reason, in the user's message (and, unless `logMessage`, in the log line's). */
  message: RegExp;
  logMessage?: RegExp;
}

const failed = (outcome: string | RegExp, message: RegExp): Expectation => ({ status: 502, code: 'connector_failed', outcome, message });
const TIMEOUT = failed('timeout', new RegExp(`within ${TIMEOUT_MS} ms`));
const RESET = failed('connection_reset', /closed the connection/);
const TOO_LARGE = failed('response_too_large', new RegExp(`larger than the ${MAX_RESPONSE_BYTES}-byte limit`));
const TOO_MANY: Expectation = { status: 422, code: 'search_too_broad', outcome: 'too-many-results', message: /Refine the search|narrow the list/, logMessage: /more than/ };

interface HostileCase {
  /** What the connector does, and what patchbay makes of it: the test's name. */
  name: string;
  /** The operations it applies to (default: all four); `notification` too when it applies to the queue. */
  ops?: readonly OpId[];
  notification?: boolean;
  behaviour: Behaviour;
  expect: Expectation;
  /** Request bodies replacing an operation's usual one (e.g. a smaller maximum). */
  input?: Partial<Record<OpId, Record<string, unknown>>>;
  /** The certificate served during the case. */
  certificate?: 'self-signed';
  /** `stall`: TLS handshakes never complete during the case. */
  handshake?: 'stall';
  /** False when the call cannot reach the HTTP layer (TLS refused). */
  reachesConnector?: boolean;
  /** More checks on the user's answer and the log line. */
  check?: (answer: ApiResponse, log: LoggedCall) => void;
}

/** A line of the call log, as `GET /api/companies/{c}/callouts` shows it. */
interface LoggedCall {
  id: number;
  service: string;
  outcome: string;
  httpStatus: number | null;
  message: string;
  durationMs: number;
  requestExcerpt: string;
  responseExcerpt: string;
}

const noPasswdLeak = (answer: ApiResponse, log: LoggedCall) => {
  const seen = JSON.stringify(answer.body) + JSON.stringify(log);
  assert.doesNotMatch(seen, /root:[x*]?:0:0/, 'the contents of /etc/passwd must never be read, shown or logged');
};

const CASES: readonly HostileCase[] = [
  // Time.
  {
    name: 'answers only after the service timeout: 502 timeout',
    notification: true,
    behaviour: (call) => hostile.later(TIMEOUT_MS + 1_500, () => answerWell(call)),
    expect: TIMEOUT,
  },
  {
    name: 'never answers (hangs): 502 timeout',
    notification: true,
    behaviour: () => {},
    expect: TIMEOUT,
  },
  {
    name: 'sends the headers, then nothing: 502 timeout',
    notification: true,
    behaviour: (call) => {
      call.response.writeHead(200, { 'content-type': 'application/xml' });
      call.response.flushHeaders();
    },
    expect: TIMEOUT,
  },
  {
    name: 'sends the headers, then a body that drips forever: 502 timeout',
    notification: true,
    behaviour: (call) => {
      call.response.writeHead(200, { 'content-type': 'application/xml' });
      call.response.write(`${XML_PROLOG}<${rootOf(call)}>`);
      hostile.every(100, call.response, () => call.response.write(' '));
    },
    expect: TIMEOUT,
  },
  // HTTP errors.
  {
    name: 'answers HTTP 500: 502 naming the status',
    notification: true,
    behaviour: (call) => reply(call.response, 500, '<error>Internal error</error>'),
    expect: failed('http_500', /HTTP 500/),
  },
  {
    name: 'answers HTTP 500 with a binary body (NUL bytes): 502 naming the status',
    notification: true,
    behaviour: (call) => reply(call.response, 500, Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x4b, 0x00, 0xff]), 'application/octet-stream'),
    expect: failed('http_500', /HTTP 500/),
  },
  {
    name: 'answers HTTP 503 with an HTML page: 502 naming the status',
    notification: true,
    behaviour: (call) => reply(call.response, 503, '<!DOCTYPE html><html><head><title>Service Unavailable</title></head><body><h1>Down for maintenance</h1></body></html>', 'text/html'),
    expect: failed('http_503', /HTTP 503/),
  },
  {
    name: 'answers HTTP 401 (it no longer accepts the credentials): 502 naming the status',
    notification: true,
    behaviour: (call) => reply(call.response, 401, 'Unauthorized', 'text/plain', { 'www-authenticate': 'Basic realm="connector"' }),
    expect: failed('http_401', /HTTP 401/),
  },
  {
    name: 'redirects (302) elsewhere: 502, and the redirect is not followed',
    notification: true,
    behaviour: (call) => reply(call.response, 302, '', 'text/plain', { location: `${hostile.url}${ELSEWHERE}` }),
    expect: failed('http_302', /HTTP 302/),
  },
  // Bodies that are not XML.
  {
    name: 'answers 200 with an HTML page: 502 "HTML page"',
    behaviour: (call) => reply(call.response, 200, '<!DOCTYPE html><html><body><form action="/login">Sign in</form></body></html>', 'text/html'),
    expect: failed('html', /HTML page/),
  },
  {
    name: 'answers 200 with text that is not XML: 502 "not XML"',
    behaviour: (call) => reply(call.response, 200, 'Everything is fine, thank you.', 'text/plain'),
    expect: failed('malformed', /not XML/),
  },
  {
    name: 'answers 200 with an empty body: 502 "empty"',
    behaviour: (call) => reply(call.response, 200, ''),
    expect: failed('malformed', /empty/),
  },
  {
    name: 'answers 200 with malformed XML (mismatched tags): 502 "not well-formed"',
    behaviour: (call) => reply(call.response, 200, call.good().replace(/<\/(AttendeeSearchResponse|fetch-list-response)>$/, '</Nope>')),
    expect: failed('malformed', /not well-formed/),
  },
  {
    name: 'answers 200 with XML cut short (a complete HTTP message): 502 "not well-formed"',
    behaviour: (call) => {
      const good = call.good();
      reply(call.response, 200, good.slice(0, good.length - 12));
    },
    expect: failed('malformed', /not well-formed/),
  },
  {
    name: 'answers 200 with elements nested 1,000 deep: 502 "nested"',
    behaviour: (call) => reply(call.response, 200, wrapped(call, `${'<a>'.repeat(1_000)}${'</a>'.repeat(1_000)}`)),
    expect: failed('too-deep', /nested more than/),
  },
  {
    name: 'answers 200 with a gzip-encoded body (a compression bomb): 502, the body is never inflated',
    behaviour: (call) => reply(call.response, 200, gzipSync(Buffer.alloc(20 * 1024 * 1024, ' ')), 'application/xml', { 'content-encoding': 'gzip' }),
    expect: failed('malformed', /not valid UTF-8|not XML/),
  },
  {
    name: 'answers with 100 KB of headers: 502',
    notification: true,
    behaviour: (call) => reply(call.response, 200, call.good(), 'application/xml', { 'x-padding': 'p'.repeat(100_000) }),
    expect: failed('network_error', /header/i),
  },
  {
    name: 'answers bytes that are not HTTP at all: 502',
    notification: true,
    behaviour: (call) => call.socket.end('THIS IS NOT HTTP \u0000\u0001\u0002\r\n\r\n'),
    expect: failed(/^(network_error|connection_reset)$/, /failed|closed the connection/),
  },
  // Transport failures.
  {
    name: 'closes the connection mid-body (truncated XML): 502 connection reset',
    notification: true,
    behaviour: (call) => {
      const body = Buffer.from(call.good(), 'utf8');
      call.response.writeHead(200, { 'content-type': 'application/xml', 'content-length': String(body.length) });
      call.response.write(body.subarray(0, Math.floor(body.length / 2)));
      hostile.later(20, () => call.socket.destroy());
    },
    expect: RESET,
  },
  {
    name: 'resets the connection before the headers: 502 connection reset',
    notification: true,
    behaviour: (call) => call.socket.destroy(),
    expect: RESET,
  },
  {
    name: 'resets the connection after the headers: 502 connection reset',
    notification: true,
    behaviour: (call) => {
      call.response.writeHead(200, { 'content-type': 'application/xml' });
      call.response.flushHeaders();
      hostile.later(20, () => call.socket.destroy());
    },
    expect: RESET,
  },
  {
    name: 'accepts the connection but never completes the TLS handshake: 502 timeout, nothing sent',
    notification: true,
    handshake: 'stall',
    reachesConnector: false,
    behaviour: answerWell,
    expect: TIMEOUT,
  },
  {
    name: 'serves a self-signed certificate (not from a trusted CA): 502 "self-signed", nothing sent',
    notification: true,
    certificate: 'self-signed',
    reachesConnector: false,
    behaviour: answerWell,
    expect: failed('self_signed_certificate', /self-signed certificate/),
  },
  // Size.
  {
    name: 'answers a body over the size limit with its Content-Length: 502 too large',
    notification: true,
    behaviour: (call) => reply(call.response, 200, wrapped(call, ' '.repeat(MAX_RESPONSE_BYTES * 2))),
    expect: TOO_LARGE,
  },
  {
    name: 'answers a body over the size limit without Content-Length (chunked): 502 too large',
    notification: true,
    behaviour: (call) => {
      call.response.writeHead(200, { 'content-type': 'application/xml' });
      call.response.write(`${XML_PROLOG}<${rootOf(call)}>`);
      const chunk = ' '.repeat(16_384);
      let sent = 0;
      // 4 MiB in all, in 16 KiB chunks, unless patchbay hangs up first (as it must at 64 KiB).
      hostile.every(1, call.response, () => {
        for (let i = 0; i < 8 && sent < 256; i++, sent++) call.response.write(chunk);
        if (sent >= 256) call.response.end(`</${rootOf(call)}>`);
      });
    },
    expect: TOO_LARGE,
  },
  // Hostile XML.
  {
    name: 'answers XML with an external entity to file:///etc/passwd (XXE): 502 "DTDs ... not allowed", nothing read',
    behaviour: (call) => reply(call.response, 200, wrapped(call, withEntity(call, '&xxe;'), XXE_DOCTYPE(rootOf(call)))),
    expect: failed('dtd', /DTDs and entity declarations are not allowed/),
    check: noPasswdLeak,
  },
  {
    name: 'answers XML with nested entity expansion (billion laughs): 502 "DTDs ... not allowed"',
    behaviour: (call) => reply(call.response, 200, wrapped(call, withEntity(call, '&lol9;'), LAUGHS_DOCTYPE(rootOf(call)))),
    expect: failed('dtd', /DTDs and entity declarations are not allowed/),
  },
  {
    name: 'answers XML with an undefined entity reference: 502',
    behaviour: (call) => reply(call.response, 200, wrapped(call, withEntity(call, '&nbsp;'))),
    expect: failed('malformed', /entity/),
  },
  {
    name: 'answers a document with the wrong root element: 502 "root element"',
    behaviour: (call) =>
      reply(call.response, 200, call.service === 'attendee' ? attendeeDocument([attendeeElement()], 'AttendeeSearchResult') : listDocument([listItem(CHOSEN)], 'fetch-list-result')),
    expect: failed('invalid', /root element/),
  },
  {
    name: 'wraps the results in an unexpected element: 502 "unexpected element"',
    behaviour: (call) => reply(call.response, 200, wrapped(call, call.service === 'attendee' ? `<Attendees>${attendeeElement()}</Attendees>` : `<items>${listItem(CHOSEN)}</items>`)),
    expect: failed('invalid', /unexpected element/),
  },
  // Contract violations: Fetch Attendee.
  ...(['ExternalID', 'FirstName', 'LastName'] as const).map(
    (element): HostileCase => ({
      name: `answers an attendee without ${element}: 502 "<${element}> is required"`,
      ops: ATTENDEE_OPS,
      behaviour: (call) => reply(call.response, 200, attendeeDocument([attendeeElement({}, [element])])),
      expect: failed('invalid', new RegExp(`<${element}> is required and is missing`)),
    }),
  ),
  {
    name: 'answers an attendee whose LastName is empty: 502 "<LastName> is required"',
    ops: ATTENDEE_OPS,
    behaviour: (call) => reply(call.response, 200, attendeeDocument([attendeeElement({ LastName: ' ' })])),
    expect: failed('invalid', /<LastName> is required and is empty/),
  },
  {
    name: 'answers an ExternalID of 33 characters (the response maximum is 32): 502 "more than 32"',
    ops: ATTENDEE_OPS,
    behaviour: (call) => reply(call.response, 200, attendeeDocument([attendeeElement({ ExternalID: 'X'.repeat(33) })])),
    expect: failed('invalid', /<ExternalID> is 33 characters, more than 32/),
  },
  {
    name: 'answers a LastName of 133 characters (maximum 132): 502 "more than 132"',
    ops: ATTENDEE_OPS,
    behaviour: (call) => reply(call.response, 200, attendeeDocument([attendeeElement({ LastName: 'M'.repeat(133) })])),
    expect: failed('invalid', /<LastName> is 133 characters, more than 132/),
  },
  {
    name: 'answers a Custom21 of 49 characters (the response maximum is 48): 502 "more than 48"',
    ops: ATTENDEE_OPS,
    behaviour: (call) => reply(call.response, 200, attendeeDocument([attendeeElement({ Custom21: 'T'.repeat(49) })])),
    expect: failed('invalid', /<Custom21> is 49 characters, more than 48/),
  },
  {
    name: 'answers 101 attendees (over the limit of 100): 422 refine the search',
    ops: ATTENDEE_OPS,
    behaviour: (call) => reply(call.response, 200, manyResults(call, 101)),
    expect: TOO_MANY,
  },
  {
    name: 'answers 6 attendees when MaximumNumberRecords was 5: 422 refine the search',
    ops: ['attendee-search'],
    input: { 'attendee-search': { attendeeTypeCode: 'BUSGUEST', lastName: 'Miller', maximumNumberRecords: 5 } },
    behaviour: (call) => reply(call.response, 200, manyResults(call, 6)),
    expect: TOO_MANY,
  },
  // Contract violations: Fetch List.
  {
    name: 'answers a list item without code: 502 "<code> is missing"',
    ops: LIST_OPS,
    behaviour: (call) => reply(call.response, 200, listDocument([listItem(CHOSEN, {}, ['code'])])),
    expect: failed('invalid', /<code> is missing/),
  },
  {
    name: 'answers a list item without short-code: 502 "<short-code> is missing"',
    ops: LIST_OPS,
    behaviour: (call) => reply(call.response, 200, listDocument([listItem(CHOSEN, {}, ['short-code'])])),
    expect: failed('invalid', /<short-code> is missing/),
  },
  {
    name: 'answers a list item whose code is not long-code + "-" + short-code: 502 naming the expected code',
    ops: LIST_OPS,
    behaviour: (call) => reply(call.response, 200, listDocument([listItem(CHOSEN, { code: `CA-${CHOSEN}` })])),
    expect: failed('invalid', /long-code \+ "-" \+ short-code is "US-NY"/),
  },
  {
    name: 'confirms the chosen item with a text of 600 characters (a request custom field value holds 500): 502 "more than 500", nothing stored',
    ops: ['list-choice'],
    behaviour: (call) => reply(call.response, 200, listDocument([listItem(CHOSEN, { text: 'T'.repeat(600) })])),
    expect: failed('invalid', /more than 500/),
  },
  {
    name: 'answers 101 list items (over the system limit of 100): 422 narrow the list',
    ops: LIST_OPS,
    input: { 'list-search': { query: '*', parentCodes: [LONG_CODE], limit: 100 } },
    behaviour: (call) => reply(call.response, 200, manyResults(call, 101)),
    expect: TOO_MANY,
  },
  {
    name: 'answers more list items than num-to-return: 422 narrow the list',
    ops: LIST_OPS,
    // The search asks for 5; the choice's one-to-one match asks for 1.
    input: { 'list-search': { query: '*', parentCodes: [LONG_CODE], limit: 5 } },
    behaviour: (call) => reply(call.response, 200, manyResults(call, 6)),
    expect: TOO_MANY,
  },
];

// ---------------------------------------------------------------------------------------------------
// The suites

/** The connector of the running suite (the behaviours schedule their timers on it). */
let hostile: HostileConnector;

for (const { kind, skip } of await storeSuites()) {
  describe(`hostile connectors: every bad answer ends in a clear 4xx/502, a logged outcome and no harm [${kind.name}]`, { skip }, () => {
    let server: TestServer;
    let fx: RequestFixture;
    let admin: ApiClient;
    let traveler: ApiClient;
    let travelerApi: RequestApi;
    let requestId: string;
    let validation: PolicyRef;
    let trusted: TlsMaterial;
    let untrusted: TlsMaterial;
    const company = () => `/api/companies/${server.companyId}`;
    /** Every answer patchbay gave in this suite, to check that none was a 500. */
    const statuses: Array<{ what: string; status: number }> = [];

    /** An API call whose status is remembered (no answer may be a 500). */
    async function api(client: ApiClient, method: string, path: string, body?: unknown): Promise<ApiResponse> {
      const answer = await client.request(method, path, body);
      statuses.push({ what: `${method} ${path}`, status: answer.status });
      assert.notEqual(answer.status, 500, `${method} ${path} answered 500: ${JSON.stringify(answer.body)}`);
      return answer;
    }

    before(async () => {
      const ca = await createDevCa();
      trusted = ca.issue(['localhost', '127.0.0.1']);
      untrusted = await selfSigned(['localhost', '127.0.0.1']);
      hostile = await startHostileConnector(trusted);
      server = await startTestServer({
        extraCa: ca.caCert,
        database: await kind.create(),
        env: {
          PATCHBAY_FETCH_ATTENDEE_TIMEOUT_MS: String(TIMEOUT_MS),
          PATCHBAY_FETCH_LIST_TIMEOUT_MS: String(TIMEOUT_MS),
          PATCHBAY_NOTIFICATION_TIMEOUT_MS: String(TIMEOUT_MS),
          PATCHBAY_OUTBOUND_MAX_RESPONSE_BYTES: String(MAX_RESPONSE_BYTES),
          PATCHBAY_NOTIFICATION_RETRY_BASE_MS: String(NOTIFICATION_RETRY_BASE_MS),
          // Never FAILED during a case: each case ends with the notification delivered.
          PATCHBAY_NOTIFICATION_MAX_ATTEMPTS: '50',
        },
      });
      await server.addSafeHost('localhost');
      fx = await createRequestFixture(server);
      admin = await signIn(server.url, await server.addUser(server.companyId, ['REQUEST_ADMIN', 'WEB_SERVICES_ADMINISTRATOR']));
      traveler = await signIn(server.url, { loginId: fx.people.traveler.loginId, password: fx.people.traveler.password });
      travelerApi = await fx.userApi(fx.people.traveler);

      const registered = await api(admin, 'POST', `${company()}/connectors`, { name: 'Hostile connector', description: 'Answers badly on purpose', hostName: hostile.url, userName: USER, password: PASSWORD });
      assert.equal(registered.status, 201, JSON.stringify(registered.body));
      const connectorId = registered.body.id as string;
      const tested = await api(admin, 'POST', `${company()}/connectors/${connectorId}/test-connection`);
      assert.equal(tested.body?.connector?.verified, true, JSON.stringify(tested.body));
      const type = await api(admin, 'PUT', `${company()}/attendee-types/BUSGUEST`, { name: 'Business guest', allowsManual: false });
      assert.equal(type.status, 200, JSON.stringify(type.body));
      const configure = async (service: string, endpoint: string, settings: object) => {
        const saved = await api(admin, 'PUT', `${company()}/connectors/${connectorId}/services/${service}`, { endpoint, active: true, settings });
        assert.equal(saved.status, 200, `${service}: ${JSON.stringify(saved.body)}`);
      };
      await configure('fetch-attendee', PATHS.attendee, { attendeeTypes: ['BUSGUEST'] });
      await configure('fetch-list', PATHS.list, { lists: [{ name: 'Offices', category: 'Locations', languageCode: 'en', connectedListLevel: 2 }] });
      const field = await api(admin, 'PUT', `${company()}/form-fields/custom1`, { label: 'Office', kind: 'LIST', connectorId, listName: 'Offices' });
      assert.equal(field.status, 200, JSON.stringify(field.body));
      validation = await fx.policy([{ roleCode: 'EXTERNAL_VALIDATION', approverType: 'CONNECTOR', connectorId, notify: false }]);
      await configure('external-report-validation', PATHS.notification, { workflows: [{ workflowId: validation.workflowId, steps: ['SUBMIT'] }] });

      const request = await api(traveler, 'POST', `${company()}/requests`, { name: 'Customer visit', businessPurpose: 'Sales' });
      assert.equal(request.status, 201, JSON.stringify(request.body));
      requestId = request.body.id as string;
      // The request already holds an attendee and a list value: a corrupted write would show.
      const attendee = await api(traveler, 'POST', `${company()}/requests/${requestId}/attendees`, { attendeeTypeCode: 'BUSGUEST', externalId: 'ATT-0' });
      assert.equal(attendee.status, 201, JSON.stringify(attendee.body));
      const chosen = await api(traveler, 'PUT', `${company()}/requests/${requestId}/fields/custom1/choice`, { codeByLevel: [LONG_CODE, 'SF'] });
      assert.equal(chosen.status, 200, JSON.stringify(chosen.body));
    });
    after(async () => {
      await server?.close();
      await hostile?.close();
    });

    /** The request as its owner sees it: its fields (custom1 included) and its attendees. */
    async function snapshot(): Promise<unknown> {
      const request = await api(traveler, 'GET', `${company()}/requests/${requestId}`);
      const attendees = await api(traveler, 'GET', `${company()}/requests/${requestId}/attendees`);
      assert.equal(request.status, 200);
      assert.equal(attendees.status, 200);
      return { request: request.body, attendees: attendees.body };
    }

    /** The call log lines of `service` newer than `afterId`, oldest first. */
    async function logLines(service: 'fetch-attendee' | 'fetch-list' | 'notification', afterId: number): Promise<LoggedCall[]> {
      const log = await api(admin, 'GET', `${company()}/callouts?service=${service}&limit=200`);
      assert.equal(log.status, 200, JSON.stringify(log.body));
      return (log.body.items as LoggedCall[]).filter((line) => line.id > afterId).reverse();
    }
    async function lastLogId(): Promise<number> {
      const log = await api(admin, 'GET', `${company()}/callouts?limit=1`);
      return (log.body.items as LoggedCall[])[0]?.id ?? 0;
    }

    const OPS: Record<OpId, { label: string; service: 'attendee' | 'list'; logService: 'fetch-attendee' | 'fetch-list'; body: Record<string, unknown>; run(body: Record<string, unknown>): Promise<ApiResponse>; good: number; undo?(answer: ApiResponse): Promise<void> }> = {
      'attendee-search': {
        label: 'Fetch Attendee, search',
        service: 'attendee',
        logService: 'fetch-attendee',
        body: { attendeeTypeCode: 'BUSGUEST', lastName: 'Miller' },
        run: (body) => api(traveler, 'POST', `${company()}/requests/${requestId}/attendee-search`, body),
        good: 200,
      },
      'attendee-add': {
        label: 'Fetch Attendee, adding a found attendee',
        service: 'attendee',
        logService: 'fetch-attendee',
        body: { attendeeTypeCode: 'BUSGUEST', externalId: 'ATT-7' },
        run: (body) => api(traveler, 'POST', `${company()}/requests/${requestId}/attendees`, body),
        good: 201,
        async undo(answer) {
          const removed = await api(traveler, 'DELETE', `${company()}/requests/${requestId}/attendees/${answer.body.id}`);
          assert.equal(removed.status, 204);
        },
      },
      'list-search': {
        label: 'Fetch List, search',
        service: 'list',
        logService: 'fetch-list',
        body: { query: 'N*', parentCodes: [LONG_CODE] },
        run: (body) => api(traveler, 'POST', `${company()}/requests/${requestId}/fields/custom1/search`, body),
        good: 200,
      },
      'list-choice': {
        label: 'Fetch List, choosing an item',
        service: 'list',
        logService: 'fetch-list',
        body: { codeByLevel: [LONG_CODE, CHOSEN] },
        run: (body) => api(traveler, 'PUT', `${company()}/requests/${requestId}/fields/custom1/choice`, body),
        good: 200,
        async undo() {
          // Back to the value the other cases' snapshots start from.
          const chosen = await api(traveler, 'PUT', `${company()}/requests/${requestId}/fields/custom1/choice`, { codeByLevel: [LONG_CODE, 'SF'] });
          assert.equal(chosen.status, 200, JSON.stringify(chosen.body));
        },
      },
    };

    async function healthy(): Promise<void> {
      const health = await fetch(`${server.url}/healthz`);
      assert.equal(health.status, 200, 'patchbay answers /healthz');
    }

    for (const hostileCase of CASES) {
      for (const opId of hostileCase.ops ?? ALL_OPS) {
        test(`${OPS[opId].label}: a connector that ${hostileCase.name}`, async () => {
          const op = OPS[opId];
          const body = hostileCase.input?.[opId] ?? op.body;
          const before = await snapshot();
          const lastId = await lastLogId();
          const reached = hostile.paths.length;
          hostile.script(op.service, hostileCase.behaviour);
          if (hostileCase.certificate) hostile.useCertificate(untrusted);
          if (hostileCase.handshake) hostile.stallHandshakes(true);
          let answer: ApiResponse;
          let elapsed: number;
          try {
            const started = performance.now();
            answer = await op.run(body);
            elapsed = performance.now() - started;
          } finally {
            hostile.script(op.service, null);
            if (hostileCase.certificate) hostile.useCertificate(trusted);
            if (hostileCase.handshake) hostile.stallHandshakes(false);
          }

          const expected = hostileCase.expect;
          assert.equal(answer.status, expected.status, JSON.stringify(answer.body));
          assert.equal(answer.body?.error?.code, expected.code, JSON.stringify(answer.body));
          assert.match(answer.body.error.message, expected.message);
          assert.ok(!JSON.stringify(answer.body).includes(PASSWORD), 'the connector password is never shown');
          assert.ok(elapsed < HANG_GUARD_MS, `the call ended after ${Math.round(elapsed)} ms, past the ${TIMEOUT_MS} ms timeout + 5 s guard`);

          const lines = await logLines(op.logService, lastId);
          assert.equal(lines.length, 1, `exactly one logged call (never retried): ${JSON.stringify(lines)}`);
          const [line] = lines as [LoggedCall];
          if (typeof expected.outcome === 'string') assert.equal(line.outcome, expected.outcome, JSON.stringify(line));
          else assert.match(line.outcome, expected.outcome, JSON.stringify(line));
          assert.match(line.message, expected.logMessage ?? expected.message);
          assert.ok(!JSON.stringify(line).includes(PASSWORD), 'the call log never holds the password');
          hostileCase.check?.(answer, line);

          const calls = hostile.paths.slice(reached);
          assert.deepEqual(calls, hostileCase.reachesConnector === false ? [] : [PATHS[op.service]], 'one call, to the service, and no redirect followed');
          assert.deepEqual(await snapshot(), before, 'the request and its attendees are unchanged');

          await healthy();
          const good = await op.run(op.body);
          assert.equal(good.status, op.good, `the next good call works: ${JSON.stringify(good.body)}`);
          await op.undo?.(good);
        });
      }
    }

    type QueueRow = { requestId: string; status: string; attempts: number; lastError: string | null };
    async function queue(): Promise<QueueRow[]> {
      const answer = await api(admin, 'GET', `${company()}/notifications`);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      return answer.body.items as QueueRow[];
    }
    /** Polls `probe` every 25 ms until it returns a value; fails after `guardMs` (a hang guard, not a timing). */
    async function poll<T>(probe: () => Promise<T | undefined>, explain: () => string, guardMs: number): Promise<T> {
      for (const deadline = Date.now() + guardMs; ; ) {
        const found = await probe();
        if (found !== undefined) return found;
        assert.ok(Date.now() < deadline, explain());
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    }

    for (const hostileCase of CASES.filter((c) => c.notification)) {
      test(`Event Notification, through the queue: a connector that ${hostileCase.name.replace(/: .*$/, '')}: the attempt fails with the reason, then a good answer delivers it`, async () => {
        // First come, first served: a notification left by an earlier case would be posted first.
        await poll(async () => ((await queue()).length === 0 ? true : undefined), () => 'the queue was not empty before the case', 30_000);
        const request = await fx.newRequest(fx.people.traveler, { policy: { id: validation.policyId } });
        const lastId = await lastLogId();
        /** This request's notification posts in the call log (its ObjectURI names the request). */
        const attemptsLogged = async () => (await logLines('notification', lastId)).filter((line) => line.requestExcerpt.includes(request.id));
        hostile.script('notification', hostileCase.behaviour);
        if (hostileCase.certificate) hostile.useCertificate(untrusted);
        if (hostileCase.handshake) hostile.stallHandshakes(true);
        let firstAttempt: LoggedCall;
        let atValidation: unknown;
        try {
          const submitted = await travelerApi.action(request.id, 'submit');
          statuses.push({ what: 'POST submit', status: submitted.status });
          assert.equal(submitted.status, 200, submitted.text);
          atValidation = (await travelerApi.get(request.id)).body;
          // The worker is woken by the commit: its first attempt ends within the timeout (+ the guard).
          firstAttempt = await poll(async () => (await attemptsLogged())[0], () => `no attempt was logged within ${HANG_GUARD_MS} ms`, HANG_GUARD_MS);
        } finally {
          hostile.script('notification', null);
          if (hostileCase.certificate) hostile.useCertificate(trusted);
          if (hostileCase.handshake) hostile.stallHandshakes(false);
        }
        const expected = hostileCase.expect;
        if (typeof expected.outcome === 'string') assert.equal(firstAttempt.outcome, expected.outcome, JSON.stringify(firstAttempt));
        else assert.match(firstAttempt.outcome, expected.outcome, JSON.stringify(firstAttempt));
        assert.match(firstAttempt.message, expected.message);

        // The attempt is logged just before the queue records it: wait for the row to count it (or to be
        // gone, if a retry with the right answer restored delivered it already).
        const row = await poll(
          async () => {
            const found = (await queue()).find((item) => item.requestId === request.id);
            return found === undefined || found.attempts >= 1 ? { found } : undefined;
          },
          () => 'the failed attempt was not recorded in the queue',
          HANG_GUARD_MS,
        );
        if (row.found) {
          assert.equal(row.found.status, 'PENDING', 'a failed attempt is retried, not dropped');
          assert.match(row.found.lastError ?? '', expected.message, 'the queue says why the attempt failed');
        }
        assert.deepEqual((await travelerApi.get(request.id)).body, atValidation, 'the request is unchanged by the failed post');
        await healthy();

        // The right answer is restored: the queue delivers the notification (a good call right after).
        await poll(async () => ((await queue()).some((item) => item.requestId === request.id) ? undefined : true), () => 'the notification was not delivered once the connector answered well', 30_000);
        assert.equal((await attemptsLogged()).at(-1)?.outcome, 'ok');
        assert.ok(hostile.paths.every((path) => path !== ELSEWHERE), 'no redirect was followed');
      });
    }

    test('no answer of patchbay in this suite was a 5xx other than 502, and /metrics agrees', async () => {
      const bad = statuses.filter(({ status }) => status >= 500 && status !== 502);
      assert.deepEqual(bad, []);
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      const serverErrors = metrics.split('\n').filter((line) => line.startsWith('patchbay_http_requests_total') && /status="5\d\d"/.test(line) && !/status="502"/.test(line));
      assert.deepEqual(serverErrors, []);
      assert.ok(hostile.paths.every((path) => path !== ELSEWHERE), 'no redirect was ever followed');
    });
  });
}
