// A request's attendees on its page: search the connector of an attendee type (Fetch Attendee) and add
// a result, or enter an attendee by hand for a type that allows it; remove them while the request can
// be edited.
import { useState } from 'react';
import {
  ApiError,
  api,
  errorMessage,
  type Attendee,
  type AttendeeSearch,
  type AttendeeType,
  type RequestAttendee,
} from '../api.ts';
import { CardForm, ErrorBanner, Loading, Notice, SelectField, TextField, useLoader } from '../components.tsx';

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
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [removing, setRemoving] = useState<string | null>(null);

  const typeList = types.data ?? [];
  const type = typeList.find((candidate) => candidate.code === typeCode) ?? typeList.find((candidate) => candidate.connectorId !== null || candidate.allowsManual) ?? typeList[0];
  const typeName = (code: string) => typeList.find((candidate) => candidate.code === code)?.name ?? code;

  function added(attendee: RequestAttendee): void {
    attendees.setData([...(attendees.data ?? []), attendee]);
    setError(null);
    setNotice(`${fullName(attendee)} added to the request.`);
  }

  async function remove(attendee: RequestAttendee): Promise<void> {
    setRemoving(attendee.id);
    setError(null);
    setNotice(null);
    try {
      await api.removeRequestAttendee(companyId, requestId, attendee.id);
      attendees.setData((attendees.data ?? []).filter((entry) => entry.id !== attendee.id));
      setNotice(`${fullName(attendee)} removed from the request.`);
    } catch (cause) {
      setError(errorMessage(cause));
    } finally {
      setRemoving(null);
    }
  }

  const list = attendees.data;
  return (
    <section className="card" aria-labelledby="attendees-heading">
      <h2 id="attendees-heading">Attendees</h2>
      <Notice message={notice} />
      <ErrorBanner message={attendees.error ?? error} />
      {attendees.loading && list === undefined ? <Loading what="attendees" /> : null}
      {list !== undefined ? (
        <table className="table table-compact">
          <caption className="visually-hidden">Attendees of the request</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Attendee Type</th>
              <th scope="col">Company</th>
              <th scope="col">Title</th>
              <th scope="col">External ID</th>
              {editable ? (
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              ) : null}
            </tr>
          </thead>
          <tbody>
            {list.length === 0 ? (
              <tr>
                <td colSpan={editable ? 6 : 5} className="empty">
                  {editable ? 'No attendees yet. Search for attendees below and add them.' : 'No attendees.'}
                </td>
              </tr>
            ) : null}
            {list.map((attendee) => (
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
                      disabled={removing !== null}
                      onClick={() => void remove(attendee)}
                    >
                      {removing === attendee.id ? 'Removing…' : 'Remove'}
                    </button>
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
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
                    setNotice(null);
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
  const [error, setError] = useState<string | null>(null);
  const [searching, setSearching] = useState(false);
  const [adding, setAdding] = useState<string | null>(null);

  async function search(): Promise<void> {
    setError(null);
    const input: AttendeeSearch = { attendeeTypeCode: type.code, maximumNumberRecords: MAX_RESULTS };
    for (const key of ['firstName', 'lastName', 'company', 'title'] as const) {
      const value = criteria[key].trim();
      if (value !== '') input[key] = value;
    }
    if (Object.keys(input).length === 2) {
      setError('Enter at least one of first name, last name, company or title.');
      return;
    }
    setSearching(true);
    try {
      setResults(await api.searchAttendees(props.companyId, props.requestId, input));
    } catch (cause) {
      setResults(null);
      // The connector's messages (refine your search, the connector failed) are meant for the user as they are.
      setError(errorMessage(cause));
    } finally {
      setSearching(false);
    }
  }

  async function add(attendee: Attendee): Promise<void> {
    setAdding(attendee.externalId);
    setError(null);
    try {
      const added = await api.addRequestAttendee(props.companyId, props.requestId, { attendeeTypeCode: type.code, externalId: attendee.externalId });
      props.onAdded(added);
    } catch (cause) {
      setError(errorMessage(cause));
    } finally {
      setAdding(null);
    }
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
        <ErrorBanner message={error} />
        <div className="actions">
          <button type="submit" className="button button-primary" disabled={searching}>
            {searching ? 'Searching…' : 'Search'}
          </button>
          <span className="toolbar-hint muted">The search goes to the company’s attendee directory; it is not repeated on failure.</span>
        </div>
      </CardForm>
      {results !== null ? (
        <table className="table table-compact">
          <caption className="table-caption">Search results</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Company</th>
              <th scope="col">Title</th>
              <th scope="col">External ID</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {results.length === 0 ? (
              <tr>
                <td colSpan={5} className="empty">
                  No attendees match. Try fewer letters or another field.
                </td>
              </tr>
            ) : null}
            {results.map((attendee) => {
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
                      disabled={adding !== null || done}
                      onClick={() => void add(attendee)}
                    >
                      {adding === attendee.externalId ? 'Adding…' : done ? 'Added' : 'Add'}
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : null}
    </>
  );
}

/** Enter an attendee by hand (only for types not bound to a connector that allow it). */
function ManualAttendeeForm(props: { companyId: string; requestId: string; type: AttendeeType; onAdded: (attendee: RequestAttendee) => void }) {
  const { type } = props;
  const [person, setPerson] = useState<PersonFields>(NO_PERSON);
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<keyof PersonFields, string>>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function save(): Promise<void> {
    setError(null);
    const errors: Partial<Record<keyof PersonFields, string>> = {};
    if (person.firstName.trim() === '') errors.firstName = 'Enter the attendee’s first name.';
    if (person.lastName.trim() === '') errors.lastName = 'Enter the attendee’s last name.';
    setFieldErrors(errors);
    if (Object.keys(errors).length > 0) return;
    setBusy(true);
    try {
      const added = await api.addRequestAttendee(props.companyId, props.requestId, {
        attendeeTypeCode: type.code,
        firstName: person.firstName.trim(),
        lastName: person.lastName.trim(),
        ...(person.company.trim() !== '' ? { company: person.company.trim() } : {}),
        ...(person.title.trim() !== '' ? { title: person.title.trim() } : {}),
      });
      setPerson(NO_PERSON);
      props.onAdded(added);
    } catch (cause) {
      if (cause instanceof ApiError && (cause.field === 'firstName' || cause.field === 'lastName' || cause.field === 'company' || cause.field === 'title')) {
        setFieldErrors({ [cause.field]: cause.message });
      } else {
        setError(errorMessage(cause));
      }
    } finally {
      setBusy(false);
    }
  }

  const edit = (key: keyof PersonFields) => (value: string) => {
    setPerson((current) => ({ ...current, [key]: value }));
    setFieldErrors((current) => ({ ...current, [key]: undefined }));
  };
  return (
    <CardForm className="subform" aria-label={`Add a ${type.name} attendee by hand`} onSubmit={() => save()}>
      <h3>Add a {type.name} attendee by hand</h3>
      <div className="grid-2">
        <TextField label="First Name" value={person.firstName} onChange={edit('firstName')} error={fieldErrors.firstName} required maxLength={50} />
        <TextField label="Last Name" value={person.lastName} onChange={edit('lastName')} error={fieldErrors.lastName} required maxLength={132} />
        <TextField label="Company" value={person.company} onChange={edit('company')} error={fieldErrors.company} maxLength={150} />
        <TextField label="Title" value={person.title} onChange={edit('title')} error={fieldErrors.title} maxLength={32} />
      </div>
      <ErrorBanner message={error} />
      <div className="actions">
        <button type="submit" className="button" disabled={busy}>
          {busy ? 'Adding…' : 'Add Attendee'}
        </button>
      </div>
    </CardForm>
  );
}
