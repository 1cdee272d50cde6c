// A request's custom form fields on its page: text fields, connected lists whose items come from a
// connector's Fetch List service, and Launch URL buttons that open a connector's page in a pop-up
// (Launch External URL). Read-only once the request is submitted.
import { useEffect, useId, useRef, useState, type KeyboardEvent, type Ref } from 'react';
import {
  ApiError,
  api,
  customFieldValue,
  errorMessage,
  type CustomFieldValue,
  type FormField,
  type ListItem,
  type RequestChanges,
  type TravelRequest,
} from '../api.ts';
import { ErrorBanner, FieldError, Loading, TextField, useLoader } from '../components.tsx';
import { useSubmission } from '../forms.ts';

/** How often an open Launch URL window is checked for being closed (it cannot tell us itself: another origin). */
const POPUP_POLL_MS = 500;
/** Typing waits this long before searching, so each key press does not call the connector. */
const SEARCH_DELAY_MS = 250;
/** Items a list level shows at most (the connector's answer is capped at the same number). */
const LIST_LIMIT = 50;
/** What a list search may send (the server's limit), a trailing `*` included. */
const MAX_QUERY_LENGTH = 100;

/**
 * What is typed in a list level, as the Fetch List query: the items starting with it (a `*` appended),
 * unless the user wrote their own `*` wildcards; an empty box lists every item.
 */
export function listQuery(typed: string): string {
  const text = typed.trim();
  if (text === '' || text.includes('*')) return text;
  return `${text}*`;
}

/** A stored custom field value as text: the item's text, with its code when both are there. */
export function CustomValue({ value }: { value: CustomFieldValue | undefined }) {
  const text = value?.value ?? '';
  const code = value?.code ?? '';
  if (text === '' && code === '') return <span className="muted">—</span>;
  return (
    <span>
      {text !== '' ? text : null}
      {code !== '' && code !== text ? <span className="mono small muted">{text !== '' ? ` (${code})` : code}</span> : null}
    </span>
  );
}

/**
 * The request's custom form fields as a card: inputs while the request can be edited (`editable`),
 * values otherwise. `onSaved` gets the request after a save; `onReload` asks the page to load it again
 * (after a list choice, or once a Launch URL window closes), with a message to show.
 */
