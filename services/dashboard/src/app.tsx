import { useEffect, useState } from 'preact/hooks';
import { AccountPage, SignInPage } from './components/account';
import { ErrorMessage, Link } from './components/common';
import { JobPage } from './components/job-page';
import { JobsPage } from './components/jobs-list';
import { NewJobPage } from './components/new-job';
import { navigate, useRoute } from './router';
import { signOut, startSession, useSession } from './session';

const PUBLIC_PATHS = new Set(['/signin', '/signup']);

export function App() {
  const session = useSession();
  const route = useRoute();
  const [startError, setStartError] = useState<unknown>();

  useEffect(() => {
    startSession().catch(setStartError);
  }, []);

  // Pages need a session; sign-in pages are for those without one.
  useEffect(() => {
    if (session.mode === 'loading') return;
    if (!session.signedIn && !PUBLIC_PATHS.has(route.path)) {
      // Back to the page asked for (a shared job link, say) once signed in.
      const asked = `${route.path}${route.query.size > 0 ? `?${route.query.toString()}` : ''}`;
      navigate(asked === '/' ? '/signin' : `/signin?next=${encodeURIComponent(asked)}`, true);
    }
    if (session.signedIn && PUBLIC_PATHS.has(route.path)) {
      const next = route.query.get('next') ?? '/';
      // Only a path of this app: never an open redirect to another site.
      navigate(next.startsWith('/') && !next.startsWith('//') ? next : '/', true);
    }
  }, [session.mode, session.signedIn, route.path, route.query]);

  const jobMatch = /^\/jobs\/([^/]+)$/.exec(route.path);
  let page;
  if (startError) page = <ErrorMessage error={startError} />;
  else if (session.mode === 'loading') page = <p aria-busy="true">Loading…</p>;
  else if (!session.signedIn) page = <SignInPage signup={route.path === '/signup'} />;
  else if (route.path === '/new') page = <NewJobPage />;
  else if (route.path === '/account') page = <AccountPage />;
  else if (jobMatch) page = <JobPage key={jobMatch[1]} jobId={decodeURIComponent(jobMatch[1])} />;
  else page = <JobsPage query={route.query} />;

  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="site-header">
        <Link to="/" class="brand">
          mediaflow
        </Link>
        {session.signedIn ? (
          <nav aria-label="Main">
            <Link to="/" current={route.path === '/' || jobMatch !== null}>
              Jobs
            </Link>
            <Link to="/new" current={route.path === '/new'}>
              New job
            </Link>
            {session.mode !== 'off' ? (
              <Link to="/account" current={route.path === '/account'}>
                Account
              </Link>
            ) : null}
            {session.mode !== 'off' ? (
              <button
                type="button"
                class="link-button"
                onClick={() => {
                  // To the sign-in page first: signing in again (maybe as someone else) starts from the jobs.
                  navigate('/signin', true);
                  void signOut();
                }}
              >
                Sign out
              </button>
            ) : null}
          </nav>
        ) : null}
        {session.user ? <span class="muted small who">{session.user.email}</span> : null}
      </header>
      <main id="main">{page}</main>
    </>
  );
}
