// Small shared building blocks: form fields, messages, dialogs, breadcrumbs, data loading.
import {
  useCallback,
  useEffect,
  useId,
  useRef,
  useState,
  type ReactNode,
  type Ref,
} from 'react';
import { errorMessage } from './api.ts';
import { Link } from './router.tsx';

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
      {props.error !== undefined ? (
        <div className="field-error" id={errorId}>
          {props.error}
        </div>
      ) : null}
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
      {props.error !== undefined ? (
        <div className="field-error" id={`${id}-error`}>
          {props.error}
        </div>
      ) : null}
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

/** A yes/no confirmation window. */
export function ConfirmDialog(props: {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  busy?: boolean;
  error?: string | null;
  danger?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  return (
    <Modal
      title={props.title}
      role="alertdialog"
      onClose={props.onCancel}
      onSubmit={props.onConfirm}
      footer={
        <>
          <button type="submit" className={props.danger ? 'button button-danger' : 'button button-primary'} disabled={props.busy}>
            {props.confirmLabel}
          </button>
          <button type="button" className="button" onClick={props.onCancel}>
            Cancel
          </button>
        </>
      }
    >
      <ErrorBanner message={props.error} />
      {props.children}
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

/** "Loading…" placeholder announced to screen readers. */
export function Loading({ what }: { what: string }) {
  return (
    <p className="muted" role="status">
      Loading {what}…
    </p>
  );
}
