import { AppError } from '@mediaflow/domain';

const UPLOADABLE_TYPE = /^(?:(?:video|audio)\/[a-z0-9!#$&^_.+-]{1,64}|application\/octet-stream)$/;

/**
 * The media type an upload declares, lower-cased and without parameters.
 *
 * @throws AppError UNSUPPORTED_MEDIA_TYPE (415) unless it is `video/*`, `audio/*` or `application/octet-stream`.
 */
export function uploadableContentType(raw: string): string {
  const type = (raw.split(';')[0] ?? '').trim().toLowerCase();
  if (!UPLOADABLE_TYPE.test(type)) {
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'content_type must be video/*, audio/* or application/octet-stream');
  }
  return type;
}

export function isUploadableContentType(raw: string): boolean {
  return UPLOADABLE_TYPE.test(raw.toLowerCase());
}
