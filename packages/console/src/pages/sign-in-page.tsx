// Sign In: Login ID and Password.
import { useEffect, useRef, useState } from 'react';
import { ApiError, api, errorMessage, type Session } from '../api.ts';
import { CardForm, ErrorBanner, Notice, TextField } from '../components.tsx';
import { useSubmission } from '../forms.ts';

/** The sign-in form; calls `onSignedIn` with the new session. */
export function SignInPage({ notice, onSignedIn }: { notice: string | null; onSignedIn: (session: Session) => void }) {
  const [loginId, setLoginId] = useState('');
  const [password, setPassword] = useState('');
  const submission = useSubmission();
  const loginRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    document.title = 'Sign In - patchbay';
    loginRef.current?.focus();
  }, []);

  async function submit(): Promise<void> {
    if (loginId.trim() === '' || password === '') {
      submission.setError('Enter your Login ID and password.');
      return;
    }
    await submission.submit(async () => onSignedIn(await api.signIn(loginId.trim(), password)), {
      message: (cause) =>
        cause instanceof ApiError && cause.status === 401 ? 'The Login ID or password is not correct. Check them and try again.' : errorMessage(cause),
    });
  }

  return (
    <section className="signin">
      <h1>Sign In</h1>
      <Notice message={notice} tone="info" />
      <CardForm onSubmit={() => submit()}>
        <ErrorBanner message={submission.error} />
        <TextField label="Login ID" value={loginId} onChange={setLoginId} autoComplete="username" inputRef={loginRef} required />
        <TextField label="Password" type="password" value={password} onChange={setPassword} autoComplete="current-password" required />
        <div className="actions">
          <button type="submit" className="button button-primary" disabled={submission.busy}>
            {submission.busy ? 'Signing In…' : 'Sign In'}
          </button>
        </div>
      </CardForm>
    </section>
  );
}
