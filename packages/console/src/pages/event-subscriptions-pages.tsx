// Administration > Event Subscriptions: the Event Subscription Service's webhook subscriptions, each
// subscription's deliveries (filtered by status), one delivery with its attempts and the exact event
// JSON, and Replay of an event or a time range (operators). A company's administrators see the
// subscriptions their company's events go to, and only their company's deliveries.
import { useState } from 'react';
import {
  DELIVERY_STATUSES,
  DELIVERY_STATUS_LABELS,
  api,
  type Delivery,
  type DeliveryCounts,
  type DeliveryStatus,
  type EventSubscription,
  type ReplaySelection,
} from '../api.ts';
import {
  ACTIONS,
  Badge,
  CardForm,
  ConfirmDialog,
  CopyField,
  DataTable,
  DateTime,
  ErrorBanner,
  Loading,
  Notice,
  PageHeader,
  RefreshButton,
  SelectField,
  ShowOlder,
  TextField,
  useLoader,
  usePages,
  type Crumb,
} from '../components.tsx';
import { useConfirmation } from '../forms.ts';
import { Link, paths } from '../router.tsx';
import { useSession } from '../session.tsx';

const CRUMBS: Crumb[] = [{ label: 'Administration' }];
const LIST_CRUMBS: Crumb[] = [...CRUMBS, { label: 'Event Subscriptions', to: paths.eventSubscriptions() }];
const PAGE_SIZE = 50;

const STATUS_TONES: Record<DeliveryStatus, 'success' | 'danger' | 'neutral' | 'warning'> = {
  PENDING: 'warning',
  DELIVERED: 'success',
  FAILED: 'danger',
  EXPIRED: 'neutral',
};

/** A delivery status as a coloured label. */
function StatusBadge({ status }: { status: DeliveryStatus }) {
  return <Badge tone={STATUS_TONES[status]}>{DELIVERY_STATUS_LABELS[status]}</Badge>;
}

/** The delivery counts of a subscription, one label per status that has any. */
function CountBadges({ counts }: { counts: DeliveryCounts }) {
  const present = DELIVERY_STATUSES.filter((status) => counts[status] > 0);
  if (present.length === 0) return <span className="muted">None yet</span>;
  return (
    <span className="badges">
      {present.map((status) => (
        <Badge key={status} tone={STATUS_TONES[status]}>
          {DELIVERY_STATUS_LABELS[status]} {counts[status]}
        </Badge>
      ))}
    </span>
  );
}

/** The companies of a subscription, by name where known. */
function Companies({ subscription }: { subscription: EventSubscription }) {
  if (subscription.companies.length === 0) return <span className="muted">None connected yet</span>;
  return (
    <>
      {subscription.companies.map((company, index) => (
        <span key={company.id}>
          {index > 0 ? ', ' : null}
          {company.id === '.*' ? 'All companies (.*)' : (company.name ?? <span className="mono">{company.id}</span>)}
        </span>
      ))}
    </>
  );
}

/** An event type that may wrap after its dots (statusChange.PENDING.RequestManager). */
function EventType({ value }: { value: string }) {
  const parts = value.split('.');
  return (
    <span className="mono">
      {parts.map((part, index) => (
        <span key={index}>
          {part}
          {index < parts.length - 1 ? (
            <>
              .<wbr />
            </>
          ) : null}
        </span>
      ))}
    </span>
  );
}

