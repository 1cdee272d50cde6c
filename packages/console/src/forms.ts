// The state behind the console's forms and buttons: a submission (busy, errors, notice), an editor (the
// item being modified and its draft) and a confirmation (a question, then the action).
import { useCallback, useRef, useState } from 'react';
import { ApiError, errorMessage } from './api.ts';

/** Messages shown at their fields, by field name. */
export type FieldErrors = Record<string, string>;

/** How a submission shows what went wrong, and what it shows at first. */
export interface SubmissionOptions {
  /**
   * The fields an API error is shown at when it names one: their names, or a function giving the field
   * for the name the server sent (undefined for none). Any other error goes to the banner.
   */
  fields?: readonly string[] | ((apiField: string) => string | undefined);
  /** The banner shown with the field errors the check before submitting finds; none by default. */
  checkBanner?: string;
  /** The banner shown with a field error the server answered; none by default. */
  fieldBanner?: string;
  /** The notice shown at first, e.g. the message another page left (`useFlash`). */
  notice?: string | null;
}

/** How one `submit` runs. */
export interface SubmitOptions {
  /** The errors of the check made before submitting: shown at their fields, any of them stops the submission. */
  check?: FieldErrors;
  /** What is submitted (`pending` while it runs), e.g. the row whose button was clicked; 'submit' by default. */
  what?: string;
  /** The banner for a failure; the error's own message by default. */
  message?: (cause: unknown) => string;
}

/** What `useSubmission` returns. */
export interface Submission {
  fieldErrors: FieldErrors;
  /** The banner's message (an error). */
  error: string | null;
  /** The outcome of the last submission, for a `Notice`. */
  notice: string | null;
  /** What is being submitted (`SubmitOptions.what`), or null. */
  pending: string | null;
  /** Whether anything is being submitted. */
  busy: boolean;
  setFieldErrors: (errors: FieldErrors) => void;
  /** Drops the errors of these fields (the user changed them). */
  clearFieldErrors: (names: readonly string[]) => void;
  setError: (message: string | null) => void;
  setNotice: (message: string | null) => void;
  /** Drops the field errors and the banner (the notice stays). */
  clearErrors: () => void;
  /** Shows a thrown error: at its field when the server named one of `fields`, else in the banner. */
  fail: (cause: unknown, message?: (cause: unknown) => string) => void;
  /**
   * Submits: clears the banner and the notice, shows the check's field errors (stopping if there are
   * any), then runs `run` while `busy`; what it throws is shown by `fail`. `run` sets the notice itself.
   */
  submit: (run: () => Promise<unknown>, options?: SubmitOptions) => Promise<void>;
}

function fieldFor(fields: SubmissionOptions['fields'], apiField: string): string | undefined {
  if (fields === undefined) return undefined;
  if (typeof fields === 'function') return fields(apiField);
  return fields.includes(apiField) ? apiField : undefined;
}

/** The state of a form or an action button: clear, check, busy, try, show the outcome or the error. */
export function useSubmission(options: SubmissionOptions = {}): Submission {
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(options.notice ?? null);
  const [pending, setPending] = useState<string | null>(null);
  // The functions below stay the same across renders (pages call them from effects); they read the latest options.
  const optionsRef = useRef(options);
  optionsRef.current = options;

  const clearFieldErrors = useCallback((names: readonly string[]) => {
    setFieldErrors((current) => {
      if (!names.some((name) => current[name] !== undefined)) return current;
      const next = { ...current };
      for (const name of names) delete next[name];
      return next;
    });
  }, []);

  const clearErrors = useCallback(() => {
    setFieldErrors({});
    setError(null);
  }, []);

  const fail = useCallback((cause: unknown, message: (cause: unknown) => string = errorMessage) => {
    const field = cause instanceof ApiError && cause.field !== undefined ? fieldFor(optionsRef.current.fields, cause.field) : undefined;
    if (cause instanceof ApiError && field !== undefined) {
      setFieldErrors({ [field]: cause.message });
      setError(optionsRef.current.fieldBanner ?? null);
    } else {
      setError(message(cause));
    }
  }, []);

  const submit = useCallback(
    async (run: () => Promise<unknown>, submitOptions: SubmitOptions = {}) => {
      const check = submitOptions.check ?? {};
      const invalid = Object.keys(check).length > 0;
      setNotice(null);
      setFieldErrors(check);
      setError(invalid ? (optionsRef.current.checkBanner ?? null) : null);
      if (invalid) return;
      setPending(submitOptions.what ?? 'submit');
      try {
        await run();
      } catch (cause) {
        fail(cause, submitOptions.message);
      } finally {
        setPending(null);
      }
    },
    [fail],
  );

  return {
    fieldErrors,
    error,
    notice,
    pending,
    busy: pending !== null,
    setFieldErrors,
    clearFieldErrors,
    setError,
    setNotice,
    clearErrors,
    fail,
    submit,
  };
}

/** What `useEditor` returns: the submission, with the item being modified and its draft. */
export interface Editor<T, D> extends Submission {
  /** The item being modified, or null while a new one is entered. */
  editing: T | null;
  /** The values as typed. */
  draft: D;
  /** Changes some of the draft's values. */
  update: (patch: Partial<D>) => void;
  /** Starts modifying `item` (null: entering a new one) with its values, dropping the errors. */
  start: (item: T | null) => void;
}

/** A create/modify form: `draftOf` gives the values of an item (of a new one for null). */
export function useEditor<T, D>(draftOf: (item: T | null) => D, options?: SubmissionOptions): Editor<T, D> {
  const submission = useSubmission(options);
  const [editing, setEditing] = useState<T | null>(null);
  const [draft, setDraft] = useState<D>(() => draftOf(null));
  const draftOfRef = useRef(draftOf);
  draftOfRef.current = draftOf;
  const { clearErrors } = submission;

  const update = useCallback((patch: Partial<D>) => setDraft((current) => ({ ...current, ...patch })), []);
  const start = useCallback(
    (item: T | null) => {
      setEditing(item);
      setDraft(draftOfRef.current(item));
      clearErrors();
    },
    [clearErrors],
  );

  return { ...submission, editing, draft, update, start };
}

/** What `useConfirmation` returns; `ConfirmDialog` shows it. */
export interface Confirmation<T> {
  /** The question while it is asked, with what it is about. */
  asked: { target: T } | null;
  busy: boolean;
  /** Why the action failed (shown in the dialog, which stays open). */
  error: string | null;
  /** Asks whether to act on `target`. */
  ask: (target: T) => void;
  cancel: () => void;
  /** Acts on the target; the question closes once the action succeeds. */
  confirm: () => Promise<void>;
}

/** An action that asks first (Delete, Disconnect, Rotate...): `act` runs once the user confirms. */
export function useConfirmation<T = void>(act: (target: T) => Promise<void>): Confirmation<T> {
  const [asked, setAsked] = useState<{ target: T } | null>(null);
  const { busy, error, setError, submit } = useSubmission();
  const actRef = useRef(act);
  actRef.current = act;

  const ask = useCallback(
    (target: T) => {
      setError(null);
      setAsked({ target });
    },
    [setError],
  );
  const cancel = useCallback(() => setAsked(null), []);
  async function confirm(): Promise<void> {
    if (asked === null) return;
    const { target } = asked;
    await submit(async () => {
      await actRef.current(target);
      setAsked(null);
    });
  }

  return { asked, busy, error, ask, cancel, confirm };
}
