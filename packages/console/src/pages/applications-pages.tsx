// Operator pages for OAuth2 applications: the list (with signing-key rotation), New Application, and
// one application's settings with Active and Rotate Secret. Client secrets are shown once.
import { useEffect, useState, type ReactNode } from 'react';
import { GRANT_HINTS, GRANTS, SCOPE_PATTERN, api, type Application, type ApplicationFields, type Grant } from '../api.ts';
import {
  CardForm,
  CheckboxField,
  ConfirmDialog,
  CopyField,
  DataTable,
  DateTime,
  ErrorBanner,
  FlagBadge,
  Loading,
  Notice,
  PageHeader,
  TextField,
  useLoader,
  type Crumb,
} from '../components.tsx';
import { useConfirmation, useEditor, useSubmission, type FieldErrors, type Submission, type SubmissionOptions } from '../forms.ts';
import { Link, navigate, paths } from '../router.tsx';

const CRUMBS: Crumb[] = [{ label: 'Administration' }, { label: 'Applications', to: paths.applications() }];
const MAX_SCOPES = 100;
const MAX_REDIRECT_URIS = 20;
/** The general message while fields are highlighted; it goes away with the last field error. */
const FIX_FIELDS = 'Correct the highlighted fields.';

type FieldName = keyof ApplicationFields;
const FIELD_NAMES: readonly FieldName[] = ['name', 'grants', 'scopes', 'redirectUris'];

/** How the application forms show errors: an API error about `scopes.1` is shown at Scopes. */
const SUBMISSION_OPTIONS: SubmissionOptions = {
  fields: (apiField) => FIELD_NAMES.find((name) => name === apiField.split('.')[0]),
  checkBanner: FIX_FIELDS,
  fieldBanner: FIX_FIELDS,
};

/** The form as typed: scopes and redirect URIs are text until saved. */
interface FormState {
  name: string;
  grants: Grant[];
  scopes: string;
  redirectUris: string;
}

const EMPTY_FORM: FormState = { name: '', grants: [], scopes: '', redirectUris: '' };

function formOf(application: Application): FormState {
  return {
    name: application.name,
    grants: [...application.grants],
    scopes: application.scopes.join(' '),
    redirectUris: application.redirectUris.join('\n'),
  };
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

/** Client-side checks matching the server's rules (the server checks again). */
function parseForm(form: FormState): { fields: ApplicationFields; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const name = form.name.trim();
  if (name === '') errors['name'] = 'Enter the application’s name.';
  else if (name.length > 100) errors['name'] = 'The name can have at most 100 characters.';

  // Keep the display order of the check boxes.
  const grants = GRANTS.filter((grant) => form.grants.includes(grant));
  if (grants.length === 0) errors['grants'] = 'Choose at least one grant.';

  const scopes = unique(form.scopes.split(/[\s,]+/).filter(Boolean));
  const badScope = scopes.find((scope) => !SCOPE_PATTERN.test(scope));
  if (badScope !== undefined) {
    errors['scopes'] = `“${badScope}” is not a scope name: scopes start with a letter and use letters, digits and . _ : - only.`;
  } else if (scopes.length > MAX_SCOPES) {
    errors['scopes'] = `An application can have at most ${MAX_SCOPES} scopes.`;
  }

  const redirectUris = unique(form.redirectUris.split(/\r?\n/).map((line) => line.trim()).filter(Boolean));
  const badUri = redirectUris.find((uri) => !URL.canParse(uri));
  if (badUri !== undefined) errors['redirectUris'] = `“${badUri}” is not an absolute URL, such as https://app.example.com/callback.`;
  else if (redirectUris.length > MAX_REDIRECT_URIS) errors['redirectUris'] = `An application can have at most ${MAX_REDIRECT_URIS} redirect URIs.`;

  return { fields: { name, grants, scopes, redirectUris }, errors };
}

/** The page's error banner: the "correct the fields" prompt only while a field error remains. */
function bannerOf(error: string | null, errors: FieldErrors): string | null {
  return error === FIX_FIELDS && Object.keys(errors).length === 0 ? null : error;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, index) => value === b[index]);
}

