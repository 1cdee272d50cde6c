/**
 * The notification worker: the External Validation rule of the sample connector (spec §3.3). For each
 * Concur Request that enters an External Validation step, it reads the request and its expected expenses
 * with a company token, and approves the request when their total is within the budget limit, else sends it
 * back with a comment that says why.
 *
 * The notification callout is answered (200) as soon as the notification is queued; the work happens here,
 * in the background. A failure (no token, a network error, a refusal) is recorded and logged, never thrown
 * at the process: transient failures are retried with exponential backoff, others are recorded at once.
 */
import { ConcurApiError, requestApi } from '@patchbay/connector-sdk';
import type { ConcurRequest, HttpClientOptions, Notification, RequestApiClient } from '@patchbay/connector-sdk';
import { NoCompanyTokenError, isTransientOAuthError } from './company-tokens.ts';
import type { CompanyTokens } from './company-tokens.ts';

/** What the worker decided for one notification. */
export interface ValidationRecord {
  /** The notification's `ObjectURI`. */
  objectUri: string;
  /** The request's id (32 hexadecimal characters), when the URI named one. */
  requestUuid?: string;
  /** The key users see (`requestId` in Request v4, e.g. `3A7B`), once the request was read. */
  requestKey?: string;
  /** The company whose token read the request. */
  companyId?: string;
  /**
   * `approved` or `sent-back`: the workflow action was taken. `skipped`: nothing to do (not a request, or
   * not waiting for external validation any more). `failed`: the check could not be completed (see `error`).
   */
  outcome: 'approved' | 'sent-back' | 'skipped' | 'failed';
  /** The total of the expected expenses, when they were read and are in one currency. */
  total?: { value: number; currency: string | null };
  /** The comment sent with the workflow action, or why the notification was skipped. */
  comment?: string;
  /** What went wrong, for `failed`. */
  error?: string;
  /** How many times the check ran (more than 1 after transient failures). */
  attempts: number;
  receivedAt: string;
  finishedAt: string;
}

/** One log line of the worker. */
export interface ValidationLogEntry {
  level: 'info' | 'warn' | 'error';
  event: 'validation-approved' | 'validation-sent-back' | 'validation-skipped' | 'validation-failed' | 'validation-retry' | 'validation-duplicate';
  message: string;
  requestUuid?: string;
  companyId?: string;
  error?: unknown;
}

/** How transient failures are retried. */
export interface RetryOptions {
  /** How many times a check runs at most (the first try included). Default 4. */
  attempts?: number;
  /** The wait before the second try; it doubles for each further one (with ±25% jitter). Default 1,000 ms. */
  initialDelayMs?: number;
}

/** Options of `createBudgetValidator`. */
export interface BudgetValidatorOptions {
  /** Where Request v4 lives: `${baseUrl}/travelrequest/v4/requests`. */
  baseUrl: string;
  tokens: CompanyTokens;
  /** The highest total of expected expenses that is approved, in the expenses' currency. */
  budgetLimit: number;
  /** `fetch`, timeout and size cap of the calls to Request v4. */
  http?: HttpClientOptions;
  retry?: RetryOptions;
  /** Checks run at once. Default 4: each is a few short calls, and Concur's queue is first come, first served. */
  concurrency?: number;
  /** Notifications waiting at most; past that the callout answers 500 and Concur keeps the notification. Default 1,000. */
  maxQueued?: number;
  /** The decisions kept in `records` (oldest dropped first). Default 1,000. */
  maxRecords?: number;
  log?: (entry: ValidationLogEntry) => void;
}

/** The worker. */
export interface BudgetValidator {
  /** Queues a notification for checking; throws when the queue is full or the worker is closing. */
  enqueue(notification: Notification): void;
  /** What was decided, oldest first. */
  readonly records: readonly ValidationRecord[];
  /** Resolves when nothing is queued or running. */
  whenIdle(): Promise<void>;
  /**
   * Stops taking notifications and waits up to `deadlineMs` for the running checks. Checks still queued or
   * waiting to retry then are recorded as failed (they were acknowledged to Concur, so they are logged as errors).
   */
  close(deadlineMs: number): Promise<void>;
}

/** Four tries over about 7 s ride out a restart or a brief network failure of patchbay without holding a check for long. */
const DEFAULT_ATTEMPTS = 4;
/** The first retry waits 1 s, then 2 s, then 4 s. */
const DEFAULT_INITIAL_DELAY_MS = 1_000;
/** After the shutdown deadline, how long the aborted checks get to record themselves before `close` returns anyway. */
const ABORT_GRACE_MS = 1_000;
/** `…/travelrequest/v4/requests/{id}` (Request v4's ObjectURI), with an optional trailing slash. */
const REQUEST_URI = /\/travelrequest\/v4\/requests\/([0-9A-Za-z-]{1,64})\/?$/;

