import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The API package's version, from services/api/package.json (two levels up from src/openapi or dist/openapi). */
export function apiVersion(): string {
  try {
    const manifest: unknown = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'));
    if (
      typeof manifest === 'object' &&
      manifest !== null &&
      'version' in manifest &&
      typeof manifest.version === 'string'
    ) {
      return manifest.version;
    }
  } catch {
    // Running from an unusual layout: the document still works without a version.
  }
  return '0.0.0';
}
