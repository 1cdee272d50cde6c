/** Reading the call log: every callout to a company's connectors, newest first, kept 30 days. */
import type { Executor, Store } from '../store/store.ts';

/** One logged call as the API shows it. */
export interface LoggedCall {
  id: number;
  service: string;
  connectorId: string | null;
  method: string;
  url: string;
  startedAt: string;
  durationMs: number;
  outcome: string;
  httpStatus: number | null;
  message: string;
  requestExcerpt: string;
  responseExcerpt: string;
}

/** How long call log lines are kept: 30 days, as delivery attempts are. */
export const CALLOUT_LOG_RETENTION_MS = 30 * 24 * 3_600_000;
/** Rows deleted per statement when pruning, so that no statement holds the table long. */
const PRUNE_BATCH = 1_000;

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 200;

/** A page of the company's call log; `nextBefore` continues it. */
export async function listCalls(
  db: Executor,
  companyId: string,
  filter: { service?: string | undefined; connectorId?: string | undefined; before?: number | undefined; limit?: number | undefined },
): Promise<{ items: LoggedCall[]; nextBefore: string | null }> {
  const limit = Math.min(Math.max(filter.limit ?? DEFAULT_LIMIT, 1), MAX_LIMIT);
  let query = db.selectFrom('callout_log').selectAll().where('company_id', '=', companyId);
  if (filter.service !== undefined) query = query.where('service', '=', filter.service);
  if (filter.connectorId !== undefined) query = query.where('connector_id', '=', filter.connectorId);
  if (filter.before !== undefined) query = query.where('id', '<', filter.before);
  const rows = await query.orderBy('id', 'desc').limit(limit + 1).execute();
  const page = rows.slice(0, limit);
  return {
    items: page.map((row) => ({
      id: Number(row.id),
      service: row.service,
      connectorId: row.connector_id,
      method: row.method,
      url: row.url,
      startedAt: new Date(Number(row.started_at)).toISOString(),
      durationMs: row.duration_ms,
      outcome: row.outcome,
      httpStatus: row.http_status,
      message: row.message,
      requestExcerpt: row.request_excerpt,
      responseExcerpt: row.response_excerpt,
    })),
    nextBefore: rows.length > limit ? String(page.at(-1)!.id) : null,
  };
}

/** Deletes call log lines older than the retention, in batches; returns how many went. */
export async function pruneCalloutLog(store: Store, now: number, shouldStop: () => boolean = () => false): Promise<number> {
  // `started_at` is wall-clock time (the callout client stamps it), so the cut-off is too.
  const cutoff = now - CALLOUT_LOG_RETENTION_MS;
  let total = 0;
  while (!shouldStop()) {
    const batch = store.db.selectFrom('callout_log').select('id').where('started_at', '<', cutoff).orderBy('id').limit(PRUNE_BATCH);
    const result = await store.db.deleteFrom('callout_log').where('id', 'in', batch).executeTakeFirst();
    const deleted = Number(result.numDeletedRows);
    total += deleted;
    if (deleted < PRUNE_BATCH) break;
  }
  return total;
}
