// Small shared building blocks: form fields, messages, dialogs, breadcrumbs, tabs, tables, the company
// line and frame, data loading.
import {
  useCallback,
  useEffect,
  useId,
  useRef,
  useState,
  type ReactNode,
  type Ref,
} from 'react';
import { api, errorMessage } from './api.ts';
import { useSubmission, type Confirmation } from './forms.ts';
import { Link, paths, useLocation } from './router.tsx';
import { useSession } from './session.tsx';

/**
 * A form (a card by default) whose submission runs `onSubmit` instead of reloading the page. Browser
 * validation is off: the fields show the API's own messages.
 */
export function CardForm(props: {
  onSubmit: () => unknown;
  children: ReactNode;
  className?: string;
  'aria-label'?: string;
  'aria-labelledby'?: string;
}) {
  return (
    <form
      className={props.className ?? 'card'}
      noValidate
      aria-label={props['aria-label']}
      aria-labelledby={props['aria-labelledby']}
      onSubmit={(event) => {
        event.preventDefault();
        void props.onSubmit();
      }}
    >
      {props.children}
    </form>
  );
}

/** The buttons under a form: submit (`label`), and Cancel when `onCancel` is given (while an item is modified). */
export function FormActions({ label, disabled, onCancel }: { label: string; disabled: boolean; onCancel?: (() => void) | undefined }) {
  return (
    <div className="actions">
      <button type="submit" className="button button-primary" disabled={disabled}>
        {label}
      </button>
      {onCancel !== undefined ? (
        <button type="button" className="button" onClick={onCancel}>
          Cancel
        </button>
      ) : null}
    </div>
  );
}

/** A red message box for errors (announced to screen readers). */
export function ErrorBanner({ message }: { message: string | null | undefined }) {
  if (message === null || message === undefined || message === '') return null;
  return (
    <div className="banner banner-error" role="alert">
      {message}
    </div>
  );
}

/** A green or neutral message box for outcomes (announced politely). */
export function Notice({ message, tone = 'success' }: { message: string | null; tone?: 'success' | 'info' }) {
  if (message === null || message === '') return null;
  return (
    <div className={`banner banner-${tone}`} role="status">
      {message}
    </div>
  );
}

/** Props of `TextField`. */
export interface TextFieldProps {
  label: string;
  value: string;
  onChange: (value: string) => void;
  type?: 'text' | 'password' | 'url' | 'number' | 'date' | 'datetime-local' | 'email';
  hint?: ReactNode;
  error?: string | undefined;
  required?: boolean;
  autoComplete?: string;
  placeholder?: string;
  multiline?: boolean;
  maxLength?: number;
  inputRef?: Ref<HTMLInputElement>;
  className?: string;
}

/** A labelled text input with an optional hint and an error message tied to it. */
export function TextField(props: TextFieldProps) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy =
    [props.hint !== undefined ? hintId : null, props.error !== undefined ? errorId : null]
      .filter((part) => part !== null)
      .join(' ') || undefined;
  const common = {
    id,
    value: props.value,
    'aria-describedby': describedBy,
    'aria-invalid': props.error !== undefined ? true : undefined,
    'aria-required': props.required ? true : undefined,
    placeholder: props.placeholder,
    maxLength: props.maxLength,
  };
  return (
    <div className={`field${props.error !== undefined ? ' field-invalid' : ''} ${props.className ?? ''}`}>
      {/* The required mark stays outside the label so the field's accessible name is just the label. */}
      <div className="label-row">
        <label htmlFor={id}>{props.label}</label>
        {props.required ? (
          <span className="required-mark" aria-hidden="true" title="Required">
            *
          </span>
        ) : null}
      </div>
      {props.multiline ? (
        <textarea {...common} rows={3} onChange={(event) => props.onChange(event.target.value)} />
      ) : (
        <input
          {...common}
          ref={props.inputRef}
          type={props.type ?? 'text'}
          autoComplete={props.autoComplete}
          onChange={(event) => props.onChange(event.target.value)}
        />
      )}
      {props.hint !== undefined ? (
        <div className="field-hint" id={hintId}>
          {props.hint}
        </div>
      ) : null}
      <FieldError id={errorId} message={props.error} />
    </div>
  );
}