/**
 * Name, grants, scopes and redirect URIs: shared by New Application and the application page. A change
 * drops the errors of the fields it changed.
 */
function ApplicationFieldset(props: { form: FormState; submission: Submission; onChange: (form: FormState) => void }) {
  const { form } = props;
  const errors = props.submission.fieldErrors;
  function onChange(next: FormState): void {
    props.submission.clearFieldErrors(FIELD_NAMES.filter((name) => form[name] !== next[name]));
    props.onChange(next);
  }
  return (
    <>
      <TextField
        label="Application Name"
        value={form.name}
        onChange={(name) => onChange({ ...form, name })}
        error={errors['name']}
        required
        maxLength={100}
      />
      <fieldset className="settings" aria-describedby={errors['grants'] !== undefined ? 'grants-error' : undefined}>
        <legend>Grants</legend>
        {errors['grants'] !== undefined ? (
          <div className="field-error field-error-top" id="grants-error">
            {errors['grants']}
          </div>
        ) : null}
        <div className="checkbox-grid checkbox-grid-wide">
          {GRANTS.map((grant) => (
            <CheckboxField
              key={grant}
              label={grant}
              hint={GRANT_HINTS[grant]}
              checked={form.grants.includes(grant)}
              onChange={(on) =>
                onChange({ ...form, grants: on ? [...form.grants, grant] : form.grants.filter((value) => value !== grant) })
              }
            />
          ))}
        </div>
      </fieldset>
      <TextField
        label="Scopes"
        value={form.scopes}
        onChange={(scopes) => onChange({ ...form, scopes })}
        error={errors['scopes']}
        placeholder="events.topic.read travelrequest.write"
        hint="Separate scopes with spaces or commas. Tokens get all of them unless the request asks for fewer."
      />
      <TextField
        label="Redirect URIs"
        value={form.redirectUris}
        onChange={(redirectUris) => onChange({ ...form, redirectUris })}
        error={errors['redirectUris']}
        multiline
        placeholder="https://app.example.com/callback"
        hint="One per line; https (http only for localhost). Used with the authorization_code grant."
      />
    </>
  );
}

/** A client secret (or client ID and secret) that the server returns once. */
function SecretOnce(props: { title: string; clientId?: string; secret: string; children?: ReactNode }) {
  return (
    <section className="card" aria-labelledby="secret-heading">
      <h2 id="secret-heading">{props.title}</h2>
      <div className="banner banner-warning">
        <strong>Copy the client secret now: it will not be shown again.</strong> patchbay keeps only a hash of it. If it is
        lost, open the application and click <strong>Rotate Secret</strong> to issue a new one.
      </div>
      <div className="copy-fields">
        {props.clientId !== undefined ? <CopyField label="Client ID" value={props.clientId} /> : null}
        <CopyField label="Client Secret" value={props.secret} />
      </div>
      {props.children}
    </section>
  );
}

