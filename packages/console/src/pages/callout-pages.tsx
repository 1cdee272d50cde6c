// Administration > Web Services: the Call Log (every callout to the company's connectors, with the
// request and response excerpts) and the Event Notification queue (pending and failed notifications,
// with Retry).
import { Fragment, useEffect, useState } from 'react';
import {
  CALLOUT_SERVICES,
  CALLOUT_SERVICE_LABELS,
  NOTIFICATION_STATUSES,
  api,
  errorMessage,
  type CallLogPage,
  type CalloutService,
  type EventNotification,
  type LoggedCall,
  type NotificationStatus,
} from '../api.ts';
import { Badge, DateTime, ErrorBanner, Loading, Notice, PageHeader, SelectField, useLoader, type Crumb } from '../components.tsx';
import { paths } from '../router.tsx';
import { CompanyLine } from './app-connections-pages.tsx';

const CRUMBS: Crumb[] = [{ label: 'Administration' }, { label: 'Web Services', to: paths.webServices() }];

/** Calls per page of the call log. */
const PAGE_SIZE = 50;

/** A call's outcome as a badge: `ok` green, anything else red. */
function OutcomeBadge({ outcome }: { outcome: string }) {
  return <Badge tone={outcome === 'ok' ? 'success' : 'danger'}>{outcome}</Badge>;
}

function serviceLabel(service: string): string {
  return (CALLOUT_SERVICE_LABELS as Record<string, string>)[service] ?? service;
}