/** A field's error message; `id` ties it to the field (its `aria-describedby`). */
export function FieldError({ id, message }: { id: string; message: string | null | undefined }) {
  if (message === null || message === undefined) return null;
  return (
    <div className="field-error" id={id}>
      {message}
    </div>
  );
}

/** A labelled check box. */
export function CheckboxField(props: {
  label: string;
  checked: boolean;
  onChange: (checked: boolean) => void;
  hint?: string;
  disabled?: boolean;
}) {
  const id = useId();
  return (
    <div className="field field-checkbox">
      <input
        id={id}
        type="checkbox"
        checked={props.checked}
        disabled={props.disabled}
        aria-describedby={props.hint !== undefined ? `${id}-hint` : undefined}
        onChange={(event) => props.onChange(event.target.checked)}
      />
      <label htmlFor={id}>{props.label}</label>
      {props.hint !== undefined ? (
        <div className="field-hint" id={`${id}-hint`}>
          {props.hint}
        </div>
      ) : null}
    </div>
  );
}

/**
 * A read-only value with a Copy button: client IDs, secrets shown once, request tokens.
 * When the browser refuses the clipboard, the value is selected for the user to copy.
 */
export function CopyField(props: { label: string; value: string; hint?: ReactNode }) {
  const id = useId();
  const inputRef = useRef<HTMLInputElement>(null);
  // The outcome belongs to the value it was about: a new value shows no stale "Copied".
  const [outcome, setOutcome] = useState<{ value: string; message: string } | null>(null);

  async function copy(): Promise<void> {
    try {
      await navigator.clipboard.writeText(props.value);
      setOutcome({ value: props.value, message: `${props.label} copied to the clipboard.` });
    } catch {
      inputRef.current?.focus();
      inputRef.current?.select();
      setOutcome({ value: props.value, message: 'The browser did not allow copying: the value is selected, press Ctrl+C (⌘C on a Mac).' });
    }
  }

  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      <div className="copy-row">
        <input
          id={id}
          ref={inputRef}
          type="text"
          className="mono"
          value={props.value}
          readOnly
          spellCheck={false}
          aria-describedby={props.hint !== undefined ? `${id}-hint` : undefined}
          onFocus={(event) => event.target.select()}
        />
        <button type="button" className="button" aria-label={`Copy ${props.label}`} onClick={() => void copy()}>
          Copy
        </button>
      </div>
      {props.hint !== undefined ? (
        <div className="field-hint" id={`${id}-hint`}>
          {props.hint}
        </div>
      ) : null}
      <div className="field-hint" role="status">
        {outcome !== null && outcome.value === props.value ? outcome.message : ''}
      </div>
    </div>
  );
}

/** A labelled select. */
export function SelectField<T extends string>(props: {
  label: string;
  value: T;
  options: readonly { value: T; label: string }[];
  onChange: (value: T) => void;
  error?: string | undefined;
}) {
  const id = useId();
  return (
    <div className={`field${props.error !== undefined ? ' field-invalid' : ''}`}>
      <label htmlFor={id}>{props.label}</label>
      <select
        id={id}
        value={props.value}
        aria-invalid={props.error !== undefined ? true : undefined}
        aria-describedby={props.error !== undefined ? `${id}-error` : undefined}
        onChange={(event) => props.onChange(event.target.value as T)}
      >
        {props.options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
      <FieldError id={`${id}-error`} message={props.error} />
    </div>
  );
}

/**
 * A modal window built on the native `<dialog>` element (focus stays inside, Esc closes it).
 * Render it only while it should be open.
 */
export function Modal(props: {
  title: string;
  onClose: () => void;
  children: ReactNode;
  footer: ReactNode;
  onSubmit?: () => void;
  wide?: boolean;
  role?: 'dialog' | 'alertdialog';
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (dialog !== null && !dialog.open) dialog.showModal();
    return () => {
      if (dialog?.open) dialog.close();
    };
  }, []);
  const body = (
    <>
      <div className="modal-header">
        <h2 id={titleId}>{props.title}</h2>
      </div>
      <div className="modal-body">{props.children}</div>
      <div className="modal-footer">{props.footer}</div>
    </>
  );
  return (
    <dialog
      ref={ref}
      className={`modal${props.wide ? ' modal-wide' : ''}`}
      aria-labelledby={titleId}
      role={props.role === 'alertdialog' ? 'alertdialog' : undefined}
      onCancel={(event) => {
        event.preventDefault();
        props.onClose();
      }}
    >
      {props.onSubmit !== undefined ? (
        <form
          noValidate
          onSubmit={(event) => {
            event.preventDefault();
            props.onSubmit?.();
          }}
        >
          {body}
        </form>
      ) : (
        body
      )}
    </dialog>
  );
}