/** Applications: every OAuth2 client, New Application, and JWT signing-key rotation. */
export function ApplicationsPage() {
  const applications = useLoader('applications', () => api.listApplications());
  const [notice, setNotice] = useState<string | null>(null);
  const rotation = useConfirmation(async () => {
    const kid = await api.rotateSigningKey();
    setNotice(`JWT signing key rotated: new key id ${kid}; the previous key keeps verifying until its tokens expire.`);
  });

  return (
    <section>
      <PageHeader title="Applications" crumbs={[{ label: 'Administration' }]} />
      <Notice message={notice} />
      <ErrorBanner message={applications.error} />
      <div className="card">
        <div className="toolbar" role="toolbar" aria-label="Application actions">
          <button type="button" className="button button-primary" onClick={() => navigate(paths.newApplication())}>
            New Application
          </button>
          <span className="toolbar-hint muted">OAuth2 clients that get tokens at /oauth2/v0/token. The client ID is the application’s ID.</span>
        </div>
        <Loading what="applications" loader={applications} />
        <DataTable
          aria-label="Applications"
          columns={['Name', 'Client ID', 'Grants', 'Scopes', 'Status']}
          rows={applications.data}
          empty={
            <>
              No applications are registered yet. Click <strong>New Application</strong> to register one.
            </>
          }
        >
          {(application) => (
            <tr key={application.id}>
              <th scope="row">
                <Link to={paths.application(application.id)}>{application.name}</Link>
              </th>
              <td className="mono nowrap">{application.id}</td>
              <td className="mono">{application.grants.length > 0 ? application.grants.join(', ') : <span className="muted">None</span>}</td>
              <td className="mono">{application.scopes.length > 0 ? application.scopes.join(' ') : <span className="muted">None</span>}</td>
              <td>
                <FlagBadge on={application.active} yes="Active" no="Inactive" />
              </td>
            </tr>
          )}
        </DataTable>
      </div>
      <section className="card" aria-labelledby="signing-key-heading">
        <h2 id="signing-key-heading">JWT signing key</h2>
        <p>
          patchbay signs access and ID tokens (RS256) with its current key; partners verify them with the public keys at{' '}
          <span className="mono">/oauth2/v0/jwks</span>. Rotate the key on a schedule, or at once if it may have been exposed.
        </p>
        <div className="actions">
          <button type="button" className="button" onClick={() => rotation.ask()}>
            Rotate Signing Key
          </button>
        </div>
      </section>
      <ConfirmDialog confirmation={rotation} title="Rotate the JWT signing key?" confirmLabel="Rotate Key" busyLabel="Rotating…">
        {() => (
          <p>
            New tokens will be signed with a new key. The previous key stays published and keeps verifying until the tokens
            it signed expire, so no partner has to act now.
          </p>
        )}
      </ConfirmDialog>
    </section>
  );
}

/** New Application: the form, then the client ID and the client secret, shown once. */
export function NewApplicationPage() {
  const [form, setForm] = useState<FormState>(EMPTY_FORM);
  const [created, setCreated] = useState<{ application: Application; clientSecret: string } | null>(null);
  const submission = useSubmission(SUBMISSION_OPTIONS);

  function create(): Promise<void> {
    const { fields, errors } = parseForm(form);
    return submission.submit(async () => setCreated(await api.createApplication(fields)), { check: errors });
  }

  if (created !== null) {
    const { application, clientSecret } = created;
    return (
      <section>
        <PageHeader title="New Application" crumbs={CRUMBS} />
        <Notice message={`Application “${application.name}” registered.`} />
        <SecretOnce title="Client credentials" clientId={application.id} secret={clientSecret}>
          <div className="actions">
            <Link to={paths.application(application.id)} className="button button-primary">
              Open Application
            </Link>
            <Link to={paths.applications()} className="button">
              Back to Applications
            </Link>
          </div>
        </SecretOnce>
      </section>
    );
  }

  return (
    <section>
      <PageHeader title="New Application" crumbs={CRUMBS} />
      <ErrorBanner message={bannerOf(submission.error, submission.fieldErrors)} />
      <CardForm aria-label="New application" onSubmit={() => create()}>
        <ApplicationFieldset form={form} submission={submission} onChange={setForm} />
        <div className="actions">
          <button type="submit" className="button button-primary" disabled={submission.busy}>
            {submission.busy ? 'Registering…' : 'Register Application'}
          </button>
          <button type="button" className="button" onClick={() => navigate(paths.applications())}>
            Cancel
          </button>
          <span className="small muted">The client secret is shown once, right after the application is registered.</span>
        </div>
      </CardForm>
    </section>
  );
}

