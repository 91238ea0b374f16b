/**
 * `npm run docs:gen`: rewrites the README's generated tables (configuration,
 * errors) from the config schema and the error table. Run from the repository root.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { regenerateReadme } from './reference-docs';

const root = process.cwd();
const readmePath = path.join(root, 'README.md');
const readme = readFileSync(readmePath, 'utf8');
const updated = regenerateReadme(readme, {
  config: readFileSync(path.join(root, 'packages/domain/src/config.ts'), 'utf8'),
  errors: readFileSync(path.join(root, 'packages/domain/src/errors.ts'), 'utf8'),
});
if (updated === readme) {
  process.stdout.write('README.md is up to date\n');
} else {
  writeFileSync(readmePath, updated);
  process.stdout.write('README.md: configuration and error tables regenerated\n');
}