/** The request id an `ObjectURI` names, or undefined when it does not name a Request v4 request. */
export function requestUuidFromUri(uri: string): string | undefined {
  let path: string;
  try {
    path = new URL(uri, 'https://placeholder.invalid').pathname;
  } catch {
    return undefined;
  }
  return REQUEST_URI.exec(path)?.[1];
}

const AMOUNT = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** `7200` → `7,200.00`. */
export function formatAmount(value: number): string {
  return AMOUNT.format(value);
}

/** Whether a failure may go away by itself: no answer, throttling, the server's own error, a concurrent update. */
function isTransient(error: unknown): boolean {
  if (error instanceof ConcurApiError) return error.status === 0 || error.status === 429 || error.status >= 500 || (error.status === 409 && error.errorCode === 'concurrentUpdate');
  return isTransientOAuthError(error);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The expected expenses' amounts, summed per currency in hundredths (so 0.1 + 0.2 is 0.30 exactly). */
export function totalsByCurrency(expenses: unknown): Map<string, number> {
  const totals = new Map<string, number>();
  if (!Array.isArray(expenses)) throw new ConcurApiError(200, 'invalidResponse', 'the expected expenses are not a JSON array');
  for (const expense of expenses) {
    const amount = isRecord(expense) ? expense.transactionAmount : undefined;
    if (!isRecord(amount) || typeof amount.value !== 'number' || !Number.isFinite(amount.value) || typeof amount.currency !== 'string') continue;
    totals.set(amount.currency, (totals.get(amount.currency) ?? 0) + Math.round(amount.value * 100));
  }
  return totals;
}

/**
 * `GET {url}` with a bearer token, answering the JSON body; failures throw `ConcurApiError` as the SDK's
 * Request v4 client does (the client has no call for the expected expenses).
 */
async function getJson(url: string, accessToken: string, http: HttpClientOptions): Promise<unknown> {
  const doFetch = http.fetch ?? globalThis.fetch;
  const timeoutMs = http.timeoutMs ?? 30_000;
  const maxBytes = http.maxResponseBytes ?? 1024 * 1024;
  const signal = AbortSignal.timeout(timeoutMs);
  let status: number;
  let text: string;
  try {
    const response = await doFetch(url, { headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' }, redirect: 'manual', signal });
    status = response.status;
    const declared = Number(response.headers.get('content-length'));
    if (Number.isFinite(declared) && declared > maxBytes) {
      await response.body?.cancel().catch(() => undefined);
      throw new ConcurApiError(0, 'invalidResponse', `the answer is larger than ${maxBytes} bytes`);
    }
    text = await response.text();
  } catch (error) {
    if (error instanceof ConcurApiError) throw error;
    if (signal.aborted) throw new ConcurApiError(0, 'timeout', `no answer within ${timeoutMs} ms`);
    throw new ConcurApiError(0, 'networkError', describe(error));
  }
  if (text.length > maxBytes) throw new ConcurApiError(0, 'invalidResponse', `the answer is larger than ${maxBytes} bytes`);
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (status < 200 || status > 299) {
    const first = isRecord(json) && Array.isArray(json.errors) && isRecord(json.errors[0]) ? json.errors[0] : undefined;
    if (first && typeof first.errorCode === 'string') throw new ConcurApiError(status, first.errorCode, typeof first.errorMessage === 'string' ? first.errorMessage : '');
    throw new ConcurApiError(status, 'httpError', text.slice(0, 200) || `HTTP ${status}`);
  }
  if (json === undefined) throw new ConcurApiError(status, 'invalidResponse', `GET ${new URL(url).pathname} did not answer JSON`);
  return json;
}

/** The decision for a request and its expected expenses. */
export function decide(totals: ReadonlyMap<string, number>, budgetLimit: number): { approve: boolean; comment: string; total?: { value: number; currency: string | null } } {
  const limit = formatAmount(budgetLimit);
  if (totals.size > 1) {
    const currencies = [...totals.keys()].sort().join(', ');
    return { approve: false, comment: `The expected expenses are in several currencies (${currencies}); the budget check against the limit of ${limit} needs them in one currency` };
  }
  const [entry] = totals;
  if (entry === undefined) return { approve: true, comment: `No expected costs; within the budget limit of ${limit}`, total: { value: 0, currency: null } };
  const [currency, hundredths] = entry;
  const value = hundredths / 100;
  if (hundredths <= Math.round(budgetLimit * 100)) {
    return { approve: true, comment: `Total expected cost ${formatAmount(value)} ${currency} is within the budget limit of ${limit} ${currency}`, total: { value, currency } };
  }
  return { approve: false, comment: `Total expected cost ${formatAmount(value)} ${currency} exceeds the budget limit of ${limit} ${currency}`, total: { value, currency } };
}

/** Creates the worker. */
export function createBudgetValidator(options: BudgetValidatorOptions): BudgetValidator {
  const http = options.http ?? {};
  const attempts = Math.max(1, options.retry?.attempts ?? DEFAULT_ATTEMPTS);
  const initialDelayMs = Math.max(0, options.retry?.initialDelayMs ?? DEFAULT_INITIAL_DELAY_MS);
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const maxQueued = Math.max(1, options.maxQueued ?? 1_000);
  const maxRecords = Math.max(1, options.maxRecords ?? 1_000);
  const base = options.baseUrl.replace(/\/+$/, '');
  const records: ValidationRecord[] = [];
  const queue: { notification: Notification; uuid: string; receivedAt: string }[] = [];
  /** Requests queued or being checked: Concur may send the same notification twice. */
  const busy = new Set<string>();
  const idleWaiters: (() => void)[] = [];
  const stop = new AbortController();
  let running = 0;
  let closing = false;

  function log(entry: ValidationLogEntry): void {
    try {
      options.log?.(entry);
    } catch {
      // A failing logger must not break the worker.
    }
  }

  function record(entry: ValidationRecord): void {
    records.push(entry);
    if (records.length > maxRecords) records.splice(0, records.length - maxRecords);
    const where = { ...(entry.requestUuid !== undefined ? { requestUuid: entry.requestUuid } : {}), ...(entry.companyId !== undefined ? { companyId: entry.companyId } : {}) };
    const name = entry.requestKey ?? entry.requestUuid ?? entry.objectUri;
    switch (entry.outcome) {
      case 'approved':
        return log({ level: 'info', event: 'validation-approved', message: `approved request ${name}: ${entry.comment ?? ''}`, ...where });
      case 'sent-back':
        return log({ level: 'info', event: 'validation-sent-back', message: `sent back request ${name}: ${entry.comment ?? ''}`, ...where });
      case 'skipped':
        return log({ level: 'info', event: 'validation-skipped', message: `skipped ${name}: ${entry.comment ?? ''}`, ...where });
      case 'failed':
        return log({ level: 'error', event: 'validation-failed', message: `could not validate ${name} after ${entry.attempts} attempt(s): ${entry.error ?? ''}`, ...where });
    }
  }

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      if (stop.signal.aborted) return reject(new Error('the connector is shutting down'));
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(new Error('the connector is shutting down'));
      };
      const timer = setTimeout(() => {
        stop.signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      stop.signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Runs `call` with the company's token; a 401 gets a fresh token and one more try. */
  async function withToken<T>(companyId: string, call: (api: RequestApiClient, token: string) => Promise<T>): Promise<T> {
    const token = await options.tokens.accessToken(companyId);
    try {
      return await call(requestApi(token, base, http), token);
    } catch (error) {
      if (!(error instanceof ConcurApiError) || error.status !== 401) throw error;
      const fresh = await options.tokens.accessToken(companyId, { refresh: true });
      return call(requestApi(fresh, base, http), fresh);
    }
  }

  /** Finds the company the request belongs to (the first whose token can read it) and reads it. */
  async function readRequest(uuid: string): Promise<{ companyId: string; request: ConcurRequest }> {
    const companies = options.tokens.companies();
    if (companies.length === 0) throw new NoCompanyTokenError('', 'no company is connected: give a Company Request Token (companyRequestToken and companyId, or setCompanyRequestToken)');
    let notFound: unknown;
    for (const companyId of companies) {
      try {
        return { companyId, request: await withToken(companyId, (api) => api.getRequest(uuid)) };
      } catch (error) {
        // Another company's request is a 404 with this company's token: try the next company.
        if (error instanceof ConcurApiError && error.status === 404 && companies.length > 1) {
          notFound = error;
          continue;
        }
        throw error;
      }
    }
    throw notFound;
  }

  /** One run of the check. Answers the record's decision fields; throws on failure. */
  async function check(uuid: string): Promise<Omit<ValidationRecord, 'objectUri' | 'requestUuid' | 'attempts' | 'receivedAt' | 'finishedAt'>> {
    const { companyId, request } = await readRequest(uuid);
    const requestKey = typeof request.requestId === 'string' ? request.requestId : undefined;
    const known = { companyId, ...(requestKey !== undefined ? { requestKey } : {}) };
    // Act only on a request waiting at this step: Concur's `operations` list what the token may do now.
    if (Array.isArray(request.operations)) {
      const rels = new Set(request.operations.map((operation) => operation.rel));
      if (!rels.has('approve') || !rels.has('sendback')) {
        const status = request.approvalStatus?.name ?? request.approvalStatus?.code ?? 'unknown';
        return { ...known, outcome: 'skipped', comment: `the request is not waiting for external validation (status: ${status})` };
      }
    }
    const expenses = await withToken(companyId, (_api, token) => getJson(`${base}/travelrequest/v4/requests/${encodeURIComponent(request.id)}/expenses`, token, http));
    const decision = decide(totalsByCurrency(expenses), options.budgetLimit);
    if (decision.approve) await withToken(companyId, (api) => api.approve(request.id, decision.comment));
    else await withToken(companyId, (api) => api.sendBack(request.id, decision.comment));
    return { ...known, outcome: decision.approve ? 'approved' : 'sent-back', comment: decision.comment, ...(decision.total ? { total: decision.total } : {}) };
  }

  async function validate(notification: Notification, receivedAt: string, uuid: string): Promise<void> {
    let attempt = 0;
    for (;;) {
      attempt += 1;
      try {
        const decided = await check(uuid);
        record({ objectUri: notification.objectUri, requestUuid: uuid, ...decided, attempts: attempt, receivedAt, finishedAt: new Date().toISOString() });
        return;
      } catch (error) {
        let failure = error;
        if (attempt < attempts && isTransient(error) && !stop.signal.aborted) {
          const delay = Math.round(initialDelayMs * 2 ** (attempt - 1) * (0.75 + Math.random() * 0.5));
          log({ level: 'warn', event: 'validation-retry', message: `checking request ${uuid} failed (${describe(error)}); trying again in ${delay} ms`, requestUuid: uuid, error });
          try {
            await sleep(delay);
            continue;
          } catch (stopped) {
            failure = stopped;
          }
        }
        const companyId = failure instanceof NoCompanyTokenError && failure.companyId !== '' ? { companyId: failure.companyId } : {};
        record({ objectUri: notification.objectUri, requestUuid: uuid, ...companyId, outcome: 'failed', error: describe(failure), attempts: attempt, receivedAt, finishedAt: new Date().toISOString() });
        return;
      }
    }
  }

  function settleIdle(): void {
    if (running > 0 || queue.length > 0) return;
    for (const resolve of idleWaiters.splice(0)) resolve();
  }

  function pump(): void {
    while (running < concurrency) {
      const next = queue.shift();
      if (next === undefined) return;
      const uuid = next.uuid;
      running += 1;
      validate(next.notification, next.receivedAt, uuid)
        .catch((error: unknown) => log({ level: 'error', event: 'validation-failed', message: `unexpected failure checking ${uuid}: ${describe(error)}`, requestUuid: uuid, error }))
        .finally(() => {
          running -= 1;
          busy.delete(uuid);
          pump();
          settleIdle();
        });
    }
  }

  /** Whether everything finished within `ms`. */
  async function idleWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    });
    const result = await Promise.race([whenIdle().then(() => true as const), late]);
    clearTimeout(timer);
    return result;
  }

  function whenIdle(): Promise<void> {
    return new Promise<void>((resolve) => {
      idleWaiters.push(resolve);
      settleIdle();
    });
  }

  return {
    records,
    whenIdle,
    enqueue(notification) {
      if (closing) throw new Error('the connector is shutting down; send the notification again later');
      const receivedAt = new Date().toISOString();
      const now = (): string => new Date().toISOString();
      if (notification.objectType !== 'TRAVELREQ') {
        record({ objectUri: notification.objectUri, outcome: 'skipped', comment: `only Concur Requests (TRAVELREQ) are validated, not ${notification.objectType}`, attempts: 0, receivedAt, finishedAt: now() });
        return;
      }
      const uuid = requestUuidFromUri(notification.objectUri);
      if (uuid === undefined) {
        record({ objectUri: notification.objectUri, outcome: 'failed', error: 'the ObjectURI does not name a Request v4 request (…/travelrequest/v4/requests/{id})', attempts: 0, receivedAt, finishedAt: now() });
        return;
      }
      if (busy.has(uuid)) {
        log({ level: 'info', event: 'validation-duplicate', message: `request ${uuid} is already being checked; this notification adds nothing`, requestUuid: uuid });
        return;
      }
      if (queue.length >= maxQueued) throw new Error(`${maxQueued} notifications are waiting; send this one again later`);
      busy.add(uuid);
      queue.push({ notification, uuid, receivedAt });
      pump();
    },
    async close(deadlineMs) {
      closing = true;
      if (await idleWithin(deadlineMs)) return;
      // Past the deadline: drop what has not started, and wake the checks that wait to retry (they record
      // themselves as failed at once; a check in the middle of a call is given a moment more, then left).
      for (const { notification, uuid, receivedAt } of queue.splice(0)) {
        busy.delete(uuid);
        record({ objectUri: notification.objectUri, requestUuid: uuid, outcome: 'failed', error: 'not checked: the connector shut down first', attempts: 0, receivedAt, finishedAt: new Date().toISOString() });
      }
      stop.abort();
      await idleWithin(ABORT_GRACE_MS);
    },
  };
}