export function RequestFormFields(props: {
  companyId: string;
  request: TravelRequest;
  editable: boolean;
  onSaved: (request: TravelRequest, message: string) => void;
  onReload: (message: string) => void;
}) {
  const { companyId, request, editable } = props;
  const fields = useLoader(`form-fields:${companyId}`, () => api.listFormFields(companyId));
  const [edits, setEdits] = useState<Record<string, string>>({});
  // Errors the server answers about a text field are shown at that field.
  const isTextField = (name: string) => (fields.data ?? []).some((field) => field.kind === 'TEXT' && field.field === name);
  const submission = useSubmission({ fields: (name) => (isTextField(name) ? name : undefined) });
  const { fieldErrors } = submission;
  const [launching, setLaunching] = useState<{ field: string; phase: 'opening' | 'open' } | null>(null);
  const pollRef = useRef<number | null>(null);

  // Stop watching a pop-up when the page goes away.
  useEffect(
    () => () => {
      if (pollRef.current !== null) window.clearInterval(pollRef.current);
    },
    [],
  );

  const list = fields.data ?? [];
  if (fields.loading && fields.data === undefined) return <Loading what="the request's fields" />;
  if (fields.error !== null) {
    return (
      <div className="card">
        <h2>Request Fields</h2>
        <ErrorBanner message={fields.error} />
      </div>
    );
  }
  if (list.length === 0) return null;

  const textFields = list.filter((field) => field.kind === 'TEXT');
  const savedText = (field: string) => customFieldValue(request, field)?.value ?? '';
  const textOf = (field: string) => edits[field] ?? savedText(field);

  /** The text fields that differ from the saved request, as the PUT sends them. */
  function textChanges(): RequestChanges {
    const changes: RequestChanges = {};
    for (const field of textFields) {
      const value = textOf(field.field).trim();
      if (value === savedText(field.field).trim()) continue;
      changes[field.field as `custom${number}`] = value === '' ? null : { value };
    }
    return changes;
  }

  function saveText(): Promise<void> {
    return submission.submit(async () => {
      const changes = textChanges();
      if (Object.keys(changes).length === 0) {
        props.onSaved(request, 'Nothing changed.');
        return;
      }
      const updated = await api.updateRequest(companyId, request.id, changes);
      setEdits({});
      props.onSaved(updated, 'Request fields saved.');
    });
  }

  /**
   * Launch URL: saves the form, asks for the signed URL and shows the connector's page in a pop-up, then
   * reloads the request once the pop-up closes (the connector writes the value through Request v4). The
   * window is opened blank at once, while the click still counts as a user gesture, and pointed at the
   * connector's page when the URL arrives.
   */
  async function launch(field: FormField): Promise<void> {
    submission.clearErrors();
    const size = field.popup ?? { width: 640, height: 560 };
    const popup = window.open('about:blank', `leu-${field.field}`, `popup,width=${size.width},height=${size.height}`);
    if (popup === null) {
      submission.setFieldErrors({ [field.field]: 'The browser blocked the pop-up window. Allow pop-ups for this site, then click the button again.' });
      return;
    }
    // The connector's page gets no handle on the console (it could otherwise navigate this tab).
    popup.opener = null;
    setLaunching({ field: field.field, phase: 'opening' });
    try {
      await api.updateRequest(companyId, request.id, textChanges());
      setEdits({});
      const answer = await api.launchExternalUrl(companyId, request.id, field.field);
      if (popup.closed) {
        setLaunching(null);
        props.onReload(`The ${field.label} window was closed before it opened; the request was saved.`);
        return;
      }
      popup.location.replace(answer.url);
    } catch (cause) {
      popup.close();
      setLaunching(null);
      if (cause instanceof ApiError && cause.field !== undefined && isTextField(cause.field)) submission.fail(cause);
      else submission.setFieldErrors({ [field.field]: errorMessage(cause) });
      return;
    }
    setLaunching({ field: field.field, phase: 'open' });
    if (pollRef.current !== null) window.clearInterval(pollRef.current);
    pollRef.current = window.setInterval(() => {
      if (!popup.closed) return;
      if (pollRef.current !== null) window.clearInterval(pollRef.current);
      pollRef.current = null;
      setLaunching(null);
      props.onReload(`The ${field.label} window closed; the request was reloaded.`);
    }, POPUP_POLL_MS);
  }

  return (
    <section className="card" aria-labelledby="request-fields-heading">
      <h2 id="request-fields-heading">Request Fields</h2>
      <ErrorBanner message={submission.error} />
      {editable ? (
        <div className="grid-2">
          {list.map((field) => {
            const fieldError = fieldErrors[field.field];
            switch (field.kind) {
              case 'TEXT':
                return (
                  <TextField
                    key={field.field}
                    label={field.label}
                    value={textOf(field.field)}
                    maxLength={500}
                    error={fieldError}
                    onChange={(value) => {
                      setEdits((current) => ({ ...current, [field.field]: value }));
                      submission.clearFieldErrors([field.field]);
                    }}
                  />
                );
              case 'LIST':
                return (
                  <ListFieldPicker
                    key={field.field}
                    companyId={companyId}
                    requestId={request.id}
                    field={field}
                    current={customFieldValue(request, field.field)}
                    onChosen={(item) => props.onReload(`${field.label} set to ${item.value}.`)}
                    onCleared={(updated) => props.onSaved(updated, `${field.label} cleared.`)}
                  />
                );
              case 'LAUNCH_URL':
                return (
                  <LaunchField
                    key={field.field}
                    field={field}
                    current={customFieldValue(request, field.field)}
                    error={fieldError}
                    state={launching?.field === field.field ? launching.phase : launching !== null ? 'other' : 'idle'}
                    onLaunch={() => void launch(field)}
                  />
                );
            }
            return null;
          })}
        </div>
      ) : (
        <dl className="facts">
          {list.map((field) => (
            <FieldValue key={field.field} label={field.label} value={customFieldValue(request, field.field)} />
          ))}
        </dl>
      )}
      {editable && textFields.length > 0 ? (
        <div className="actions">
          <button type="button" className="button button-primary" disabled={submission.busy || launching !== null} onClick={() => void saveText()}>
            {submission.busy ? 'Saving…' : 'Save Fields'}
          </button>
          <span className="toolbar-hint muted">Lists and Launch URL fields are saved as you choose.</span>
        </div>
      ) : null}
    </section>
  );
}

