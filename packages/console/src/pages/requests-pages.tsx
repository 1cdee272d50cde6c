// Requests: My Requests, New Request, a request's page with its workflow actions, and Requests to Approve.
import { useState, type ReactNode } from 'react';
import {
  api,
  type NewRequestFields,
  type RequestAction,
  type RequestChanges,
  type RequestComment,
  type RequestPolicy,
  type TravelRequest,
} from '../api.ts';
import { Badge, CardForm, DataTable, DateTime, ErrorBanner, Loading, Modal, Notice, PageHeader, SelectField, Tabs, TextField, useLoader } from '../components.tsx';
import { useSubmission, type FieldErrors } from '../forms.ts';
import { Link, navigate, paths, useLocation } from '../router.tsx';
import { setFlash, useFlash, useSession } from '../session.tsx';
import { RequestAttendees } from './request-attendees.tsx';
import { RequestFormFields } from './request-fields.tsx';

/** The status of a request as a coloured label: the approval status name, plus Closed. */
export function RequestStatus({ request }: { request: TravelRequest }) {
  const tone = ({ NOT_SUBMITTED: 'neutral', SUBMITTED: 'warning', APPROVED: 'success', SENTBACK: 'danger', CANCELED: 'neutral' } as const)[
    request.approvalStatus.code
  ];
  return (
    <span className="badges">
      <Badge tone={tone ?? 'neutral'}>{request.approvalStatus.name}</Badge>
      {request.closed ? <Badge tone="neutral">Closed</Badge> : null}
    </span>
  );
}

/** A calendar date (YYYY-MM-DD) in the user's locale, without shifting it by the time zone. */
export function CalendarDate({ value }: { value: string | undefined }) {
  if (value === undefined || value === '') return <span className="muted">—</span>;
  const date = new Date(`${value}T00:00:00Z`);
  if (Number.isNaN(date.getTime())) return <span>{value}</span>;
  return <time dateTime={value}>{date.toLocaleDateString(undefined, { dateStyle: 'medium', timeZone: 'UTC' })}</time>;
}

function destination(request: TravelRequest): string | null {
  const location = request.mainDestination;
  if (location === undefined) return null;
  const place = [location.city ?? location.name, location.countryCode].filter((part) => part !== undefined && part !== '').join(', ');
  return place === '' ? (location.iataCode ?? null) : place;
}

function personName(person: { firstName: string; lastName: string } | undefined): string | null {
  if (person === undefined) return null;
  return `${person.firstName} ${person.lastName}`.trim();
}

/** My Requests and Requests to Approve, as tabs. */
const REQUEST_TABS = [
  { label: 'My Requests', to: paths.myRequests() },
  { label: 'Requests to Approve', to: paths.approvals() },
];

/** The list of requests shared by My Requests and Requests to Approve. */
function RequestTable(props: { caption: string; requests: TravelRequest[] | undefined; link: (id: string) => string; showOwner?: boolean; empty: ReactNode }) {
  return (
    <DataTable
      caption={props.caption}
      columns={['Request ID', 'Request Name', props.showOwner ? 'Traveler' : null, 'Start Date', 'End Date', 'Destination', 'Status']}
      rows={props.requests}
      empty={props.empty}
    >
      {(request) => (
        <tr key={request.id}>
          <td className="mono">
            <Link to={props.link(request.id)} aria-label={`Request ${request.requestId}: ${request.name}`}>
              {request.requestId}
            </Link>
          </td>
          <th scope="row">{request.name}</th>
          {props.showOwner ? <td>{personName(request.owner) ?? '—'}</td> : null}
          <td className="nowrap">
            <CalendarDate value={request.startDate} />
          </td>
          <td className="nowrap">
            <CalendarDate value={request.endDate} />
          </td>
          <td>{destination(request) ?? <span className="muted">—</span>}</td>
          <td>
            <RequestStatus request={request} />
          </td>
        </tr>
      )}
    </DataTable>
  );
}

/** The frame of My Requests and Requests to Approve: the tabs, the message another page left, and a card. */
function RequestListFrame({ error, children }: { error: string | null; children: ReactNode }) {
  const flash = useFlash();
  return (
    <section>
      <PageHeader title="Requests" />
      <Tabs label="Request pages" tabs={REQUEST_TABS} />
      <Notice message={flash} />
      <ErrorBanner message={error} />
      <div className="card">{children}</div>
    </section>
  );
}

