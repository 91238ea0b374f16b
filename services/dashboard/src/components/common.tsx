import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { ApiError } from '../api';
import { BASE, onLinkClick } from '../router';

/** An in-app link: a real href (open in a new tab works), navigation without a reload on a plain click. */
export function Link(props: { to: string; children: ComponentChildren; class?: string; current?: boolean }) {
  return (
    <a
      href={`${BASE}${props.to}`}
      class={props.class}
      aria-current={props.current ? 'page' : undefined}
      onClick={(event) => onLinkClick(event, props.to)}
    >
      {props.children}
    </a>
  );
}

/**
 * A progress bar people and assistive technology can read: role progressbar
 * with aria-valuenow, and the percentage as text. The fill's width is set
 * through the CSSOM (the CSP forbids inline style attributes, not this).
 */
export function ProgressBar(props: { value: number; label: string; status?: string; detail?: string }) {
  const fill = useRef<HTMLDivElement>(null);
  const value = Math.max(0, Math.min(100, Math.round(props.value * 10) / 10));
  useEffect(() => {
    if (fill.current) fill.current.style.width = `${value}%`;
  }, [value]);
  return (
    <div class="progress-wrap">
      <div
        class={`progress ${props.status ? `progress-${props.status}` : ''}`}
        role="progressbar"
        aria-label={props.label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={value}
        aria-valuetext={`${value} %${props.detail ? `, ${props.detail}` : ''}`}
      >
        <div class="progress-fill" ref={fill} />
      </div>
      <span class="progress-text">{value} %</span>
    </div>
  );
}

export function StatusBadge(props: { status: string }) {
  return <span class={`badge badge-${props.status}`}>{props.status}</span>;
}

/** An error as a person reads it: the message, and the API's code for looking it up. */
export function ErrorMessage(props: { error: unknown }) {
  if (props.error === undefined || props.error === null) return null;
  const error = props.error;
  const code = error instanceof ApiError ? error.code : undefined;
  const message = error instanceof Error ? error.message : typeof error === 'string' ? error : 'Something went wrong.';
  return (
    <p class="error" role="alert">
      {message}
      {code ? <code class="error-code">{code}</code> : null}
    </p>
  );
}

/** Moves focus to a page's heading when the page changes, so screen readers announce it. */
export function PageHeading(props: { children: ComponentChildren }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    heading.current?.focus();
  }, []);
  return (
    <h1 tabIndex={-1} ref={heading}>
      {props.children}
    </h1>
  );
}