function FieldValue({ label, value }: { label: string; value: CustomFieldValue | undefined }) {
  return (
    <>
      <dt>{label}</dt>
      <dd>
        <CustomValue value={value} />
      </dd>
    </>
  );
}

/** A Launch URL field: its value and the button that opens the connector's page. */
function LaunchField(props: {
  field: FormField;
  current: CustomFieldValue | undefined;
  error: string | undefined;
  state: 'idle' | 'opening' | 'open' | 'other';
  onLaunch: () => void;
}) {
  const id = useId();
  const { field } = props;
  return (
    <div className={`field${props.error !== undefined ? ' field-invalid' : ''}`} role="group" aria-labelledby={`${id}-label`}>
      <div className="label-row" id={`${id}-label`}>
        {field.label}
      </div>
      <p className="launch-value" id={`${id}-value`}>
        <CustomValue value={props.current} />
      </p>
      <button
        type="button"
        className="button"
        aria-describedby={props.error !== undefined ? `${id}-error` : `${id}-value`}
        disabled={props.state !== 'idle'}
        onClick={props.onLaunch}
      >
        {field.label}
      </button>
      <div className="field-hint" role="status">
        {props.state === 'opening' ? 'Saving the request and opening the window…' : props.state === 'open' ? 'Complete the window; the request reloads when it closes.' : ''}
      </div>
      <FieldError id={`${id}-error`} message={props.error} />
    </div>
  );
}

/**
 * A connected list field: one combobox per level. Each searches the connector as the user types, under
 * the items chosen at the levels above; choosing the last level stores the item on the request. A stored
 * value can be cleared (the request's custom field is removed).
 */