/** The yes/no window of a `useConfirmation` action, open while it asks; `children` says what happens to the target. */
export function ConfirmDialog<T>(props: {
  confirmation: Confirmation<T>;
  title: string;
  confirmLabel: string;
  /** The confirm button's text while the action runs; `confirmLabel` by default. */
  busyLabel?: string;
  danger?: boolean;
  children: (target: T) => ReactNode;
}) {
  const { asked, busy, error, cancel, confirm } = props.confirmation;
  if (asked === null) return null;
  return (
    <Modal
      title={props.title}
      role="alertdialog"
      onClose={cancel}
      onSubmit={() => void confirm()}
      footer={
        <>
          <button type="submit" className={props.danger ? 'button button-danger' : 'button button-primary'} disabled={busy}>
            {busy && props.busyLabel !== undefined ? props.busyLabel : props.confirmLabel}
          </button>
          <button type="button" className="button" onClick={cancel}>
            Cancel
          </button>
        </>
      }
    >
      <ErrorBanner message={error} />
      {props.children(asked.target)}
    </Modal>
  );
}

/** One step of a breadcrumb trail; the last one is the current page. */
export interface Crumb {
  label: string;
  to?: string;
}

/** The page title with its breadcrumb trail. */
export function PageHeader(props: { title: string; crumbs?: Crumb[]; children?: ReactNode }) {
  useEffect(() => {
    document.title = `${props.title} - patchbay`;
  }, [props.title]);
  return (
    <header className="page-header">
      {props.crumbs !== undefined && props.crumbs.length > 0 ? (
        <nav aria-label="Breadcrumb" className="breadcrumbs">
          <ol>
            {props.crumbs.map((crumb) => (
              <li key={crumb.label}>{crumb.to !== undefined ? <Link to={crumb.to}>{crumb.label}</Link> : crumb.label}</li>
            ))}
            <li aria-current="page">{props.title}</li>
          </ol>
        </nav>
      ) : null}
      <div className="page-title-row">
        <h1>{props.title}</h1>
        {props.children}
      </div>
    </header>
  );
}

/** The Refresh button of a page (or, `small`, of a card): loads its data again. */
export function RefreshButton({ onRefresh, small = false }: { onRefresh: () => void; small?: boolean }) {
  return (
    <button type="button" className={small ? 'button button-small' : 'button'} onClick={onRefresh}>
      Refresh
    </button>
  );
}