/** Call Log: the company's callouts, newest first, filtered by service and connector, 30 days kept. */
export function CallLogPage({ companyId }: { companyId: string }) {
  const [service, setService] = useState<CalloutService | ''>('');
  const [connectorId, setConnectorId] = useState('');
  const [generation, setGeneration] = useState(0);
  const connectors = useLoader(`connectors:${companyId}`, () => api.listConnectors(companyId));
  const calls = useLoader<CallLogPage>(`callouts:${companyId}:${service}:${connectorId}:${generation}`, () =>
    api.listCallouts(companyId, { service: service === '' ? undefined : service, connectorId: connectorId === '' ? undefined : connectorId, limit: PAGE_SIZE }),
  );
  const [older, setOlder] = useState<LoggedCall[]>([]);
  const [nextBefore, setNextBefore] = useState<string | null>(null);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [olderError, setOlderError] = useState<string | null>(null);
  const [expanded, setExpanded] = useState<number[]>([]);

  const firstPage = calls.data;
  useEffect(() => {
    setOlder([]);
    setOlderError(null);
    setNextBefore(firstPage?.nextBefore ?? null);
  }, [firstPage]);

  async function loadOlder(): Promise<void> {
    if (nextBefore === null) return;
    setLoadingOlder(true);
    setOlderError(null);
    try {
      const page = await api.listCallouts(companyId, {
        service: service === '' ? undefined : service,
        connectorId: connectorId === '' ? undefined : connectorId,
        limit: PAGE_SIZE,
        before: nextBefore,
      });
      setOlder((current) => [...current, ...page.items]);
      setNextBefore(page.nextBefore);
    } catch (cause) {
      setOlderError(errorMessage(cause));
    } finally {
      setLoadingOlder(false);
    }
  }

  const connectorName = (id: string | null) => (id === null ? '—' : (connectors.data?.find((connector) => connector.id === id)?.name ?? id));
  const toggle = (id: number) => setExpanded((current) => (current.includes(id) ? current.filter((entry) => entry !== id) : [...current, id]));
  const items = [...(firstPage?.items ?? []), ...older];
  const filtered = service !== '' || connectorId !== '';

  return (
    <section>
      <PageHeader title="Call Log" crumbs={CRUMBS}>
        <button type="button" className="button" onClick={() => setGeneration((value) => value + 1)}>
          Refresh
        </button>
      </PageHeader>
      <CompanyLine companyId={companyId} picker={paths.callLogPicker()} />
      <div className="card">
        <p className="lead">
          Every call patchbay made to the company’s application connectors in the last 30 days, newest first, with the start of what was
          sent and answered. Credentials are never logged.
        </p>
        <div className="inline-form">
          <SelectField
            label="Service"
            value={service}
            options={[{ value: '' as const, label: 'All services' }, ...CALLOUT_SERVICES.map((value) => ({ value, label: CALLOUT_SERVICE_LABELS[value] }))]}
            onChange={(value) => {
              setService(value);
              setExpanded([]);
            }}
          />
          <SelectField
            label="Connector"
            value={connectorId}
            options={[{ value: '', label: 'All connectors' }, ...(connectors.data ?? []).map((connector) => ({ value: connector.id, label: connector.name }))]}
            onChange={(value) => {
              setConnectorId(value);
              setExpanded([]);
            }}
          />
        </div>
        <ErrorBanner message={calls.error ?? olderError} />
        {calls.loading && firstPage === undefined ? <Loading what="the call log" /> : null}
        {firstPage !== undefined ? (
          <>
            <table className="table table-compact" aria-busy={calls.loading}>
              <caption className="visually-hidden">Call log</caption>
              <thead>
                <tr>
                  <th scope="col">Started</th>
                  <th scope="col">Service</th>
                  <th scope="col">Connector</th>
                  <th scope="col">Outcome</th>
                  <th scope="col">HTTP</th>
                  <th scope="col">Duration</th>
                  <th scope="col">Message</th>
                  <th scope="col">
                    <span className="visually-hidden">Details</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {items.length === 0 ? (
                  <tr>
                    <td colSpan={8} className="empty">
                      {filtered ? 'No calls match these filters.' : 'No calls yet. Calls appear when travelers search attendees, pick list items, or requests notify a connector.'}
                    </td>
                  </tr>
                ) : null}
                {items.map((call) => {
                  const open = expanded.includes(call.id);
                  const detailId = `call-${call.id}-detail`;
                  return (
                    <Fragment key={call.id}>
                      <tr>
                        <td className="nowrap">
                          <DateTime value={call.startedAt} />
                        </td>
                        <td>{serviceLabel(call.service)}</td>
                        <td>{connectorName(call.connectorId)}</td>
                        <td>
                          <OutcomeBadge outcome={call.outcome} />
                        </td>
                        <td className="mono">{call.httpStatus ?? '—'}</td>
                        <td className="nowrap">{call.durationMs} ms</td>
                        <td className="details">{call.message}</td>
                        <td className="cell-actions">
                          <button
                            type="button"
                            className="button button-small"
                            aria-expanded={open}
                            aria-controls={open ? detailId : undefined}
                            aria-label={`${open ? 'Hide' : 'Show'} details of call ${call.id}`}
                            onClick={() => toggle(call.id)}
                          >
                            {open ? 'Hide' : 'Details'}
                          </button>
                        </td>
                      </tr>
                      {open ? (
                        <tr className="call-detail" id={detailId}>
                          <td colSpan={8}>
                            <CallDetail call={call} connector={connectorName(call.connectorId)} />
                          </td>
                        </tr>
                      ) : null}
                    </Fragment>
                  );
                })}
              </tbody>
            </table>
            {nextBefore !== null ? (
              <div className="actions">
                <button type="button" className="button" disabled={loadingOlder} onClick={() => void loadOlder()}>
                  {loadingOlder ? 'Loading…' : 'Show Older Calls'}
                </button>
              </div>
            ) : null}
          </>
        ) : null}
      </div>
    </section>
  );
}

/** One call in full: where it went, how it ended, and the excerpts of both bodies. */
function CallDetail({ call, connector }: { call: LoggedCall; connector: string }) {
  return (
    <div aria-label={`Call ${call.id}`} role="region">
      <dl className="facts">
        <dt>Request</dt>
        <dd className="mono details">
          {call.method} {call.url}
        </dd>
        <dt>Connector</dt>
        <dd>{connector}</dd>
        <dt>Outcome</dt>
        <dd>
          <OutcomeBadge outcome={call.outcome} /> {call.message}
        </dd>
        <dt>HTTP Status</dt>
        <dd className="mono">{call.httpStatus ?? 'No answer'}</dd>
        <dt>Duration</dt>
        <dd>{call.durationMs} ms</dd>
      </dl>
      <h3>Request excerpt</h3>
      <pre className="excerpt" aria-label={`Request excerpt of call ${call.id}`}>
        {call.requestExcerpt === '' ? '(empty)' : call.requestExcerpt}
      </pre>
      <h3>Response excerpt</h3>
      <pre className="excerpt" aria-label={`Response excerpt of call ${call.id}`}>
        {call.responseExcerpt === '' ? '(empty)' : call.responseExcerpt}
      </pre>
    </div>
  );
}

