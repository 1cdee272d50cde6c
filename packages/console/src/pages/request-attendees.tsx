// A request's attendees on its page: search the connector of an attendee type (Fetch Attendee) and add
// a result, or enter an attendee by hand for a type that allows it; remove them while the request can
// be edited.
import { useState } from 'react';
import { api, type Attendee, type AttendeeSearch, type AttendeeType, type RequestAttendee } from '../api.ts';
import { ACTIONS, CardForm, DataTable, ErrorBanner, Loading, Notice, SelectField, TextField, useLoader } from '../components.tsx';
import { useEditor, useSubmission, type FieldErrors } from '../forms.ts';

/** The search form's criteria (and the manual entry's fields). */
interface PersonFields {
  firstName: string;
  lastName: string;
  company: string;
  title: string;
}

const NO_PERSON: PersonFields = { firstName: '', lastName: '', company: '', title: '' };

/** Results asked for per search; more makes the connector answer "refine your search". */
const MAX_RESULTS = 25;

function fullName(person: { firstName: string; middleInitial?: string; lastName: string; suffix?: string }): string {
  return [person.firstName, person.middleInitial, person.lastName, person.suffix].filter((part) => part !== undefined && part !== '').join(' ');
}

/** The attendees of a request, with search and manual entry while `editable`. */
export function RequestAttendees(props: { companyId: string; requestId: string; editable: boolean }) {
  const { companyId, requestId, editable } = props;
  const types = useLoader(`attendee-types:${companyId}`, () => api.listAttendeeTypes(companyId));
  const attendees = useLoader(`request-attendees:${companyId}:${requestId}`, () => api.listRequestAttendees(companyId, requestId));
  const [typeCode, setTypeCode] = useState('');
  const removal = useSubmission();

  const typeList = types.data ?? [];
  const type = typeList.find((candidate) => candidate.code === typeCode) ?? typeList.find((candidate) => candidate.connectorId !== null || candidate.allowsManual) ?? typeList[0];
  const typeName = (code: string) => typeList.find((candidate) => candidate.code === code)?.name ?? code;

  function added(attendee: RequestAttendee): void {
    attendees.setData([...(attendees.data ?? []), attendee]);
    removal.setError(null);
    removal.setNotice(`${fullName(attendee)} added to the request.`);
  }

  function remove(attendee: RequestAttendee): Promise<void> {
    return removal.submit(
      async () => {
        await api.removeRequestAttendee(companyId, requestId, attendee.id);
        attendees.setData((attendees.data ?? []).filter((entry) => entry.id !== attendee.id));
        removal.setNotice(`${fullName(attendee)} removed from the request.`);
      },
      { what: attendee.id },
    );
  }

  const list = attendees.data;
  return (
    <section className="card" aria-labelledby="attendees-heading">
      <h2 id="attendees-heading">Attendees</h2>
      <Notice message={removal.notice} />
      <ErrorBanner message={attendees.error ?? removal.error} />
      <Loading what="attendees" loader={attendees} />
      <DataTable
        className="table table-compact"
        caption="Attendees of the request"
        columns={['Name', 'Attendee Type', 'Company', 'Title', 'External ID', editable ? ACTIONS : null]}
        rows={list}
        empty={editable ? 'No attendees yet. Search for attendees below and add them.' : 'No attendees.'}
      >
        {(attendee) => (
          <tr key={attendee.id}>
            <th scope="row">{fullName(attendee)}</th>
            <td>{typeName(attendee.attendeeTypeCode)}</td>
            <td>{attendee.company !== '' ? attendee.company : <span className="muted">—</span>}</td>
            <td>{attendee.title !== '' ? attendee.title : <span className="muted">—</span>}</td>
            <td className="mono">{attendee.externalId ?? <span className="muted">Entered by hand</span>}</td>
            {editable ? (
              <td className="cell-actions">
                <button
                  type="button"
                  className="button button-small"
                  aria-label={`Remove ${fullName(attendee)}`}
                  disabled={removal.busy}
                  onClick={() => void remove(attendee)}
                >
                  {removal.pending === attendee.id ? 'Removing…' : 'Remove'}
                </button>
              </td>
            ) : null}
          </tr>
        )}
      </DataTable>
      {editable ? (
        <>
          <ErrorBanner message={types.error} />
          {types.data !== undefined && typeList.length === 0 ? (
            <p className="muted">No attendee types are set up for your company, so attendees cannot be added. Ask your administrator.</p>
          ) : null}
          {type !== undefined ? (
            <>
              <div className="narrow attendee-type">
                <SelectField
                  label="Attendee Type"
                  value={type.code}
                  options={typeList.map((candidate) => ({ value: candidate.code, label: candidate.name }))}
                  onChange={(code) => {
                    setTypeCode(code);
                    removal.setNotice(null);
                  }}
                />
              </div>
              {type.connectorId !== null ? (
                <AttendeeSearchForm
                  key={type.code}
                  companyId={companyId}
                  requestId={requestId}
                  type={type}
                  onRequest={(list ?? []).map((attendee) => attendee.externalId).filter((id) => id !== null)}
                  onAdded={added}
                />
              ) : null}
              {type.allowsManual ? <ManualAttendeeForm key={`manual-${type.code}`} companyId={companyId} requestId={requestId} type={type} onAdded={added} /> : null}
              {type.connectorId === null && !type.allowsManual ? (
                <p className="muted">Attendees of type {type.name} can neither be searched nor entered by hand. Ask your administrator.</p>
              ) : null}
            </>
          ) : null}
        </>
      ) : null}
    </section>
  );
}