function ListFieldPicker(props: {
  companyId: string;
  requestId: string;
  field: FormField;
  current: CustomFieldValue | undefined;
  onChosen: (item: { code: string; value: string }) => void;
  onCleared: (request: TravelRequest) => void;
}) {
  const { field } = props;
  const groupId = useId();
  const hasValue = props.current?.value !== undefined || props.current?.code !== undefined;
  const [picking, setPicking] = useState(!hasValue);
  const [chosen, setChosen] = useState<ListItem[]>([]);
  const choice = useSubmission();
  const { error, setError } = choice;
  const busy = choice.pending === 'choose';
  const clearing = choice.pending === 'clear';
  const inputs = useRef<Array<HTMLInputElement | null>>([]);
  const [focusLevel, setFocusLevel] = useState<number | null>(null);

  useEffect(() => {
    if (focusLevel === null) return;
    inputs.current[focusLevel]?.focus();
    setFocusLevel(null);
  }, [focusLevel]);

  const levels = field.list?.levels ?? 1;
  if (field.list === null || !field.list.configured) {
    return (
      <div className="field" role="group" aria-labelledby={`${groupId}-label`}>
        <div className="label-row" id={`${groupId}-label`}>
          {field.label}
        </div>
        <CustomValue value={props.current} />
        <div className="field-error">
          {field.list === null
            ? 'This list has no connector list configured. Ask your administrator.'
            : `The list “${field.list.name}” is no longer configured on its connector. Ask your administrator.`}
        </div>
      </div>
    );
  }

  async function select(level: number, item: ListItem | null): Promise<void> {
    setError(null);
    if (item === null) {
      setChosen((current) => current.slice(0, level));
      return;
    }
    const next = [...chosen.slice(0, level), item];
    setChosen(next);
    if (next.length < levels) {
      setFocusLevel(level + 1);
      return;
    }
    await choice.submit(
      async () => {
        const stored = await api.chooseListItem(props.companyId, props.requestId, field.field, next.map((entry) => entry.shortCode));
        setPicking(false);
        setChosen([]);
        props.onChosen(stored);
      },
      { what: 'choose' },
    );
  }

  /** Removes the stored value from the request; the levels then start afresh. */
  function clearValue(): Promise<void> {
    return choice.submit(
      async () => {
        const updated = await api.updateRequest(props.companyId, props.requestId, { [field.field]: null });
        setPicking(true);
        setChosen([]);
        props.onCleared(updated);
      },
      { what: 'clear' },
    );
  }

  const clearButton = (
    <button type="button" className="button button-small" aria-label={`Clear ${field.label}`} disabled={busy || clearing} onClick={() => void clearValue()}>
      Clear Value
    </button>
  );

  return (
    <fieldset className="list-field">
      <legend>{field.label}</legend>
      {!picking ? (
        <>
          <div className="list-field-value">
            <CustomValue value={props.current} />{' '}
            <button
              type="button"
              className="button button-small"
              aria-label={`Change ${field.label}`}
              disabled={clearing}
              onClick={() => {
                setPicking(true);
                setChosen([]);
                setFocusLevel(0);
              }}
            >
              Change
            </button>{' '}
            {clearButton}
          </div>
          <div className="field-hint" role="status">
            {clearing ? 'Clearing the value…' : ''}
          </div>
          {error !== null ? <div className="field-error">{error}</div> : null}
        </>
      ) : (
        <>
          {hasValue ? (
            <p className="field-hint">
              Current value: <CustomValue value={props.current} />
            </p>
          ) : null}
          {Array.from({ length: levels }, (_, level) => (
            <ListLevelCombobox
              // A new parent starts the level below afresh.
              key={`${level}:${chosen
                .slice(0, level)
                .map((item) => item.shortCode)
                .join('-')}`}
              label={levels === 1 ? field.label : `${field.label}, level ${level + 1} of ${levels}`}
              disabled={busy || clearing || level > chosen.length}
              selected={chosen[level] ?? null}
              inputRef={(element) => {
                inputs.current[level] = element;
              }}
              search={(query) =>
                api.searchListItems(props.companyId, props.requestId, field.field, {
                  query: listQuery(query),
                  parentCodes: chosen.slice(0, level).map((item) => item.shortCode),
                  limit: LIST_LIMIT,
                })
              }
              onSelect={(item) => void select(level, item)}
            />
          ))}
          <div className="field-hint" role="status">
            {busy ? 'Saving your choice…' : clearing ? 'Clearing the value…' : ''}
          </div>
          {error !== null ? <div className="field-error">{error}</div> : null}
          <div className="list-field-tools">
            {chosen.length > 0 ? (
              <button type="button" className="button button-small" disabled={busy || clearing} onClick={() => void select(0, null)}>
                Clear
              </button>
            ) : null}
            {hasValue ? (
              <button
                type="button"
                className="button button-small"
                disabled={busy || clearing}
                onClick={() => {
                  setPicking(false);
                  setChosen([]);
                  setError(null);
                }}
              >
                Keep current value
              </button>
            ) : null}
            {hasValue ? clearButton : null}
          </div>
        </>
      )}
    </fieldset>
  );
}

/**
 * One level of a connected list: an ARIA combobox whose options are searched as the user types (an
 * empty box lists every item; `*` is a wildcard). Arrow keys move through the options, Enter chooses,
 * Escape closes the list.
 */