/** My Requests: the signed-in user's requests, newest first. */
export function MyRequestsPage({ companyId }: { companyId: string }) {
  const requests = useLoader(`my-requests:${companyId}`, () => api.listMyRequests(companyId));
  return (
    <RequestListFrame error={requests.error}>
      <div className="card-title-row is-centered">
        <h2>My Requests</h2>
        <button type="button" className="button button-primary" onClick={() => navigate(paths.newRequest())}>
          New Request
        </button>
      </div>
      <Loading what="your requests" loader={requests} />
      <RequestTable
        caption="My Requests"
        requests={requests.data}
        link={paths.request}
        empty={
          <>
            You have no requests yet. Click <strong>New Request</strong> to plan a trip.
          </>
        }
      />
    </RequestListFrame>
  );
}

/** Requests to Approve: what waits for the signed-in user (as manager, named approver or group member). */
export function ApprovalsPage({ companyId }: { companyId: string }) {
  const requests = useLoader(`approvals:${companyId}`, () => api.listRequestsToApprove(companyId));
  return (
    <RequestListFrame error={requests.error}>
      <h2>Requests to Approve</h2>
      <Loading what="requests to approve" loader={requests} />
      <RequestTable caption="Requests to Approve" requests={requests.data} link={paths.approval} showOwner empty="No requests are waiting for your approval." />
    </RequestListFrame>
  );
}

const REQUEST_FORM_FIELDS = ['name', 'businessPurpose', 'comment', 'startDate', 'endDate', 'mainDestination.city', 'mainDestination.countryCode', 'policyId'];

/** What the New Request and Edit Request form holds: text as typed ('' for an empty field). */
interface RequestFormValues {
  name: string;
  businessPurpose: string;
  startDate: string;
  endDate: string;
  city: string;
  countryCode: string;
  comment: string;
  /** New Request only: the chosen policy's ID ('' while none is chosen). */
  policyId: string;
}

const EMPTY_REQUEST_FORM: RequestFormValues = { name: '', businessPurpose: '', startDate: '', endDate: '', city: '', countryCode: '', comment: '', policyId: '' };

/** The form values of a saved request, for Edit Request. */
function formValuesOf(request: TravelRequest): RequestFormValues {
  return {
    name: request.name,
    businessPurpose: request.businessPurpose ?? '',
    startDate: request.startDate ?? '',
    endDate: request.endDate ?? '',
    city: request.mainDestination?.city ?? '',
    countryCode: request.mainDestination?.countryCode ?? '',
    comment: request.comment ?? '',
    policyId: request.policy?.id ?? '',
  };
}

/**
 * The header of a travel request, as New Request and Edit Request show it: checked here first, then
 * saved by `onSave`, whose field errors from the server are shown at their fields.
 */