/** A timestamp shown in the user's locale, machine-readable in `dateTime`. */
export function DateTime({ value }: { value: string | null | undefined }) {
  if (value === null || value === undefined) return <span className="muted">—</span>;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return <span>{value}</span>;
  return (
    <time dateTime={value} title={value}>
      {date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' })}
    </time>
  );
}

/** A small coloured label (Verified, Active, ...). */
export function Badge({ tone, children }: { tone: 'success' | 'danger' | 'neutral' | 'warning'; children: ReactNode }) {
  return <span className={`badge badge-${tone}`}>{children}</span>;
}

/** A yes/no label: `yes` in green when `on`, else `no` in grey (Active / Inactive, Verified / Not verified...). */
export function FlagBadge({ on, yes, no }: { on: boolean; yes: ReactNode; no: ReactNode }) {
  return on ? <Badge tone="success">{yes}</Badge> : <Badge tone="neutral">{no}</Badge>;
}

/** One tab of `Tabs`: its label and the page it opens. */
export interface Tab {
  label: string;
  to: string;
}

/**
 * A row of tabs linking pages; the current one is marked. A tab is current on its page and, unless
 * `exact`, on the pages below it.
 */
export function Tabs({ label, tabs, exact = false }: { label: string; tabs: readonly Tab[]; exact?: boolean }) {
  const { path } = useLocation();
  return (
    <nav aria-label={label} className="tabs">
      <ul>
        {tabs.map((tab) => {
          const current = path === tab.to || (!exact && path.startsWith(`${tab.to}/`));
          return (
            <li key={tab.to}>
              <Link to={tab.to} className={current ? 'tab is-current' : 'tab'} aria-current={current ? 'page' : undefined}>
                {tab.label}
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}

/** A column of `DataTable`: its heading, or one only screen readers get (`hidden`, e.g. over buttons). */
export type Column = string | { label: string; hidden?: boolean; className?: string };

/** The heading of a column of buttons. */
export const ACTIONS: Column = { label: 'Actions', hidden: true };

/** The heading of the radio buttons of `SelectableRow`s. */
export const SELECT: Column = { label: 'Select', hidden: true };

/**
 * A row of a `table-selectable` table: a click (or its radio button of `group`) selects it, a double
 * click opens it. `label` names the row for screen readers.
 */
export function SelectableRow(props: { group: string; label: string; selected: boolean; onSelect: () => void; onOpen: () => void; children: ReactNode }) {
  return (
    <tr className={props.selected ? 'is-selected' : undefined} onClick={props.onSelect} onDoubleClick={props.onOpen}>
      <td className="cell-select">
        <input type="radio" name={props.group} aria-label={`Select ${props.label}`} checked={props.selected} onChange={props.onSelect} />
      </td>
      {props.children}
    </tr>
  );
}

/**
 * A table of `rows`, one `children(row)` each (a `<tr>` with its key), under the `columns` headings
 * (null ones are left out). Nothing is shown until the rows are there; with none, the `empty` text
 * fills a row (no row without `empty`). Its name is a visually hidden `caption` (shown with
 * `captionShown`) or an `aria-label`.
 */
export function DataTable<T>(props: {
  rows: readonly T[] | undefined;
  columns: readonly (Column | null)[];
  children: (row: T, index: number) => ReactNode;
  empty?: ReactNode;
  caption?: string;
  captionShown?: boolean;
  'aria-label'?: string;
  /** The table's classes; `table` by default. */
  className?: string;
  /** Marks the table as being reloaded. */
  busy?: boolean;
}) {
  if (props.rows === undefined) return null;
  const columns = props.columns.filter((column) => column !== null).map((column) => (typeof column === 'string' ? { label: column } : column));
  return (
    <table className={props.className ?? 'table'} aria-label={props['aria-label']} aria-busy={props.busy}>
      {props.caption !== undefined ? <caption className={props.captionShown ? 'table-caption' : 'visually-hidden'}>{props.caption}</caption> : null}
      <thead>
        <tr>
          {columns.map((column) => (
            <th key={column.label} scope="col" className={column.className}>
              {column.hidden ? <span className="visually-hidden">{column.label}</span> : column.label}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {props.rows.length === 0 && props.empty !== undefined ? (
          <tr>
            <td colSpan={columns.length} className="empty">
              {props.empty}
            </td>
          </tr>
        ) : null}
        {props.rows.map((row, index) => props.children(row, index))}
      </tbody>
    </table>
  );
}

/** The breadcrumb trail of the Web Services pages. */
export const WEB_SERVICES_CRUMBS: Crumb[] = [{ label: 'Administration' }, { label: 'Web Services', to: paths.webServices() }];

/** The name of the company `companyId`, once known: operators look it up, a company's users know their own. */
function useCompanyName(companyId: string): string | null {
  const { session } = useSession();
  const operator = session.user.isOperator;
  const companies = useLoader(`companies:${operator}`, () => (operator ? api.listCompanies() : Promise.resolve([])));
  if (operator) return companies.data?.find((company) => company.id === companyId)?.name ?? null;
  return session.company?.id === companyId ? session.company.name : null;
}

/**
 * "Company: Name", with the company UUID when `uuid`, and for operators a way back to the company
 * `picker`. Without the UUID the line waits for the name.
 */
export function CompanyLine({ companyId, picker, uuid = false }: { companyId: string; picker: string; uuid?: boolean }) {
  const { session } = useSession();
  const name = useCompanyName(companyId);
  if (name === null && !uuid) return null;
  return (
    <p className="context-line">
      {name !== null ? (
        <>
          Company: <strong>{name}</strong>
          {uuid ? <> ·{' '}</> : null}
        </>
      ) : null}
      {uuid ? (
        <>
          Company UUID: <span className="mono">{companyId}</span>
        </>
      ) : null}
      {session.user.isOperator ? (
        <>
          {' '}
          · <Link to={picker}>Choose another company</Link>
        </>
      ) : null}
    </p>
  );
}

/**
 * A page about one company that operators chose first: the title (with `actions` beside it), the
 * company line (see `CompanyLine`), then `tabs` and the page's content.
 */
export function CompanyFrame(props: {
  companyId: string;
  title: string;
  crumbs: Crumb[];
  picker: string;
  uuid?: boolean;
  actions?: ReactNode;
  tabs?: ReactNode;
  children: ReactNode;
}) {
  return (
    <section>
      <PageHeader title={props.title} crumbs={props.crumbs}>
        {props.actions}
      </PageHeader>
      <CompanyLine companyId={props.companyId} picker={props.picker} uuid={props.uuid} />
      {props.tabs}
      {props.children}
    </section>
  );
}

/** What `useLoader` returns. */
export interface Loaded<T> {
  data: T | undefined;
  error: string | null;
  loading: boolean;
  reload: () => void;
  setData: (data: T) => void;
}

/** Loads data when `key` changes; `reload()` loads it again. Stale answers are ignored. */
export function useLoader<T>(key: string, load: () => Promise<T>): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [generation, setGeneration] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    let current = true;
    setLoading(true);
    setError(null);
    loadRef.current().then(
      (value) => {
        if (!current) return;
        setData(value);
        setLoading(false);
      },
      (cause: unknown) => {
        if (!current) return;
        setError(errorMessage(cause));
        setLoading(false);
      },
    );
    return () => {
      current = false;
    };
  }, [key, generation]);
  const reload = useCallback(() => setGeneration((value) => value + 1), []);
  return { data, error, loading, reload, setData };
}

/** One page of a list that goes on: its items and where the next (older) page starts, null after the last. */
export interface Page<T, C> {
  items: T[];
  nextBefore: C | null;
}

/** What `usePages` returns. */
export interface Pages<T, C> {
  /** The first page, loaded as `useLoader` loads (again when the key changes). */
  first: Loaded<Page<T, C>>;
  /** The items of the first page, then those of the older pages loaded so far; undefined until the first page is there. */
  items: T[] | undefined;
  hasOlder: boolean;
  loadingOlder: boolean;
  olderError: string | null;
  loadOlder: () => Promise<void>;
}

/**
 * A list loaded a page at a time, newest first: the first page when `key` changes (or on
 * `first.reload()`), older ones on `loadOlder()`; `load` gets where the page starts (undefined for the first).
 */
export function usePages<T, C>(key: string, load: (before: C | undefined) => Promise<Page<T, C>>): Pages<T, C> {
  const first = useLoader(key, () => load(undefined));
  const [older, setOlder] = useState<T[]>([]);
  const [nextBefore, setNextBefore] = useState<C | null>(null);
  const { busy, error, setError, submit } = useSubmission();
  const loadRef = useRef(load);
  loadRef.current = load;

  // A new first page starts the list again.
  const firstPage = first.data;
  useEffect(() => {
    setOlder([]);
    setError(null);
    setNextBefore(firstPage?.nextBefore ?? null);
  }, [firstPage, setError]);

  async function loadOlder(): Promise<void> {
    if (nextBefore === null) return;
    await submit(async () => {
      const page = await loadRef.current(nextBefore);
      setOlder((current) => [...current, ...page.items]);
      setNextBefore(page.nextBefore);
    });
  }

  return {
    first,
    items: firstPage !== undefined ? [...firstPage.items, ...older] : undefined,
    hasOlder: nextBefore !== null,
    loadingOlder: busy,
    olderError: error,
    loadOlder,
  };
}

/** The "Show Older …" button under a paged list, while older items remain. */
export function ShowOlder({ pages, label }: { pages: Pick<Pages<unknown, unknown>, 'hasOlder' | 'loadingOlder' | 'loadOlder'>; label: string }) {
  if (!pages.hasOlder) return null;
  return (
    <div className="actions">
      <button type="button" className="button" disabled={pages.loadingOlder} onClick={() => void pages.loadOlder()}>
        {pages.loadingOlder ? 'Loading…' : label}
      </button>
    </div>
  );
}

/** "Loading…" placeholder announced to screen readers; with `loader`, only while it awaits its first answer. */
export function Loading({ what, loader }: { what: string; loader?: Pick<Loaded<unknown>, 'loading' | 'data'> }) {
  if (loader !== undefined && !(loader.loading && loader.data === undefined)) return null;
  return (
    <p className="muted" role="status">
      Loading {what}…
    </p>
  );
}