function ListLevelCombobox(props: {
  label: string;
  disabled: boolean;
  selected: ListItem | null;
  inputRef: Ref<HTMLInputElement>;
  search: (query: string) => Promise<ListItem[]>;
  onSelect: (item: ListItem | null) => void;
}) {
  const id = useId();
  const listId = `${id}-list`;
  const [text, setText] = useState(props.selected?.text ?? '');
  const [open, setOpen] = useState(false);
  const [items, setItems] = useState<ListItem[] | null>(null);
  const [active, setActive] = useState(-1);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const generation = useRef(0);
  const timer = useRef<number | null>(null);
  const searchRef = useRef(props.search);
  searchRef.current = props.search;

  useEffect(
    () => () => {
      if (timer.current !== null) window.clearTimeout(timer.current);
    },
    [],
  );

  function run(query: string, delay: number): void {
    if (timer.current !== null) window.clearTimeout(timer.current);
    const mine = ++generation.current;
    setLoading(true);
    setError(null);
    timer.current = window.setTimeout(() => {
      searchRef.current(query).then(
        (found) => {
          if (mine !== generation.current) return;
          setItems(found);
          setActive(found.length > 0 ? 0 : -1);
          setLoading(false);
        },
        (cause: unknown) => {
          if (mine !== generation.current) return;
          setItems([]);
          setActive(-1);
          setError(errorMessage(cause));
          setLoading(false);
        },
      );
    }, delay);
  }

  function openList(): void {
    if (open) return;
    setOpen(true);
    // A chosen item's text lists its siblings; typed text filters.
    run(props.selected !== null && text === props.selected.text ? '' : text.trim(), 0);
  }

  function choose(item: ListItem): void {
    // What the user saw is what they chose: a search still running for the typed text is dropped.
    if (timer.current !== null) window.clearTimeout(timer.current);
    generation.current += 1;
    setLoading(false);
    setText(item.text);
    setOpen(false);
    props.onSelect(item);
  }

  function onKeyDown(event: KeyboardEvent<HTMLInputElement>): void {
    const count = items?.length ?? 0;
    if (event.key === 'ArrowDown') {
      event.preventDefault();
      if (!open) openList();
      else if (count > 0) setActive((index) => (index + 1) % count);
    } else if (event.key === 'ArrowUp') {
      event.preventDefault();
      if (open && count > 0) setActive((index) => (index <= 0 ? count - 1 : index - 1));
    } else if (event.key === 'Enter') {
      if (!open) return;
      event.preventDefault();
      const item = items?.[active];
      if (item !== undefined) choose(item);
    } else if (event.key === 'Escape') {
      if (open) {
        event.preventDefault();
        setOpen(false);
      }
    }
  }

  const activeId = open && active >= 0 && items !== null && items[active] !== undefined ? `${id}-option-${active}` : undefined;
  const status = loading ? 'Searching…' : error !== null ? '' : items !== null && open ? (items.length === 0 ? 'No matching items.' : `${items.length} item${items.length === 1 ? '' : 's'}.`) : '';

  return (
    <div className={`field combobox${error !== null ? ' field-invalid' : ''}`}>
      <label htmlFor={id}>{props.label}</label>
      <input
        id={id}
        ref={props.inputRef}
        type="text"
        role="combobox"
        autoComplete="off"
        spellCheck={false}
        aria-expanded={open}
        aria-controls={listId}
        aria-autocomplete="list"
        aria-activedescendant={activeId}
        aria-describedby={error !== null ? `${id}-error` : `${id}-hint`}
        aria-invalid={error !== null ? true : undefined}
        disabled={props.disabled}
        placeholder={props.disabled ? 'Choose the level above first' : 'Type the start of a name; * matches anything'}
        value={text}
        maxLength={MAX_QUERY_LENGTH - 1}
        onFocus={openList}
        onClick={openList}
        onBlur={() => {
          setOpen(false);
          // Leaving the box keeps the chosen item; what was typed without choosing is dropped.
          setText(props.selected?.text ?? '');
        }}
        onKeyDown={onKeyDown}
        onChange={(event) => {
          const value = event.target.value;
          setText(value);
          setOpen(true);
          if (props.selected !== null) props.onSelect(null);
          run(value.trim(), SEARCH_DELAY_MS);
        }}
      />
      <ul id={listId} role="listbox" aria-label={props.label} className="listbox" hidden={!open || items === null || items.length === 0}>
        {(open ? (items ?? []) : []).map((item, index) => (
          <li
            key={item.code}
            id={`${id}-option-${index}`}
            role="option"
            aria-selected={index === active}
            className={index === active ? 'is-active' : undefined}
            // Keep the focus in the box, so that its blur does not close the list before the click.
            onMouseDown={(event) => event.preventDefault()}
            onClick={() => choose(item)}
          >
            <span>{item.text}</span> <span className="mono small muted">{item.shortCode}</span>
          </li>
        ))}
      </ul>
      <div className="field-hint" id={`${id}-hint`} role="status">
        {status}
      </div>
      <FieldError id={`${id}-error`} message={error} />
    </div>
  );
}