function RequestForm(props: {
  label: string;
  title?: string;
  initial: RequestFormValues;
  note: ReactNode;
  /** New Request: the company's policies, offered as a choice when there is more than one. */
  policies?: RequestPolicy[] | undefined;
  onSave: (values: RequestFormValues) => Promise<void>;
  onCancel: () => void;
}) {
  const [values, setValues] = useState(props.initial);
  const submission = useSubmission({ fields: REQUEST_FORM_FIELDS });
  const { fieldErrors } = submission;
  const { name, businessPurpose, startDate, endDate, city, countryCode, comment, policyId } = values;
  const policies = props.policies ?? [];
  const choosePolicy = policies.length > 1;

  /** A change handler that also clears the field's error. */
  const edit = (field: string, key: keyof RequestFormValues) => (value: string) => {
    setValues((current) => ({ ...current, [key]: value }));
    submission.clearFieldErrors([field]);
  };

  function check(): FieldErrors {
    const errors: FieldErrors = {};
    if (name.trim() === '') errors['name'] = 'Enter a name for the request, e.g. Customer visit Berlin.';
    if (startDate !== '' && endDate !== '' && endDate < startDate) errors['endDate'] = 'The end date cannot be before the start date.';
    if ((city.trim() === '') !== (countryCode.trim() === '')) {
      if (city.trim() === '') errors['mainDestination.city'] = 'Enter the city of the main destination.';
      else errors['mainDestination.countryCode'] = 'Enter the two-letter country code, e.g. DE.';
    }
    if (countryCode.trim() !== '' && !/^[A-Za-z]{2}$/.test(countryCode.trim())) {
      errors['mainDestination.countryCode'] = 'Use the two-letter ISO country code, e.g. DE for Germany.';
    }
    if (choosePolicy && !policies.some((policy) => policy.id === policyId)) errors['policyId'] = 'Choose the policy the request follows.';
    return errors;
  }

  function save(): Promise<void> {
    return submission.submit(() => props.onSave(values), { check: check() });
  }

  return (
    <CardForm aria-label={props.label} onSubmit={() => save()}>
      {props.title !== undefined ? <h2>{props.title}</h2> : null}
      <ErrorBanner message={submission.error} />
      <div className="grid-2">
        <TextField label="Request Name" value={name} onChange={edit('name', 'name')} error={fieldErrors['name']} required maxLength={255} />
        <TextField label="Business Purpose" value={businessPurpose} onChange={edit('businessPurpose', 'businessPurpose')} error={fieldErrors['businessPurpose']} maxLength={255} />
        <TextField label="Start Date" type="date" value={startDate} onChange={edit('startDate', 'startDate')} error={fieldErrors['startDate']} />
        <TextField label="End Date" type="date" value={endDate} onChange={edit('endDate', 'endDate')} error={fieldErrors['endDate']} />
        <TextField label="Main Destination City" value={city} onChange={edit('mainDestination.city', 'city')} error={fieldErrors['mainDestination.city']} maxLength={100} />
        <TextField
          label="Country Code"
          value={countryCode}
          onChange={(value) => edit('mainDestination.countryCode', 'countryCode')(value.toUpperCase())}
          error={fieldErrors['mainDestination.countryCode']}
          hint="Two letters (ISO 3166), e.g. DE, US, FR."
          maxLength={2}
        />
      </div>
      {choosePolicy ? (
        <SelectField
          label="Policy"
          value={policyId}
          options={[
            ...(policies.some((policy) => policy.id === policyId) ? [] : [{ value: '', label: 'Choose a policy…' }]),
            ...policies.map((policy) => ({ value: policy.id, label: policy.isDefault ? `${policy.name} (default)` : policy.name })),
          ]}
          onChange={edit('policyId', 'policyId')}
          error={fieldErrors['policyId']}
        />
      ) : null}
      <TextField label="Comment" value={comment} onChange={edit('comment', 'comment')} error={fieldErrors['comment']} multiline maxLength={2000} />
      <p className="note">{props.note}</p>
      <div className="actions">
        <button type="submit" className="button button-primary" disabled={submission.busy}>
          {submission.busy ? 'Saving…' : 'Save'}
        </button>
        <button type="button" className="button" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </CardForm>
  );
}

/**
 * New Request: the header of a travel request. It is saved Not Submitted; submit it from its page. When
 * the company has more than one Request policy the traveler chooses one (the default policy preselected);
 * otherwise the request follows the only (or default) policy.
 */
export function NewRequestPage({ companyId }: { companyId: string }) {
  const policies = useLoader(`request-policies:${companyId}`, () => api.listPolicies(companyId));

  async function create(values: RequestFormValues): Promise<void> {
    const fields: NewRequestFields = { name: values.name.trim() };
    // The choice, or the company's only policy (whether or not it is marked default); else the server's default.
    const only = policies.data?.length === 1 ? policies.data[0] : undefined;
    if (values.policyId !== '') fields.policyId = values.policyId;
    else if (only !== undefined) fields.policyId = only.id;
    if (values.businessPurpose.trim() !== '') fields.businessPurpose = values.businessPurpose.trim();
    if (values.comment.trim() !== '') fields.comment = values.comment.trim();
    if (values.startDate !== '') fields.startDate = values.startDate;
    if (values.endDate !== '') fields.endDate = values.endDate;
    if (values.city.trim() !== '') fields.mainDestination = { city: values.city.trim(), countryCode: values.countryCode.trim().toUpperCase() };
    const created = await api.createRequest(companyId, fields);
    setFlash(paths.request(created.id), `Request ${created.requestId} created. Submit it when it is complete.`);
    navigate(paths.request(created.id));
  }

  return (
    <section>
      <PageHeader title="New Request" crumbs={[{ label: 'Requests', to: paths.myRequests() }]} />
      {policies.loading && policies.data === undefined ? (
        <Loading what="the Request policies" />
      ) : (
        <RequestForm
          label="New Request"
          initial={{ ...EMPTY_REQUEST_FORM, policyId: defaultPolicyId(policies.data) }}
          policies={policies.data}
          note="The request is saved as Not Submitted. Submit it from its page to send it for approval."
          onSave={create}
          onCancel={() => navigate(paths.myRequests())}
        />
      )}
    </section>
  );
}

