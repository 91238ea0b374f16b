import type { z } from 'zod';
import { configSchema } from './config';
import { CONFIG_DOCS } from './config-docs';
import { ERROR_DOCS } from './error-docs';
import { ErrorCodes } from './errors';

/**
 * The README's configuration and error tables, generated from the config
 * schema and the error table so that they cannot drift from the code:
 * `npm run docs:gen` rewrites them between marker comments, and a unit test
 * fails when the README differs from what this module generates.
 *
 * Every setting of the schema and every error code is listed, in source
 * order; the words come from CONFIG_DOCS / ERROR_DOCS, or else from the `//`
 * comment right above the entry in its source file, so settings and codes
 * others add appear with their comment.
 */

export interface ReferenceSources {
  /** The text of packages/domain/src/config.ts. */
  config: string;
  /** The text of packages/domain/src/errors.ts. */
  errors: string;
}

/** `NAME -> the // comment lines right above "NAME:"`, joined; section markers (`// ---`) are not comments on a setting. */
export function commentsAboveKeys(source: string): Map<string, string> {
  const comments = new Map<string, string>();
  let pending: string[] = [];
  for (const line of source.split('\n')) {
    const trimmed = line.trim();
    if (trimmed.startsWith('//')) {
      if (trimmed.startsWith('// ---')) pending = [];
      else pending.push(trimmed.replace(/^\/\/\s?/, ''));
      continue;
    }
    const key = /^([A-Z][A-Z0-9_]*)\s*:/.exec(trimmed);
    if (key && !comments.has(key[1]) && pending.length > 0) comments.set(key[1], pending.join(' '));
    pending = [];
  }
  return comments;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\s+/g, ' ').trim();
}

function schemaDefault(field: z.ZodType): string {
  const parsed = field.safeParse(undefined);
  if (!parsed.success || parsed.data === undefined) return '—';
  const value: unknown = parsed.data;
  if (Array.isArray(value)) return value.length === 0 ? '—' : `\`${value.join(',')}\``;
  if (typeof value === 'string') return value === '' ? '(empty)' : `\`${value}\``;
  if (typeof value === 'number' || typeof value === 'boolean') return `\`${String(value)}\``;
  return `\`${JSON.stringify(value)}\``;
}

/** The settings the schema reads, in its order: the object inside its transform. */
function settingFields(): [string, z.ZodType][] {
  return Object.entries(configSchema.in.shape);
}

export function configTableMarkdown(sources: ReferenceSources): string {
  const comments = commentsAboveKeys(sources.config);
  const rows = settingFields().map(([name, field]) => {
    const doc = CONFIG_DOCS[name];
    const description = doc?.description || comments.get(name) || '';
    return `| \`${name}\` | ${cell(doc?.default ?? schemaDefault(field))} | ${cell(description)} |`;
  });
  return ['| variable | default | meaning |', '| --- | --- | --- |', ...rows].join('\n');
}

export function errorTableMarkdown(sources: ReferenceSources): string {
  const comments = commentsAboveKeys(sources.errors);
  const codes = Object.entries(ErrorCodes).map(([code, spec], index) => ({ code, ...spec, index }));
  codes.sort((a, b) => a.status - b.status || a.index - b.index);
  const rows = codes.map(({ code, status, retryable }) => {
    const description = ERROR_DOCS[code] ?? comments.get(code) ?? '';
    return `| ${status} | \`${code}\` | ${retryable ? 'yes' : 'no'} | ${cell(description)} |`;
  });
  return ['| HTTP status | code | retryable | when |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

/** Replaces what lies between `<!-- name:begin … -->` and `<!-- name:end -->`; throws when the markers are missing. */
export function replaceBetweenMarkers(text: string, name: string, content: string): string {
  const begin = new RegExp(`<!-- ${name}:begin[^>]*-->\\n`);
  const end = `<!-- ${name}:end -->`;
  const beginMatch = begin.exec(text);
  const endIndex = text.indexOf(end);
  if (!beginMatch || endIndex < beginMatch.index) {
    throw new Error(`README.md has no <!-- ${name}:begin --> … <!-- ${name}:end --> markers`);
  }
  const head = text.slice(0, beginMatch.index + beginMatch[0].length);
  return `${head}\n${content}\n\n${text.slice(endIndex)}`;
}

/** The README with both tables regenerated. */
export function regenerateReadme(readme: string, sources: ReferenceSources): string {
  const withConfig = replaceBetweenMarkers(readme, 'config', configTableMarkdown(sources));
  return replaceBetweenMarkers(withConfig, 'errors', errorTableMarkdown(sources));
}
