/**
 * The one way patchbay calls a connector's service (Fetch Attendee, Fetch List, Event Notification):
 * through the outbound client's safety checks (verified TLS 1.2+, safe list, private addresses refused, no
 * redirects, capped bodies), with HTTP Basic auth, a `Content-Length` body, the service's own deadline,
 * and a keep-alive pool per connector origin. Every call is logged per company (excerpts, never
 * credentials) and counted in `/metrics`.
 */
import { Buffer } from 'node:buffer';
import type { OutboundClient, OutboundResult } from '../connectors/outbound-client.ts';
import type { UsableService } from '../connectors/connectors.ts';
import { safeListHosts } from '../companies/companies.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Store } from '../store/store.ts';
import type { CalloutLogTable } from '../store/schema.ts';
import type { Insertable } from 'kysely';

/** The callouts, as the call log and `/metrics` name them. */
export const CALLOUT_SERVICES = ['fetch-attendee', 'fetch-list', 'notification'] as const;

/** One of `CALLOUT_SERVICES`. */
export type CalloutService = (typeof CALLOUT_SERVICES)[number];

/** How much of each body the call log keeps. */
export const LOG_EXCERPT_BYTES = 4096;

/** One call: which company, which configured service, and the XML to post. */
export interface CalloutCall {
  companyId: string;
  service: CalloutService;
  target: UsableService;
  body: string;
  contentType: string;
}

/** The answer (any HTTP status) or why there was none, as the outbound client classifies it. */
export type CalloutResult = OutboundResult;

/** What a caller records after interpreting the answer: the log line's outcome and message. */
export interface CalloutVerdict {
  outcome: string;
  message: string;
}

/** Calls connectors and keeps the call log. */
export interface CalloutClient {
  /**
   * Posts `call.body` to the service's URL. `judge` turns the answer into the log's outcome (a 200 with a
   * body that breaks the contract is still a failed call); it runs before the log line is written.
   */
  post<T extends CalloutVerdict>(call: CalloutCall, judge: (result: CalloutResult) => T): Promise<T>;
  /** Writes the log lines still buffered. */
  flush(): Promise<void>;
  /** Flushes and stops the periodic flush. */
  close(): Promise<void>;
}

/** Settings of the callout client. */
export interface CalloutClientOptions {
  store: Store;
  outbound: OutboundClient;
  metrics: Metrics;
  /** Where a failure to write the call log is reported. */
  log: { error(details: object, message: string): void };
  /** Each service's deadline, in milliseconds. */
  timeoutsMs: Readonly<Record<CalloutService, number>>;
}

// Log lines are written in batches: a search must not wait for a durable write of its own log line.
// At most this many lines, or this long, before a batch is written (a crash loses at most that much log).
const LOG_BATCH_SIZE = 200;
const LOG_FLUSH_MS = 200;

type LogLine = Insertable<CalloutLogTable>;

/** Creates the callout client. */
export function createCalloutClient(options: CalloutClientOptions): CalloutClient {
  const { store, outbound, metrics, log } = options;
  let pending: LogLine[] = [];
  let flushing: Promise<void> = Promise.resolve();

  const flush = (): Promise<void> => {
    flushing = flushing.then(async () => {
      if (pending.length === 0) return;
      const batch = pending;
      pending = [];
      try {
        await store.db.insertInto('callout_log').values(batch).execute();
      } catch {
        // One bad line must not cost the others theirs: write them one by one.
        for (const line of batch) {
          await store.db
            .insertInto('callout_log')
            .values(line)
            .execute()
            .catch((error: unknown) => log.error({ err: error, service: line.service, url: line.url }, 'could not write a callout log line'));
        }
      }
    });
    return flushing;
  };
  const timer = setInterval(() => void flush(), LOG_FLUSH_MS);
  timer.unref();

  return {
    async post(call, judge) {
      const startedAt = Date.now();
      const allowedHosts = await safeListHosts(store.db, call.companyId);
      const body = Buffer.from(call.body, 'utf8');
      const result = await outbound.send({
        url: call.target.url,
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${call.target.userName}:${call.target.password}`, 'utf8').toString('base64')}`,
          'content-type': call.contentType,
          accept: 'application/xml',
          'content-length': String(body.length),
        },
        body,
        allowedHosts,
        timeoutMs: options.timeoutsMs[call.service],
      });
      const verdict = judge(result);
      metrics.observeCallout(call.service, verdict.outcome, result.durationMs / 1000);
      pending.push({
        company_id: call.companyId,
        connector_id: call.target.connectorId,
        service: call.service,
        method: 'POST',
        url: call.target.url,
        started_at: startedAt,
        duration_ms: Math.round(result.durationMs),
        outcome: verdict.outcome,
        http_status: result.ok ? result.status : null,
        message: printable(verdict.message).slice(0, 1000),
        request_excerpt: excerpt(body, [call.target.password]),
        response_excerpt: result.ok ? excerpt(result.body, [call.target.password]) : '',
      });
      if (pending.length >= LOG_BATCH_SIZE) void flush();
      return verdict;
    },
    flush,
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}

/**
 * Text safe to store and show: control characters other than tab and line breaks (NUL above all, which
 * PostgreSQL refuses in text) become U+FFFD.
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g, '\uFFFD');
}

/**
 * A failed call's message as users see it: the log keeps the details, but a refused private address is not
 * shown to travelers (it would map the network patchbay runs in).
 */
export function messageForUser(verdict: CalloutVerdict): string {
  if (verdict.outcome === 'private_address') return 'The connector\'s host name leads to an address patchbay may not call (a private or local network).';
  return verdict.message;
}

/** Ends `text` with a full stop unless it already ends a sentence, so that messages can be joined. */
function asSentence(text: string): string {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

/** The start of a body as text, with any secret that appears in it masked. */
function excerpt(body: Buffer, secrets: readonly string[]): string {
  let text = printable(body.subarray(0, LOG_EXCERPT_BYTES).toString('utf8'));
  if (body.length > LOG_EXCERPT_BYTES) text += `… (${body.length} bytes)`;
  for (const secret of secrets) if (secret) text = text.split(secret).join('[redacted]');
  return text;
}

/** A parser's answer, as `@patchbay/callout-xml`'s parsers give it. */
export type ParsedAnswer<T> = { ok: true; value: T } | { ok: false; code: string; reason: string };

/** The verdict on an XML callout: `ok` with the parsed value, or why not, in words for the user and the log. */
export type XmlVerdict<T> = { outcome: 'ok'; message: string; value: T } | { outcome: string; message: string; value?: undefined };

/**
 * Judges an XML callout's answer: only HTTP 200 with a body the parser accepts is `ok`. Any other status,
 * a transport failure, or a refused body gets an outcome code (`http_500`, `timeout`, `malformed`, `dtd`,
 * `too-many-results`...) and a specific message.
 */
export function judgeXml<T>(result: CalloutResult, parse: (body: Buffer) => ParsedAnswer<T>): XmlVerdict<T> {
  if (!result.ok) return { outcome: result.failure, message: result.message };
  if (result.status !== 200) {
    const text = printable(result.body.subarray(0, 200).toString('utf8')).replace(/\s+/g, ' ').trim();
    return { outcome: `http_${result.status}`, message: `The connector answered HTTP ${result.status}${text ? ` (${text})` : ''} instead of 200.` };
  }
  const parsed = parse(result.body);
  if (!parsed.ok) return { outcome: parsed.code, message: asSentence(printable(parsed.reason)) };
  return { outcome: 'ok', message: 'OK', value: parsed.value };
}
