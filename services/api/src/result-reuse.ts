import { createHash } from 'node:crypto';
import { AppError } from '@mediaflow/domain';
import type { OperationSpec } from '@mediaflow/domain';
import { operationFor } from '@mediaflow/operations';
import type { ObjectInfo } from '@mediaflow/storage';
import { SHA256_METADATA_KEY } from '@mediaflow/storage';

/**
 * Result reuse: a submission whose result is already known completes at once,
 * pointing at the earlier job's objects instead of encoding again.
 *
 * Two jobs have the same result when their reuse keys match. The key is a
 * SHA-256 over: the scope (the API key id under RESULT_REUSE_SCOPE=key, so one
 * tenant never learns what another uploaded, or "*" under `global`), the
 * source's content hash (the upload's `sha256` metadata; no hash, no reuse),
 * the canonical operation with its defaults applied (method, output format,
 * params with keys sorted), the operation's recipe version, and the FFmpeg
 * version the API found at start-up (workers are expected to run the same
 * build; a new build gives new keys, so nothing made by the old one is reused).
 */

export interface ReuseSettings {
  /** RESULT_REUSE_SCOPE. */
  scope: 'key' | 'global' | 'off';
  /** `ffmpeg -version` at start-up; undefined when it could not be run, which turns reuse off. */
  ffmpegVersion?: string;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;
const KEY_FORMAT_VERSION = 1;

/**
 * Takes the `reuse` flag out of a POST /process body's params before any
 * operation schema sees them, so every operation accepts it.
 *
 * @returns The body without `params.reuse` (params dropped when nothing else was in them), and whether reuse is allowed.
 * @throws AppError VALIDATION_FAILED when `params.reuse` is not a boolean.
 */
export function takeReuseOption(body: unknown): { body: unknown; reuse: boolean } {
  if (!isRecord(body) || !isRecord(body.params) || !('reuse' in body.params)) return { body, reuse: true };
  const { reuse, ...params } = body.params;
  if (typeof reuse !== 'boolean') {
    throw new AppError('VALIDATION_FAILED', 'params.reuse must be true or false', {
      details: [{ path: 'params.reuse', message: 'expected a boolean' }],
    });
  }
  return { body: { ...body, params }, reuse };
}

/** The source's SHA-256 from its object metadata, when the upload recorded a well-formed one. */
export function sourceSha256(info: Pick<ObjectInfo, 'metadata'>): string | undefined {
  const value = info.metadata?.[SHA256_METADATA_KEY];
  return value !== undefined && SHA256_HEX.test(value) ? value : undefined;
}

/**
 * The reuse key of a job, or undefined when its result must never be reused
 * (scope `off`, no FFmpeg version, no content hash).
 */
export function reuseKeyOf(
  settings: ReuseSettings,
  input: { owner: string | undefined; sha256: string | undefined; operation: OperationSpec },
): string | undefined {
  if (settings.scope === 'off' || settings.ffmpegVersion === undefined || input.sha256 === undefined) return undefined;
  const scope = settings.scope === 'key' ? `key:${input.owner ?? ''}` : '*';
  const material = canonicalJson({
    v: KEY_FORMAT_VERSION,
    scope,
    sha256: input.sha256,
    method_name: input.operation.method_name,
    output_format: input.operation.output_format,
    params: input.operation.params,
    recipe: operationFor(input.operation.method_name).recipeVersion,
    ffmpeg: settings.ffmpegVersion,
  });
  return createHash('sha256').update(material, 'utf8').digest('hex');
}

/** JSON with object keys sorted at every depth, so equal values always give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isRecord(value)) {
    const entries = Object.keys(value)
      .filter((key) => value[key] !== undefined)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
