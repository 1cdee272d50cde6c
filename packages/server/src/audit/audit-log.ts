/**
 * The audit trail: who changed what and when. Entries are written with the same executor as the
 * change they describe, so a change and its entry commit together.
 */
import { actorLabel, type Principal } from '../identity/principal.ts';
import type { Executor } from '../store/store.ts';

/** What to record about one change. Details must never hold a secret. */
export interface AuditInput {
  companyId: string | null;
  action: string;
  targetType: string;
  targetId: string;
  details: Record<string, unknown>;
}

/** One audit entry as the API shows it. */
export interface AuditEntry {
  id: number;
  at: string;
  actor: { id: string | null; label: string };
  action: string;
  details: Record<string, unknown>;
}

/** Appends an entry; `actor` null means patchbay itself (start-up, demo). */
export async function recordAudit(db: Executor, actor: Principal | null, input: AuditInput): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      company_id: input.companyId,
      actor_user_id: actor?.userId ?? null,
      actor_label: actor ? actorLabel(actor) : 'patchbay',
      action: input.action,
      target_type: input.targetType,
      target_id: input.targetId,
      details: JSON.stringify(input.details),
      created_at: Date.now(),
    })
    .execute();
}

/** A target's entries, newest first. */
export async function listAudit(db: Executor, companyId: string, targetType: string, targetId: string, limit = 200): Promise<AuditEntry[]> {
  const rows = await db
    .selectFrom('audit_log')
    .selectAll()
    .where('company_id', '=', companyId)
    .where('target_type', '=', targetType)
    .where('target_id', '=', targetId)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((row) => ({
    id: row.id,
    at: new Date(row.created_at).toISOString(),
    actor: { id: row.actor_user_id, label: row.actor_label },
    action: row.action,
    details: JSON.parse(row.details) as Record<string, unknown>,
  }));
}