/** The policy New Request starts with: the company's default policy, if it has one. */
function defaultPolicyId(policies: RequestPolicy[] | undefined): string {
  return policies?.find((policy) => policy.isDefault)?.id ?? '';
}

/** What Edit Request sends: the fields that changed, an emptied one as null (fields the form does not show are kept). */
function requestChanges(before: RequestFormValues, after: RequestFormValues): RequestChanges {
  const changes: RequestChanges = {};
  const text = (value: string) => value.trim();
  const orNull = (value: string) => (value === '' ? null : value);
  if (text(after.name) !== text(before.name)) changes.name = text(after.name);
  if (text(after.businessPurpose) !== text(before.businessPurpose)) changes.businessPurpose = orNull(text(after.businessPurpose));
  if (text(after.comment) !== text(before.comment)) changes.comment = orNull(text(after.comment));
  if (after.startDate !== before.startDate) changes.startDate = orNull(after.startDate);
  if (after.endDate !== before.endDate) changes.endDate = orNull(after.endDate);
  const city = text(after.city);
  const countryCode = text(after.countryCode).toUpperCase();
  if (city !== text(before.city) || countryCode !== text(before.countryCode).toUpperCase()) {
    changes.mainDestination = city === '' ? null : { city, countryCode };
  }
  return changes;
}

/** Whether the signed-in user may edit the request: its owner, before submitting or after a send back. */
function canEditRequest(request: TravelRequest, userId: string): boolean {
  const status = request.approvalStatus.code;
  return request.owner?.id === userId && !request.closed && (status === 'NOT_SUBMITTED' || status === 'SENTBACK');
}

/** The owner's actions, in the order the action bar shows them, with what each says afterwards. */
const OWNER_ACTIONS: ReadonlyArray<{ action: RequestAction; label: string; done: (request: TravelRequest) => string; primary?: boolean; danger?: boolean }> = [
  { action: 'submit', label: 'Submit', primary: true, done: (r) => `Request ${r.requestId} submitted: ${r.approvalStatus.name}.` },
  { action: 'recall', label: 'Recall', done: (r) => `Request ${r.requestId} recalled. Submit it again when it is ready.` },
  { action: 'close', label: 'Close', done: (r) => `Request ${r.requestId} closed.` },
  { action: 'reopen', label: 'Reopen', done: (r) => `Request ${r.requestId} reopened.` },
  { action: 'cancel', label: 'Cancel Request', danger: true, done: (r) => `Request ${r.requestId} canceled.` },
];

/**
 * One request: its details, status and comments, with the workflow actions its `operations` allow —
 * the owner's (Edit, Submit, Recall, Cancel, Close, Reopen) or, from Requests to Approve, Approve and
 * Send Back. Edit opens the New Request form prefilled (`?edit=1`), while the request can still change.
 */
