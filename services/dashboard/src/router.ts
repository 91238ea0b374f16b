import { useEffect, useState } from 'preact/hooks';

/** The dashboard's base path; client-side routes are under it (the API answers them with the page). */
export const BASE = '/app';

const listeners = new Set<() => void>();

function current(): { path: string; query: URLSearchParams } {
  const path = window.location.pathname.startsWith(BASE) ? window.location.pathname.slice(BASE.length) : '/';
  return { path: path === '' ? '/' : path, query: new URLSearchParams(window.location.search) };
}

/** Goes to a dashboard path (`/jobs/<id>`), adding a history entry unless `replace`. */
export function navigate(to: string, replace = false): void {
  const url = `${BASE}${to}`;
  if (replace) window.history.replaceState(null, '', url);
  else window.history.pushState(null, '', url);
  for (const listener of listeners) listener();
}

window.addEventListener('popstate', () => {
  for (const listener of listeners) listener();
});

/** The current path under /app and its query, re-rendering on navigation. */
export function useRoute(): { path: string; query: URLSearchParams } {
  const [route, setRoute] = useState(current);
  useEffect(() => {
    const listener = (): void => setRoute(current());
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  }, []);
  return route;
}

/** A click on an in-app link navigates without reloading; modified clicks keep the browser's behaviour. */
export function onLinkClick(event: MouseEvent, to: string): void {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey)
    return;
  event.preventDefault();
  navigate(to);
}
