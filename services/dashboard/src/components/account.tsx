import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { formatTime } from '../format';
import { signIn, signInWithApiKey, signUp, useSession } from '../session';
import type { ApiKeyInfo } from '../types';
import { ErrorMessage, Link, PageHeading } from './common';

/** Sign-in (and sign-up) by email and password; or, where there are no accounts, by a configured API key. */
export function SignInPage(props: { signup: boolean }) {
  const session = useSession();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [key, setKey] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const signup = props.signup && session.signupEnabled;

  async function submit(event: Event, action: () => Promise<void>): Promise<void> {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      // The app moves on from the sign-in page by itself once signed in.
      await action();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  if (session.mode === 'keys') {
    return (
      <div class="narrow">
        <PageHeading>Sign in</PageHeading>
        <form class="card" onSubmit={(event) => void submit(event, async () => signInWithApiKey(key.trim()))}>
          <p>This API has no accounts; use one of its API keys. It is kept in this page’s memory only.</p>
          <div class="field">
            <label for="api-key">API key</label>
            <input
              id="api-key"
              type="password"
              autoComplete="off"
              required
              value={key}
              onInput={(event) => setKey(event.currentTarget.value)}
            />
          </div>
          <ErrorMessage error={error} />
          <button type="submit" disabled={busy}>
            Sign in
          </button>
        </form>
      </div>
    );
  }

  return (
    <div class="narrow">
      <PageHeading>{signup ? 'Create an account' : 'Sign in'}</PageHeading>
      <form
        class="card"
        onSubmit={(event) =>
          void submit(event, async () => (signup ? signUp(email.trim(), password) : signIn(email.trim(), password)))
        }
      >
        <div class="field">
          <label for="email">Email</label>
          <input
            id="email"
            type="email"
            autoComplete="username"
            required
            value={email}
            onInput={(event) => setEmail(event.currentTarget.value)}
          />
        </div>
        <div class="field">
          <label for="password">Password</label>
          <input
            id="password"
            type="password"
            autoComplete={signup ? 'new-password' : 'current-password'}
            required
            minLength={signup ? 8 : undefined}
            aria-describedby={signup ? 'password-hint' : undefined}
            value={password}
            onInput={(event) => setPassword(event.currentTarget.value)}
          />
          {signup ? (
            <small id="password-hint" class="hint">
              A long passphrase is best; very common passwords are refused.
            </small>
          ) : null}
        </div>
        <ErrorMessage error={error} />
        <button type="submit" disabled={busy}>
          {signup ? 'Create account' : 'Sign in'}
        </button>
      </form>
      {session.signupEnabled ? (
        <p>
          {signup ? (
            <>
              Have an account? <Link to="/signin">Sign in</Link>
            </>
          ) : (
            <>
              New here? <Link to="/signup">Create an account</Link>
            </>
          )}
        </p>
      ) : null}
    </div>
  );
}

function PasswordForm() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState(false);
  async function submit(event: Event): Promise<void> {
    event.preventDefault();
    setError(undefined);
    setDone(false);
    try {
      await api('/auth/password', { method: 'POST', json: { current_password: current, new_password: next } });
      setCurrent('');
      setNext('');
      setDone(true);
    } catch (caught) {
      setError(caught);
    }
  }
  return (
    <form class="card" onSubmit={(event) => void submit(event)} aria-labelledby="password-heading">
      <h2 id="password-heading">Change password</h2>
      <div class="field">
        <label for="current-password">Current password</label>
        <input
          id="current-password"
          type="password"
          autoComplete="current-password"
          required
          value={current}
          onInput={(event) => setCurrent(event.currentTarget.value)}
        />
      </div>
      <div class="field">
        <label for="new-password">New password</label>
        <input
          id="new-password"
          type="password"
          autoComplete="new-password"
          required
          value={next}
          onInput={(event) => setNext(event.currentTarget.value)}
        />
      </div>
      <ErrorMessage error={error} />
      <p role="status">{done ? 'Password changed. Other sessions were signed out.' : ''}</p>
      <button type="submit">Change password</button>
    </form>
  );
}

function ApiKeys() {
  const [keys, setKeys] = useState<ApiKeyInfo[]>();
  const [name, setName] = useState('');
  const [created, setCreated] = useState<{ name: string; key: string }>();
  const [error, setError] = useState<unknown>();
  const load = (): void => {
    api<{ keys: ApiKeyInfo[] }>('/auth/keys')
      .then((body) => setKeys(body.keys))
      .catch(setError);
  };
  useEffect(load, []);

  async function create(event: Event): Promise<void> {
    event.preventDefault();
    setError(undefined);
    try {
      const body = await api<{ name: string; key: string }>('/auth/keys', {
        method: 'POST',
        json: { name: name.trim() },
      });
      setCreated(body);
      setName('');
      load();
    } catch (caught) {
      setError(caught);
    }
  }

  async function remove(id: string): Promise<void> {
    setError(undefined);
    try {
      await api(`/auth/keys/${encodeURIComponent(id)}`, { method: 'DELETE' });
      load();
    } catch (caught) {
      setError(caught);
    }
  }

  return (
    <section class="card" aria-labelledby="keys-heading">
      <h2 id="keys-heading">API keys</h2>
      <p class="muted">
        For scripts and the command-line client: send one as <code>Authorization: Bearer &lt;key&gt;</code>.
      </p>
      {created ? (
        <div class="notice" role="status">
          <p>
            Key <strong>{created.name}</strong> created. Copy it now: it is not shown again.
          </p>
          <label for="new-key" class="visually-hidden">
            The new key
          </label>
          <input
            id="new-key"
            type="text"
            readOnly
            value={created.key}
            onFocus={(event) => event.currentTarget.select()}
          />
        </div>
      ) : null}
      {keys && keys.length > 0 ? (
        <ul class="keys">
          {keys.map((key) => (
            <li key={key.id}>
              <strong>{key.name}</strong> <span class="muted small">created {formatTime(key.created_at)}</span>{' '}
              <button type="button" class="secondary small" onClick={() => void remove(key.id)}>
                Delete<span class="visually-hidden"> key {key.name}</span>
              </button>
            </li>
          ))}
        </ul>
      ) : keys ? (
        <p>No API keys yet.</p>
      ) : null}
      <form onSubmit={(event) => void create(event)} class="inline-form">
        <div class="field">
          <label for="key-name">New key’s name</label>
          <input
            id="key-name"
            type="text"
            required
            maxLength={100}
            value={name}
            onInput={(event) => setName(event.currentTarget.value)}
          />
        </div>
        <button type="submit">Create key</button>
      </form>
      <ErrorMessage error={error} />
    </section>
  );
}

export function AccountPage() {
  const session = useSession();
  if (session.mode !== 'accounts' || !session.user) {
    return (
      <>
        <PageHeading>Account</PageHeading>
        <p>
          {session.mode === 'off'
            ? 'Authentication is switched off on this API: there are no accounts.'
            : 'Signed in with an API key.'}
        </p>
      </>
    );
  }
  return (
    <>
      <PageHeading>Account</PageHeading>
      <p>
        Signed in as <strong>{session.user.email}</strong>
        {session.user.admin ? ' (administrator)' : ''}.
      </p>
      <PasswordForm />
      <ApiKeys />
    </>
  );
}