const STATUS_LABELS: Record<NotificationStatus, string> = { PENDING: 'Pending', FAILED: 'Failed' };

/** Event Notifications: the company's queue, in order; a failed notification can be put back in it. */
export function EventNotificationsPage({ companyId }: { companyId: string }) {
  const [status, setStatus] = useState<NotificationStatus | ''>('');
  const [generation, setGeneration] = useState(0);
  const notifications = useLoader(`notifications:${companyId}:${status}:${generation}`, () => api.listNotifications(companyId, status === '' ? undefined : status));
  const connectors = useLoader(`connectors:${companyId}`, () => api.listConnectors(companyId));
  const [retrying, setRetrying] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  async function retry(notification: EventNotification): Promise<void> {
    setRetrying(notification.id);
    setError(null);
    setNotice(null);
    try {
      await api.retryNotification(companyId, notification.id);
      setNotice('The notification is back in the queue, at its place; it is sent again shortly.');
      setGeneration((value) => value + 1);
    } catch (cause) {
      setError(errorMessage(cause));
    } finally {
      setRetrying(null);
    }
  }

  const connectorName = (id: string | undefined) => (id === undefined ? '—' : (connectors.data?.find((connector) => connector.id === id)?.name ?? id));
  const items: EventNotification[] = notifications.data ?? [];
  return (
    <section>
      <PageHeader title="Event Notifications" crumbs={CRUMBS}>
        <button type="button" className="button" onClick={() => setGeneration((value) => value + 1)}>
          Refresh
        </button>
      </PageHeader>
      <CompanyLine companyId={companyId} picker={paths.notificationsPicker()} />
      <Notice message={notice} />
      <div className="card">
        <p className="lead">
          Requests entering an External Validation step notify the step’s connector. Notifications are sent one at a time per company, in
          order; one that keeps failing is marked Failed and the next one is sent. Retry puts a failed notification back in the queue.
        </p>
        <div className="inline-form">
          <SelectField
            label="Status"
            value={status}
            options={[{ value: '' as const, label: 'All statuses' }, ...NOTIFICATION_STATUSES.map((value) => ({ value, label: STATUS_LABELS[value] }))]}
            onChange={setStatus}
          />
        </div>
        <ErrorBanner message={notifications.error ?? error} />
        {notifications.loading && notifications.data === undefined ? <Loading what="notifications" /> : null}
        {notifications.data !== undefined ? (
          <table className="table table-compact">
            <caption className="visually-hidden">Event notifications</caption>
            <thead>
              <tr>
                <th scope="col">Queued</th>
                <th scope="col">Request</th>
                <th scope="col">Event Type</th>
                <th scope="col">Connector</th>
                <th scope="col">Status</th>
                <th scope="col">Attempts</th>
                <th scope="col">Next Attempt or Failed</th>
                <th scope="col">Last Error</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.length === 0 ? (
                <tr>
                  <td colSpan={9} className="empty">
                    {status === '' ? 'The queue is empty: every notification was delivered.' : `No ${STATUS_LABELS[status].toLowerCase()} notifications.`}
                  </td>
                </tr>
              ) : null}
              {items.map((notification) => (
                <tr key={notification.id}>
                  <td className="nowrap">
                    <DateTime value={notification.createdAt} />
                  </td>
                  <td className="mono small">{notification.requestId}</td>
                  <td className="small">{notification.eventType}</td>
                  <td>{connectorName(notification.connectorId)}</td>
                  <td>
                    <Badge tone={notification.status === 'FAILED' ? 'danger' : 'warning'}>{STATUS_LABELS[notification.status] ?? notification.status}</Badge>
                  </td>
                  <td>{notification.attempts}</td>
                  <td className="nowrap">
                    <DateTime value={notification.status === 'FAILED' ? notification.failedAt : notification.nextAttemptAt} />
                  </td>
                  <td className="details">{notification.lastError ?? <span className="muted">—</span>}</td>
                  <td className="cell-actions">
                    {notification.status === 'FAILED' ? (
                      <button
                        type="button"
                        className="button button-small"
                        aria-label={`Retry the notification of request ${notification.requestId}`}
                        disabled={retrying !== null}
                        onClick={() => void retry(notification)}
                      >
                        {retrying === notification.id ? 'Retrying…' : 'Retry'}
                      </button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </div>
    </section>
  );
}