export function RequestDetailPage({ companyId, requestId, mode }: { companyId: string; requestId: string; mode: 'mine' | 'approval' }) {
  const { session } = useSession();
  const { search } = useLocation();
  const request = useLoader(`request:${companyId}:${requestId}`, () => api.getRequest(companyId, requestId));
  const comments = useLoader<RequestComment[]>(`request-comments:${companyId}:${requestId}`, () => api.listRequestComments(companyId, requestId));
  const flash = useFlash();
  const submission = useSubmission({ fields: ['comment'], notice: flash });
  const { setError, setNotice } = submission;
  const [confirmCancel, setConfirmCancel] = useState(false);
  const [comment, setComment] = useState('');

  const data = request.data;
  const allowed = new Set(data?.operations.map((operation) => operation.rel) ?? []);
  const crumbs = mode === 'mine' ? [{ label: 'Requests', to: paths.myRequests() }] : [{ label: 'Requests to Approve', to: paths.approvals() }];

  async function act(action: RequestAction): Promise<void> {
    if (data === undefined) return;
    const check: FieldErrors = action === 'sendback' && comment.trim() === '' ? { comment: 'Enter a comment telling the traveler what to change.' } : {};
    await submission.submit(
      async () => {
        const approverAction = action === 'approve' || action === 'sendback';
        const updated = await api.requestAction(companyId, data.id, action, approverAction && comment.trim() !== '' ? comment.trim() : undefined);
        if (approverAction) {
          setFlash(paths.approvals(), `Request ${updated.requestId} ${action === 'approve' ? 'approved' : 'sent back to the traveler'}.`);
          navigate(paths.approvals());
          return;
        }
        request.setData(updated);
        comments.reload();
        setNotice(OWNER_ACTIONS.find((entry) => entry.action === action)?.done(updated) ?? null);
      },
      { check, what: action },
    );
    setConfirmCancel(false);
  }

  const ownerActions = OWNER_ACTIONS.filter((entry) => allowed.has(entry.action));
  const canApprove = allowed.has('approve') || allowed.has('sendback');
  const canEdit = data !== undefined && mode === 'mine' && canEditRequest(data, session.user.id);
  const editing = canEdit && search.get('edit') === '1';
  const editRefused = data !== undefined && mode === 'mine' && search.get('edit') === '1' && !canEdit;

  async function saveEdits(values: RequestFormValues): Promise<void> {
    if (data === undefined) return;
    setError(null);
    setNotice(null);
    const changes = requestChanges(formValuesOf(data), values);
    if (Object.keys(changes).length === 0) {
      setNotice('Nothing changed.');
    } else {
      const updated = await api.updateRequest(companyId, data.id, changes);
      request.setData(updated);
      setNotice(`Request ${updated.requestId} saved. ${updated.approvalStatus.code === 'SENTBACK' ? 'Submit it again when it is ready.' : 'Submit it when it is complete.'}`);
    }
    navigate(paths.request(data.id));
  }

  return (
    <section>
      <PageHeader title={data?.name ?? 'Request'} crumbs={crumbs} />
      {data !== undefined ? (
        <p className="context-line request-line">
          Request ID <strong className="mono">{data.requestId}</strong>
          <span aria-hidden="true">·</span>
          <span>
            Status: <RequestStatus request={data} />
          </span>
        </p>
      ) : null}
      <Notice message={submission.notice} />
      <ErrorBanner message={request.error ?? submission.error} />
      <Loading what="the request" loader={request} />
      {editRefused ? (
        <Notice tone="info" message={`This request can no longer be edited: it is ${data.closed ? 'closed' : data.approvalStatus.name}.`} />
      ) : null}
      {data !== undefined && mode === 'mine' && !editing && (canEdit || ownerActions.length > 0) ? (
        <div className="action-bar" role="toolbar" aria-label="Request actions">
          {canEdit ? (
            <button
              type="button"
              className="button"
              disabled={submission.busy}
              onClick={() => {
                setNotice(null);
                setError(null);
                navigate(paths.editRequest(data.id));
              }}
            >
              Edit
            </button>
          ) : null}
          {ownerActions.map((entry) => (
            <button
              key={entry.action}
              type="button"
              className={entry.primary ? 'button button-primary' : entry.danger ? 'button button-danger' : 'button'}
              disabled={submission.busy}
              onClick={() => (entry.action === 'cancel' ? setConfirmCancel(true) : void act(entry.action))}
            >
              {submission.pending === entry.action ? `${entry.label}…` : entry.label}
            </button>
          ))}
        </div>
      ) : null}
      {data !== undefined && mode === 'approval' ? (
        canApprove ? (
          <CardForm aria-labelledby="approval-heading" onSubmit={() => act('approve')}>
            <h2 id="approval-heading">Approval</h2>
            <TextField
              label="Comment"
              value={comment}
              onChange={setComment}
              multiline
              maxLength={2000}
              error={submission.fieldErrors['comment']}
              hint="Optional when approving; required when sending the request back. The traveler sees it."
            />
            <div className="actions">
              <button type="submit" className="button button-primary" disabled={submission.busy}>
                {submission.pending === 'approve' ? 'Approving…' : 'Approve'}
              </button>
              <button type="button" className="button button-danger" disabled={submission.busy} onClick={() => void act('sendback')}>
                {submission.pending === 'sendback' ? 'Sending Back…' : 'Send Back'}
              </button>
            </div>
          </CardForm>
        ) : (
          <Notice tone="info" message="This request is not waiting for your approval." />
        )
      ) : null}
      {data !== undefined && editing ? (
        <RequestForm
          key={data.lastModified ?? data.id}
          label="Edit Request"
          title="Edit Request"
          initial={formValuesOf(data)}
          note={
            data.approvalStatus.code === 'SENTBACK'
              ? 'Change what the approver asked for, save, then submit the request again.'
              : 'Saving keeps the request Not Submitted. Submit it when it is complete to send it for approval.'
          }
          onSave={saveEdits}
          onCancel={() => navigate(paths.request(data.id))}
        />
      ) : null}
      {data !== undefined && !editing ? <RequestDetails request={data} /> : null}
      {data !== undefined && !editing ? (
        <RequestFormFields
          companyId={companyId}
          request={data}
          editable={canEdit}
          onSaved={(updated, message) => {
            setError(null);
            request.setData(updated);
            setNotice(message);
          }}
          onReload={(message) => {
            setError(null);
            request.reload();
            setNotice(message);
          }}
        />
      ) : null}
      {data !== undefined && !editing ? <RequestAttendees companyId={companyId} requestId={data.id} editable={canEdit} /> : null}
      {data !== undefined ? (
        <div className="card">
          <h2>Comments</h2>
          <ErrorBanner message={comments.error} />
          <Loading what="comments" loader={comments} />
          {comments.data !== undefined && comments.data.length === 0 ? <p className="muted">No comments yet.</p> : null}
          {comments.data !== undefined && comments.data.length > 0 ? (
            <ol className="comments" aria-label="Comments">
              {comments.data.map((entry, index) => (
                <li key={`${entry.createdAt}-${index}`}>
                  <div className="comment-meta">
                    <strong>{entry.authorName}</strong> · <DateTime value={entry.createdAt} />
                  </div>
                  <p className="comment-text">{entry.value}</p>
                </li>
              ))}
            </ol>
          ) : null}
        </div>
      ) : null}
      {confirmCancel && data !== undefined ? (
        <Modal
          title="Cancel this request?"
          role="alertdialog"
          onClose={() => setConfirmCancel(false)}
          onSubmit={() => void act('cancel')}
          footer={
            <>
              <button type="submit" className="button button-danger" disabled={submission.busy}>
                Cancel Request
              </button>
              <button type="button" className="button" onClick={() => setConfirmCancel(false)}>
                Keep Request
              </button>
            </>
          }
        >
          <p className="dialog-lead">
            Request <strong>{data.requestId}</strong> “{data.name}” will be canceled. A canceled request cannot be submitted again;
            you can still close it.
          </p>
        </Modal>
      ) : null}
    </section>
  );
}