/** Search the attendee type's connector; the results have an Add button each. */
function AttendeeSearchForm(props: {
  companyId: string;
  requestId: string;
  type: AttendeeType;
  /** The ExternalIDs already on the request: their Add buttons are off. */
  onRequest: string[];
  onAdded: (attendee: RequestAttendee) => void;
}) {
  const { type } = props;
  const [criteria, setCriteria] = useState<PersonFields>(NO_PERSON);
  const [results, setResults] = useState<Attendee[] | null>(null);
  // One search or one Add at a time; their errors share the banner.
  const submission = useSubmission();

  async function search(): Promise<void> {
    const input: AttendeeSearch = { attendeeTypeCode: type.code, maximumNumberRecords: MAX_RESULTS };
    for (const key of ['firstName', 'lastName', 'company', 'title'] as const) {
      const value = criteria[key].trim();
      if (value !== '') input[key] = value;
    }
    if (Object.keys(input).length === 2) {
      submission.setError('Enter at least one of first name, last name, company or title.');
      return;
    }
    await submission.submit(
      async () => {
        try {
          setResults(await api.searchAttendees(props.companyId, props.requestId, input));
        } catch (cause) {
          setResults(null);
          // The connector's messages (refine your search, the connector failed) are meant for the user as they are.
          throw cause;
        }
      },
      { what: 'search' },
    );
  }

  function add(attendee: Attendee): Promise<void> {
    return submission.submit(
      async () => props.onAdded(await api.addRequestAttendee(props.companyId, props.requestId, { attendeeTypeCode: type.code, externalId: attendee.externalId })),
      { what: attendee.externalId },
    );
  }

  const edit = (key: keyof PersonFields) => (value: string) => setCriteria((current) => ({ ...current, [key]: value }));
  return (
    <>
      <CardForm className="subform" aria-label={`Search ${type.name} attendees`} onSubmit={() => search()}>
        <h3>Search {type.name} attendees</h3>
        <div className="grid-2">
          <TextField label="First Name" value={criteria.firstName} onChange={edit('firstName')} maxLength={50} />
          <TextField label="Last Name" value={criteria.lastName} onChange={edit('lastName')} maxLength={132} />
          <TextField label="Company" value={criteria.company} onChange={edit('company')} maxLength={150} />
          <TextField label="Title" value={criteria.title} onChange={edit('title')} maxLength={32} />
        </div>
        <ErrorBanner message={submission.error} />
        <div className="actions">
          <button type="submit" className="button button-primary" disabled={submission.busy}>
            {submission.pending === 'search' ? 'Searching…' : 'Search'}
          </button>
          <span className="toolbar-hint muted">The search goes to the company’s attendee directory; it is not repeated on failure.</span>
        </div>
      </CardForm>
      <DataTable
        className="table table-compact"
        caption="Search results"
        captionShown
        columns={['Name', 'Company', 'Title', 'External ID', ACTIONS]}
        rows={results ?? undefined}
        empty="No attendees match. Try fewer letters or another field."
      >
        {(attendee) => {
          const done = props.onRequest.includes(attendee.externalId);
          return (
            <tr key={attendee.externalId}>
              <th scope="row">{fullName(attendee)}</th>
              <td>{attendee.company !== '' ? attendee.company : <span className="muted">—</span>}</td>
              <td>{attendee.title !== '' ? attendee.title : <span className="muted">—</span>}</td>
              <td className="mono">{attendee.externalId}</td>
              <td className="cell-actions">
                <button
                  type="button"
                  className="button button-small"
                  aria-label={`Add ${fullName(attendee)}`}
                  disabled={submission.busy || done}
                  onClick={() => void add(attendee)}
                >
                  {submission.pending === attendee.externalId ? 'Adding…' : done ? 'Added' : 'Add'}
                </button>
              </td>
            </tr>
          );
        }}
      </DataTable>
    </>
  );
}

