import { readFileSync } from 'node:fs';
import path from 'node:path';
import { configSchema } from './config';
import { ErrorCodes } from './errors';
import { commentsAboveKeys, configTableMarkdown, errorTableMarkdown, regenerateReadme } from './reference-docs';

const root = path.resolve(__dirname, '../../..');
const read = (relative: string): string => readFileSync(path.join(root, relative), 'utf8');
const sources = { config: read('packages/domain/src/config.ts'), errors: read('packages/domain/src/errors.ts') };

describe('README reference tables', () => {
  it('are what the config schema and the error table generate (otherwise: run npm run docs:gen)', () => {
    const readme = read('README.md');
    const stale = regenerateReadme(readme, sources) !== readme;
    expect(stale ? 'README.md is stale: run npm run docs:gen' : 'up to date').toBe('up to date');
  });

  it('list every setting and every error code with its status', () => {
    const config = configTableMarkdown(sources);
    for (const name of Object.keys(configSchema.in.shape)) expect(config).toContain(`| \`${name}\` |`);
    for (const name of ['API_KEYS', 'API_KEYS_FILE', 'AUTH_DISABLED'])
      expect(config).toMatch(new RegExp(`\\| \`${name}\` \\| [^|]+ \\| \\S`));
    const errors = errorTableMarkdown(sources);
    for (const [code, { status }] of Object.entries(ErrorCodes))
      expect(errors).toContain(`| ${status} | \`${code}\` |`);
  });

  it('takes a setting without written docs from the comment above it', () => {
    const comments = commentsAboveKeys(
      ['// --- begin x ---', '// Says what it is', '// over two lines.', 'NEW_SETTING: int(1),', 'OTHER: 2,'].join(
        '\n',
      ),
    );
    expect(comments.get('NEW_SETTING')).toBe('Says what it is over two lines.');
    expect(comments.has('OTHER')).toBe(false);
  });
});