function RequestDetails({ request }: { request: TravelRequest }) {
  const place = destination(request);
  const approver = personName(request.approver);
  return (
    <div className="card">
      <h2>Request Details</h2>
      <dl className="facts">
        <dt>Traveler</dt>
        <dd>{personName(request.owner) ?? '—'}</dd>
        <dt>Business Purpose</dt>
        <dd>{request.businessPurpose !== undefined && request.businessPurpose !== '' ? request.businessPurpose : <span className="muted">—</span>}</dd>
        <dt>Start Date</dt>
        <dd>
          <CalendarDate value={request.startDate} />
        </dd>
        <dt>End Date</dt>
        <dd>
          <CalendarDate value={request.endDate} />
        </dd>
        <dt>Main Destination</dt>
        <dd>{place ?? <span className="muted">—</span>}</dd>
        {approver !== null ? (
          <>
            <dt>Pending With</dt>
            <dd>{approver}</dd>
          </>
        ) : null}
        <dt>Created</dt>
        <dd>
          <DateTime value={request.creationDate} />
        </dd>
        {request.submitDate !== undefined ? (
          <>
            <dt>Submitted</dt>
            <dd>
              <DateTime value={request.submitDate} />
            </dd>
          </>
        ) : null}
        {request.authorizedDate !== undefined ? (
          <>
            <dt>Approved</dt>
            <dd>
              <DateTime value={request.authorizedDate} />
            </dd>
          </>
        ) : null}
        {request.comment !== undefined && request.comment !== '' ? (
          <>
            <dt>Request Comment</dt>
            <dd className="prewrap">{request.comment}</dd>
          </>
        ) : null}
      </dl>
    </div>
  );
}