/** One application: its settings, Active, and Rotate Secret. */
export function ApplicationPage({ appId }: { appId: string }) {
  const application = useLoader(`application:${appId}`, () => api.getApplication(appId));
  const editor = useEditor(
    (current: Application | null) => ({ ...(current !== null ? formOf(current) : EMPTY_FORM), active: current?.active ?? true }),
    SUBMISSION_OPTIONS,
  );
  const { draft, start } = editor;
  const [secret, setSecret] = useState<string | null>(null);
  const rotation = useConfirmation(async () => {
    setSecret(await api.rotateClientSecret(appId));
    editor.setNotice(null);
  });
  const busy = editor.busy || rotation.busy;

  const loaded = application.data;
  useEffect(() => {
    if (loaded !== undefined) start(loaded);
  }, [loaded, start]);

  function save(current: Application): Promise<void> {
    const { fields, errors } = parseForm(draft);
    const changes: Partial<ApplicationFields> & { active?: boolean } = {};
    if (fields.name !== current.name) changes.name = fields.name;
    if (!sameList(fields.grants, current.grants)) changes.grants = fields.grants;
    if (!sameList(fields.scopes, current.scopes)) changes.scopes = fields.scopes;
    if (!sameList(fields.redirectUris, current.redirectUris)) changes.redirectUris = fields.redirectUris;
    if (draft.active !== current.active) changes.active = draft.active;
    return editor.submit(
      async () => {
        if (Object.keys(changes).length === 0) {
          editor.setNotice('No changes to save.');
          return;
        }
        application.setData(await api.updateApplication(current.id, changes));
        editor.setNotice(
          changes.active === false
            ? 'Application saved. It is inactive: it can no longer get tokens, and its tokens stop working.'
            : 'Application saved.',
        );
      },
      { check: errors },
    );
  }

  if (loaded === undefined) {
    return (
      <section>
        <PageHeader title="Application" crumbs={CRUMBS} />
        <ErrorBanner message={application.error} />
        <Loading what="application" loader={application} />
      </section>
    );
  }

  return (
    <section>
      <PageHeader title={loaded.name} crumbs={CRUMBS}>
        <FlagBadge on={loaded.active} yes="Active" no="Inactive" />
      </PageHeader>
      <Notice message={editor.notice} />
      <ErrorBanner message={bannerOf(editor.error, editor.fieldErrors)} />
      {secret !== null ? (
        <SecretOnce title="New client secret" secret={secret}>
          <p className="note">The previous secret no longer works. Give the new one to the application’s developers.</p>
        </SecretOnce>
      ) : null}
      <CardForm aria-labelledby="application-settings-heading" onSubmit={() => save(loaded)}>
        <h2 id="application-settings-heading">Settings</h2>
        <dl className="facts">
          <dt>Client ID</dt>
          <dd className="mono">{loaded.id}</dd>
          <dt>Created</dt>
          <dd>
            <DateTime value={loaded.createdAt} />
          </dd>
          <dt>Last changed</dt>
          <dd>
            <DateTime value={loaded.updatedAt} />
          </dd>
        </dl>
        <ApplicationFieldset form={draft} submission={editor} onChange={editor.update} />
        <CheckboxField
          label="Active"
          checked={draft.active}
          onChange={(active) => editor.update({ active })}
          hint="An inactive application cannot get or refresh tokens, and the tokens it already has stop working."
        />
        <div className="actions">
          <button type="submit" className="button button-primary" disabled={busy}>
            {editor.busy ? 'Saving…' : 'Save'}
          </button>
          <Link to={paths.applications()}>Back to Applications</Link>
        </div>
      </CardForm>
      <section className="card" aria-labelledby="client-secret-heading">
        <h2 id="client-secret-heading">Client secret</h2>
        <p>
          The client secret was shown when the application was registered; patchbay keeps only a hash of it. Rotate it to
          issue a new one, for example when it was lost or may have leaked.
        </p>
        <div className="actions">
          <button type="button" className="button button-danger" disabled={busy} onClick={() => rotation.ask()}>
            Rotate Secret
          </button>
        </div>
      </section>
      <ConfirmDialog confirmation={rotation} title="Rotate the client secret?" confirmLabel="Rotate Secret" busyLabel="Rotating…" danger>
        {() => (
          <p>
            The current secret of <strong>{loaded.name}</strong> stops working at once: token requests with it fail until the
            application is switched to the new secret, which is shown once.
          </p>
        )}
      </ConfirmDialog>
    </section>
  );
}