/** Enter an attendee by hand (only for types not bound to a connector that allow it). */
function ManualAttendeeForm(props: { companyId: string; requestId: string; type: AttendeeType; onAdded: (attendee: RequestAttendee) => void }) {
  const { type } = props;
  const editor = useEditor((): PersonFields => NO_PERSON, { fields: ['firstName', 'lastName', 'company', 'title'] });
  const { draft: person, fieldErrors } = editor;

  function save(): Promise<void> {
    const check: FieldErrors = {};
    if (person.firstName.trim() === '') check['firstName'] = 'Enter the attendee’s first name.';
    if (person.lastName.trim() === '') check['lastName'] = 'Enter the attendee’s last name.';
    return editor.submit(
      async () => {
        const added = await api.addRequestAttendee(props.companyId, props.requestId, {
          attendeeTypeCode: type.code,
          firstName: person.firstName.trim(),
          lastName: person.lastName.trim(),
          ...(person.company.trim() !== '' ? { company: person.company.trim() } : {}),
          ...(person.title.trim() !== '' ? { title: person.title.trim() } : {}),
        });
        editor.start(null);
        props.onAdded(added);
      },
      { check },
    );
  }

  const edit = (key: keyof PersonFields) => (value: string) => {
    editor.update({ [key]: value });
    editor.clearFieldErrors([key]);
  };
  return (
    <CardForm className="subform" aria-label={`Add a ${type.name} attendee by hand`} onSubmit={() => save()}>
      <h3>Add a {type.name} attendee by hand</h3>
      <div className="grid-2">
        <TextField label="First Name" value={person.firstName} onChange={edit('firstName')} error={fieldErrors['firstName']} required maxLength={50} />
        <TextField label="Last Name" value={person.lastName} onChange={edit('lastName')} error={fieldErrors['lastName']} required maxLength={132} />
        <TextField label="Company" value={person.company} onChange={edit('company')} error={fieldErrors['company']} maxLength={150} />
        <TextField label="Title" value={person.title} onChange={edit('title')} error={fieldErrors['title']} maxLength={32} />
      </div>
      <ErrorBanner message={editor.error} />
      <div className="actions">
        <button type="submit" className="button" disabled={editor.busy}>
          {editor.busy ? 'Adding…' : 'Add Attendee'}
        </button>
      </div>
    </CardForm>
  );
}
