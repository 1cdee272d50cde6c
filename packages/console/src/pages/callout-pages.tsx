// Administration > Web Services: the Call Log (every callout to the company's connectors, with the
// request and response excerpts) and the Event Notification queue (pending and failed notifications,
// with Retry).
import { Fragment, useState } from 'react';
import {
  CALLOUT_SERVICES,
  CALLOUT_SERVICE_LABELS,
  NOTIFICATION_STATUSES,
  api,
  type CalloutService,
  type EventNotification,
  type LoggedCall,
  type NotificationStatus,
} from '../api.ts';
import {
  ACTIONS,
  Badge,
  CompanyFrame,
  DataTable,
  DateTime,
  ErrorBanner,
  Loading,
  Notice,
  RefreshButton,
  SelectField,
  ShowOlder,
  WEB_SERVICES_CRUMBS,
  useLoader,
  usePages,
} from '../components.tsx';
import { useSubmission } from '../forms.ts';
import { paths } from '../router.tsx';

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
  const connectors = useLoader(`connectors:${companyId}`, () => api.listConnectors(companyId));
  const calls = usePages(`callouts:${companyId}:${service}:${connectorId}`, (before: string | undefined) =>
    api.listCallouts(companyId, { service: service === '' ? undefined : service, connectorId: connectorId === '' ? undefined : connectorId, limit: PAGE_SIZE, before }),
  );
  const [expanded, setExpanded] = useState<number[]>([]);

  const connectorName = (id: string | null) => (id === null ? '—' : (connectors.data?.find((connector) => connector.id === id)?.name ?? id));
  const toggle = (id: number) => setExpanded((current) => (current.includes(id) ? current.filter((entry) => entry !== id) : [...current, id]));
  const filtered = service !== '' || connectorId !== '';

  return (
    <CompanyFrame
      companyId={companyId}
      title="Call Log"
      crumbs={WEB_SERVICES_CRUMBS}
      picker={paths.callLogPicker()}
      uuid
      actions={<RefreshButton onRefresh={calls.first.reload} />}
    >
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
        <ErrorBanner message={calls.first.error ?? calls.olderError} />
        <Loading what="the call log" loader={calls.first} />
        <DataTable
          className="table table-compact"
          busy={calls.first.loading}
          caption="Call log"
          columns={['Started', 'Service', 'Connector', 'Outcome', 'HTTP', 'Duration', 'Message', { label: 'Details', hidden: true }]}
          rows={calls.items}
          empty={filtered ? 'No calls match these filters.' : 'No calls yet. Calls appear when travelers search attendees, pick list items, or requests notify a connector.'}
        >
          {(call) => {
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
          }}
        </DataTable>
        <ShowOlder pages={calls} label="Show Older Calls" />
      </div>
    </CompanyFrame>
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
  const notifications = useLoader(`notifications:${companyId}:${status}`, () => api.listNotifications(companyId, status === '' ? undefined : status));
  const connectors = useLoader(`connectors:${companyId}`, () => api.listConnectors(companyId));
  const retrying = useSubmission();

  function retry(notification: EventNotification): Promise<void> {
    return retrying.submit(
      async () => {
        await api.retryNotification(companyId, notification.id);
        retrying.setNotice('The notification is back in the queue, at its place; it is sent again shortly.');
        notifications.reload();
      },
      { what: notification.id },
    );
  }

  const connectorName = (id: string | undefined) => (id === undefined ? '—' : (connectors.data?.find((connector) => connector.id === id)?.name ?? id));
  return (
    <CompanyFrame
      companyId={companyId}
      title="Event Notifications"
      crumbs={WEB_SERVICES_CRUMBS}
      picker={paths.notificationsPicker()}
      uuid
      actions={<RefreshButton onRefresh={notifications.reload} />}
    >
      <Notice message={retrying.notice} />
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
        <ErrorBanner message={notifications.error ?? retrying.error} />
        <Loading what="notifications" loader={notifications} />
        <DataTable
          className="table table-compact"
          caption="Event notifications"
          columns={['Queued', 'Request', 'Event Type', 'Connector', 'Status', 'Attempts', 'Next Attempt or Failed', 'Last Error', ACTIONS]}
          rows={notifications.data}
          empty={status === '' ? 'The queue is empty: every notification was delivered.' : `No ${STATUS_LABELS[status].toLowerCase()} notifications.`}
        >
          {(notification) => (
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
                    disabled={retrying.busy}
                    onClick={() => void retry(notification)}
                  >
                    {retrying.pending === notification.id ? 'Retrying…' : 'Retry'}
                  </button>
                ) : null}
              </td>
            </tr>
          )}
        </DataTable>
      </div>
    </CompanyFrame>
  );
}