/** A timestamp in a table cell: short (month, day, time), the full value in the tooltip. */
function ShortTime({ value }: { value: string | null }) {
  if (value === null) return <span className="muted">—</span>;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return <span>{value}</span>;
  return (
    <time dateTime={value} title={value}>
      {date.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' })}
    </time>
  );
}

/** What the last attempt got: the HTTP status, or the I/O error. */
function LastAnswer({ delivery }: { delivery: Delivery }) {
  if (delivery.attempts === 0) return <span className="muted">Not attempted yet</span>;
  if (delivery.lastStatus !== null) return <span className="mono">HTTP {delivery.lastStatus}</span>;
  return <span className="details">{delivery.lastError ?? '—'}</span>;
}

/** Event Subscriptions: every subscription (operators) or those receiving the company's events. */
export function EventSubscriptionsPage() {
  const { session } = useSession();
  const operator = session.user.isOperator;
  const [appId, setAppId] = useState('');
  const applications = useLoader(`ess-applications:${operator}`, () => (operator ? api.listApplications() : Promise.resolve([])));
  const subscriptions = useLoader(`ess-subscriptions:${appId}`, () => api.listEventSubscriptions(appId === '' ? undefined : appId));

  return (
    <section>
      <PageHeader title="Event Subscriptions" crumbs={CRUMBS}>
        <RefreshButton onRefresh={subscriptions.reload} />
      </PageHeader>
      <p className="lead">
        Partner applications subscribe webhooks to event topics with <span className="mono">PUT /events/v4/subscriptions/webhook</span>;
        patchbay delivers each event to every matching subscription, signed with the{' '}
        <Link to={paths.webhookSigningKey()}>webhook signing key</Link>, and retries for 72 hours.{' '}
        {operator
          ? 'You see every application’s subscriptions.'
          : `You see the subscriptions that receive ${session.company?.name ?? 'your company'}’s events, and only your company’s deliveries.`}
      </p>
      <ErrorBanner message={subscriptions.error ?? applications.error} />
      <div className="card">
        <div className="card-title-row is-centered">
          <h2>Subscriptions</h2>
          {operator && (applications.data ?? []).length > 0 ? (
            <div className="inline-form">
              <SelectField
                label="Application"
                value={appId}
                options={[{ value: '', label: 'All applications' }, ...(applications.data ?? []).map((application) => ({ value: application.id, label: application.name }))]}
                onChange={setAppId}
              />
            </div>
          ) : null}
        </div>
        <Loading what="subscriptions" loader={subscriptions} />
        <DataTable
          aria-label="Event subscriptions"
          columns={['Subscription', 'Application', 'Topic and Filter', 'Endpoint', 'Companies', 'Deliveries']}
          rows={subscriptions.data}
          empty={
            appId !== ''
              ? 'This application has no subscriptions.'
              : operator
                ? 'No subscriptions yet. Applications create them with PUT /events/v4/subscriptions/webhook and an app token.'
                : 'No subscriptions receive your company’s events. They appear here once a connected application subscribes.'
          }
        >
          {(subscription) => (
            <tr key={subscription.id}>
              <th scope="row">
                <Link to={paths.eventSubscription(subscription.id)} className="mono">
                  {subscription.id}
                </Link>
              </th>
              <td>
                <div>{subscription.applicationName}</div>
                <div className="small muted mono">{subscription.applicationId}</div>
              </td>
              <td>
                <div className="mono">{subscription.topic}</div>
                <div className="small">
                  Filter <span className="mono">{subscription.filter}</span>
                </div>
              </td>
              <td className="details mono">{subscription.endpoint}</td>
              <td>
                <Companies subscription={subscription} />
              </td>
              <td>
                <CountBadges counts={subscription.counts} />
              </td>
            </tr>
          )}
        </DataTable>
      </div>
    </section>
  );
}

/** A local date-time input value (the console's time zone) as an ISO 8601 instant, or null. */
function toInstant(local: string): string | null {
  if (local === '') return null;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** One subscription: its settings and counts, its deliveries (filtered by status, paged) and Replay. */
export function EventSubscriptionPage({ subscriptionId }: { subscriptionId: string }) {
  const { session } = useSession();
  const operator = session.user.isOperator;
  const [status, setStatus] = useState<DeliveryStatus | ''>('');
  const subscription = useLoader(`ess-subscription:${subscriptionId}`, () => api.getEventSubscription(subscriptionId));
  const deliveries = usePages(`ess-deliveries:${subscriptionId}:${status}`, (before: number | undefined) =>
    api.listDeliveries(subscriptionId, { status: status === '' ? undefined : status, limit: PAGE_SIZE, before }),
  );

  const [mode, setMode] = useState<'event' | 'range'>('event');
  const [eventId, setEventId] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [fieldErrors, setFieldErrors] = useState<{ eventId?: string; from?: string; to?: string }>({});
  const [notice, setNotice] = useState<string | null>(null);
  const replay = useConfirmation(async (selection: ReplaySelection) => {
    const replayed = await api.replayEvents(subscriptionId, selection);
    setNotice(
      replayed === 0
        ? 'No events of that range match this subscription: nothing was replayed.'
        : `Replayed ${replayed} event${replayed === 1 ? '' : 's'}: ${replayed === 1 ? 'it is' : 'they are'} queued as new deliveries, listed below.`,
    );
    setStatus('');
    refresh();
  });

  function refresh(): void {
    subscription.reload();
    deliveries.first.reload();
  }

  function askReplay(): void {
    setNotice(null);
    if (mode === 'event') {
      const id = eventId.trim();
      if (id === '') {
        setFieldErrors({ eventId: 'Enter the id of the event to replay (the event’s "id", shown on each delivery).' });
        return;
      }
      setFieldErrors({});
      replay.ask({ eventId: id });
      return;
    }
    const errors: { from?: string; to?: string } = {};
    const fromInstant = toInstant(from);
    const toInstantValue = toInstant(to);
    if (fromInstant === null) errors.from = 'Enter when the range starts.';
    if (toInstantValue === null) errors.to = 'Enter when the range ends.';
    else if (fromInstant !== null && toInstantValue <= fromInstant) errors.to = 'The end must be later than the start.';
    setFieldErrors(errors);
    if (fromInstant === null || toInstantValue === null || errors.to !== undefined) return;
    replay.ask({ from: fromInstant, to: toInstantValue });
  }

  const sub = subscription.data;
  return (
    <section>
      <PageHeader title={subscriptionId} crumbs={LIST_CRUMBS}>
        <RefreshButton onRefresh={refresh} />
      </PageHeader>
      <Notice message={notice} />
      <ErrorBanner message={subscription.error} />
      <Loading what="the subscription" loader={subscription} />
      {sub !== undefined ? (
        <div className="card">
          <h2>Subscription</h2>
          <dl className="facts">
            <dt>Application</dt>
            <dd>
              {sub.applicationName} <span className="muted mono small">{sub.applicationId}</span>
            </dd>
            <dt>Topic</dt>
            <dd className="mono">{sub.topic}</dd>
            <dt>Filter</dt>
            <dd className="mono">{sub.filter}</dd>
            <dt>Endpoint</dt>
            <dd className="mono details">{sub.endpoint}</dd>
            <dt>Companies</dt>
            <dd>
              <Companies subscription={sub} />
            </dd>
            {sub.groups.length > 0 ? (
              <>
                <dt>Groups</dt>
                <dd className="mono">{sub.groups.join(', ')}</dd>
              </>
            ) : null}
            <dt>Created</dt>
            <dd>
              <DateTime value={sub.createdAt} />
            </dd>
            <dt>Deliveries</dt>
            <dd>
              <CountBadges counts={sub.counts} />
            </dd>
          </dl>
        </div>
      ) : null}

      {operator && sub !== undefined ? (
        <CardForm className="card filters" aria-label="Replay events" onSubmit={() => askReplay()}>
          <h2>Replay</h2>
          <p className="lead">
            Send events to this subscription again, as new deliveries published now (so the 72-hour retry clock starts
            again). Only events the subscription would receive today are replayed: its topic, companies, groups and filter.
          </p>
          <div className="toolbar" role="radiogroup" aria-label="What to replay">
            <div className="field field-checkbox">
              <input id="replay-mode-event" type="radio" name="replay-mode" checked={mode === 'event'} onChange={() => setMode('event')} />
              <label htmlFor="replay-mode-event">One event</label>
            </div>
            <div className="field field-checkbox">
              <input id="replay-mode-range" type="radio" name="replay-mode" checked={mode === 'range'} onChange={() => setMode('range')} />
              <label htmlFor="replay-mode-range">A time range</label>
            </div>
          </div>
          <div className="inline-form">
            {mode === 'event' ? (
              <TextField
                label="Event ID"
                value={eventId}
                onChange={(value) => {
                  setEventId(value);
                  setFieldErrors({});
                }}
                error={fieldErrors.eventId}
                placeholder="The event’s id"
                autoComplete="off"
                className="field-wide"
              />
            ) : (
              <>
                <TextField label="From" type="datetime-local" value={from} onChange={setFrom} error={fieldErrors.from} />
                <TextField label="To" type="datetime-local" value={to} onChange={setTo} error={fieldErrors.to} />
              </>
            )}
            <button type="submit" className="button button-primary">
              Replay…
            </button>
          </div>
          {mode === 'range' ? <p className="field-hint">Times are in your time zone; events published from the start up to (not including) the end.</p> : null}
        </CardForm>
      ) : null}

      <div className="card">
        <div className="card-title-row is-centered">
          <h2>Deliveries</h2>
          <div className="inline-form">
            <SelectField
              label="Status"
              value={status}
              options={[{ value: '' as const, label: 'All statuses' }, ...DELIVERY_STATUSES.map((value) => ({ value, label: DELIVERY_STATUS_LABELS[value] }))]}
              onChange={(value) => setStatus(value)}
            />
          </div>
        </div>
        <ErrorBanner message={deliveries.first.error ?? deliveries.olderError} />
        <Loading what="deliveries" loader={deliveries.first} />
        <DataTable
          className="table table-compact"
          aria-label="Deliveries"
          columns={['Delivery', 'Event Type', 'Request', 'Status', 'Attempts', 'Last Answer', 'Published', 'Next Attempt or Completed', operator ? ACTIONS : null]}
          rows={deliveries.items}
          empty={
            status === ''
              ? 'No deliveries yet. Deliveries appear when events of the subscription’s companies are published.'
              : `No ${DELIVERY_STATUS_LABELS[status].toLowerCase()} deliveries.`
          }
        >
          {(delivery) => (
            <tr key={delivery.id}>
              <th scope="row">
                <Link to={paths.eventDelivery(subscriptionId, String(delivery.id))}>#{delivery.id}</Link>
              </th>
              <td>
                <EventType value={delivery.eventType} />
              </td>
              <td className="mono">{delivery.requestId ?? '—'}</td>
              <td>
                <span className="badges">
                  <StatusBadge status={delivery.status} />
                  {delivery.replay ? <Badge tone="neutral">Replay</Badge> : null}
                </span>
              </td>
              <td>{delivery.attempts}</td>
              <td>
                <LastAnswer delivery={delivery} />
              </td>
              <td className="nowrap">
                <ShortTime value={delivery.publishedAt} />
              </td>
              <td className="nowrap">
                <ShortTime value={delivery.status === 'PENDING' ? delivery.nextAttemptAt : delivery.completedAt} />
              </td>
              {operator ? (
                <td className="cell-actions">
                  <button
                    type="button"
                    className="button button-small"
                    aria-label={`Replay the event of delivery ${delivery.id}`}
                    onClick={() => {
                      setNotice(null);
                      replay.ask({ eventId: delivery.eventId });
                    }}
                  >
                    Replay
                  </button>
                </td>
              ) : null}
            </tr>
          )}
        </DataTable>
        <ShowOlder pages={deliveries} label="Show Older Deliveries" />
      </div>

      <ConfirmDialog confirmation={replay} title="Replay events?" confirmLabel="Replay" busyLabel="Replaying…">
        {(selection) => (
          <>
            <p className="dialog-lead">
              {'eventId' in selection ? (
                <>
                  The event <span className="mono">{selection.eventId}</span> will be sent to{' '}
                </>
              ) : (
                <>
                  The events published from <DateTime value={selection.from} /> to <DateTime value={selection.to} /> that this
                  subscription would receive will be sent to{' '}
                </>
              )}
              <span className="mono details">{sub?.endpoint ?? subscriptionId}</span> again, as new deliveries.
            </p>
            <p>The subscriber gets the same event bodies again; subscribers de-duplicate by event id.</p>
          </>
        )}
      </ConfirmDialog>
    </section>
  );
}

/** One delivery: what happened at each attempt, and the exact event JSON. */
export function EventDeliveryPage({ subscriptionId, deliveryId }: { subscriptionId: string; deliveryId: string }) {
  const { session } = useSession();
  const operator = session.user.isOperator;
  const detail = useLoader(`ess-delivery:${deliveryId}`, () => api.getDelivery(deliveryId));
  const [notice, setNotice] = useState<string | null>(null);

  const data = detail.data;
  const delivery = data?.delivery;
  let pretty: string | null = null;
  if (data !== undefined) {
    try {
      pretty = JSON.stringify(JSON.parse(data.event.json), null, 2);
    } catch {
      pretty = null;
    }
  }

  const replay = useConfirmation(async () => {
    if (data === undefined) return;
    await api.replayEvents(data.delivery.subscriptionId, { eventId: data.event.id });
    setNotice('The event is replayed as a new delivery; see it on the subscription’s page.');
  });

  return (
    <section>
      <PageHeader title={`Delivery #${deliveryId}`} crumbs={[...LIST_CRUMBS, { label: subscriptionId, to: paths.eventSubscription(subscriptionId) }]}>
        <RefreshButton onRefresh={detail.reload} />
        {operator && data !== undefined ? (
          <button
            type="button"
            className="button button-primary"
            onClick={() => {
              setNotice(null);
              replay.ask();
            }}
          >
            Replay This Event
          </button>
        ) : null}
      </PageHeader>
      <Notice message={notice} />
      <ErrorBanner message={detail.error} />
      <Loading what="the delivery" loader={detail} />
      {data !== undefined && delivery !== undefined ? (
        <>
          <div className="card">
            <div className="card-title-row is-centered">
              <h2>
                <span className="mono">{delivery.eventType}</span>
              </h2>
              <span className="badges">
                <StatusBadge status={delivery.status} />
                {delivery.replay ? <Badge tone="neutral">Replay</Badge> : null}
              </span>
            </div>
            <dl className="facts">
              <dt>Event ID</dt>
              <dd className="mono">{delivery.eventId}</dd>
              <dt>Request</dt>
              <dd>
                <span className="mono">{delivery.requestId ?? '—'}</span> <span className="muted mono small">{delivery.requestUuid}</span>
              </dd>
              <dt>Subscription</dt>
              <dd>
                <Link to={paths.eventSubscription(data.subscription.id)} className="mono">
                  {data.subscription.id}
                </Link>
              </dd>
              <dt>Endpoint</dt>
              <dd className="mono details">{data.subscription.endpoint ?? 'The subscription was deleted.'}</dd>
              <dt>Published</dt>
              <dd>
                <DateTime value={delivery.publishedAt} /> <span className="muted">(retried until <DateTime value={delivery.expiresAt} />)</span>
              </dd>
              {delivery.status === 'PENDING' ? (
                <>
                  <dt>Next Attempt</dt>
                  <dd>
                    <DateTime value={delivery.nextAttemptAt} />
                  </dd>
                </>
              ) : (
                <>
                  <dt>Completed</dt>
                  <dd>
                    <DateTime value={delivery.completedAt} />
                  </dd>
                </>
              )}
              {delivery.lastError !== null ? (
                <>
                  <dt>Last Error</dt>
                  <dd className="details">{delivery.lastError}</dd>
                </>
              ) : null}
            </dl>
          </div>

          <div className="card">
            <h2>Attempts</h2>
            <DataTable
              className="table table-compact"
              aria-label="Attempts"
              columns={['#', 'Time', 'Answer', 'Duration', 'Response Excerpt']}
              rows={data.attempts}
              empty={<>No attempts yet{delivery.status === 'PENDING' ? ': the first one is due at the next attempt time.' : '.'}</>}
            >
              {(attempt, index) => (
                <tr key={attempt.id}>
                  <th scope="row">{index + 1}</th>
                  <td className="nowrap">
                    <DateTime value={attempt.attemptedAt} />
                  </td>
                  <td>{attempt.statusCode !== null ? <span className="mono">HTTP {attempt.statusCode}</span> : <span className="details">{attempt.error ?? '—'}</span>}</td>
                  <td className="nowrap">{attempt.durationMs} ms</td>
                  <td className="mono details prewrap">{attempt.responseExcerpt === '' ? <span className="muted">(empty)</span> : attempt.responseExcerpt}</td>
                </tr>
              )}
            </DataTable>
            <p className="note">Attempts are kept for 30 days.</p>
          </div>

          <div className="card">
            <h2>Event</h2>
            <p className="lead">
              The body of every attempt, exactly as sent ({new TextEncoder().encode(data.event.json).length} bytes), and its{' '}
              <span className="mono">Concur-Signature</span>
              {data.event.signatureKid !== null ? (
                <>
                  {' '}
                  (key <span className="mono">{data.event.signatureKid}</span>, see <Link to={paths.webhookSigningKey()}>Webhook Signing Key</Link>)
                </>
              ) : null}
              .
            </p>
            {data.event.signature !== null ? <CopyField label="Concur-Signature" value={data.event.signature} /> : <p className="muted">Not signed yet: the event is signed when it is first sent.</p>}
            <CopyField label="Exact Event JSON" value={data.event.json} />
            <pre className="event-json" aria-label="Event JSON">
              {pretty ?? data.event.json}
            </pre>
          </div>
        </>
      ) : null}
      {data !== undefined ? (
        <ConfirmDialog confirmation={replay} title="Replay this event?" confirmLabel="Replay" busyLabel="Replaying…">
          {() => (
            <p className="dialog-lead">
              The event <span className="mono">{data.event.id}</span> ({data.event.eventType}) will be sent to{' '}
              <span className="mono details">{data.subscription.endpoint}</span> again, as a new delivery.
            </p>
          )}
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
