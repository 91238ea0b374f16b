import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MediaflowClient, contentTypeFor, filenameFromDisposition } from './api-client';
import { ApiError, NetworkError } from './exit-codes';

describe('filenameFromDisposition', () => {
  it.each([
    ['attachment; filename="clip_compress.mp4"', 'clip_compress.mp4'],
    ['attachment; filename="x.mp4"; filename*=UTF-8\'\'%C3%A9t%C3%A9.mp4', 'été.mp4'],
    ['attachment; filename=plain.mp3', 'plain.mp3'],
    ['attachment; filename="../../etc/passwd"', 'passwd'],
    ['attachment; filename="..\\\\evil.exe"', 'evil.exe'],
    ['attachment; filename=".."', undefined],
    ['inline', undefined],
    [null, undefined],
  ])('%j → %j', (header, name) => {
    expect(filenameFromDisposition(header)).toBe(name);
  });
});

describe('contentTypeFor', () => {
  it('names common media types and falls back to octet-stream', () => {
    expect(contentTypeFor('/a/B.MP4')).toBe('video/mp4');
    expect(contentTypeFor('tone.m4a')).toBe('audio/mp4');
    expect(contentTypeFor('notes.txt')).toBe('application/octet-stream');
  });
});

describe('MediaflowClient against a stub server', () => {
  let dir: string;
  let baseUrl: string;
  let close: () => Promise<void>;
  const seen: { method?: string; url?: string; auth?: string; body: string; type?: string }[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'mediaflow-cli-'));
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        seen.push({
          method: req.method,
          url: req.url,
          auth: req.headers.authorization,
          body,
          type: req.headers['content-type'],
        });
        res.setHeader('Content-Type', 'application/json');
        if (req.url?.startsWith('/uploads/')) {
          res.statusCode = 201;
          res.end(
            JSON.stringify({
              source: 's3://in/uploads/x/a.mp4',
              size_bytes: body.length,
              content_type: 'video/mp4',
              sha256: '0',
            }),
          );
        } else if (req.url === '/status/missing') {
          res.statusCode = 404;
          res.end(JSON.stringify({ error: { code: 'JOB_NOT_FOUND', message: 'no such job' } }));
        } else {
          res.statusCode = 502;
          res.setHeader('Content-Type', 'text/html');
          res.end('<html>bad gateway</html>');
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    close = async () => new Promise((resolve) => server.close(() => resolve()));
  });

  afterAll(async () => {
    await close();
    await rm(dir, { recursive: true, force: true });
  });

  it('streams an upload with the API key and reports its progress', async () => {
    const file = path.join(dir, 'my clip.mp4');
    await writeFile(file, Buffer.alloc(3 * 1024 * 1024, 7));
    const progress: number[] = [];
    const client = new MediaflowClient({ baseUrl, apiKey: 'k' });
    const result = await client.upload(file, (sent) => progress.push(sent));
    expect(result.size_bytes).toBe(3 * 1024 * 1024);
    expect(seen.at(-1)).toMatchObject({
      method: 'PUT',
      url: '/uploads/my%20clip.mp4',
      auth: 'Bearer k',
      type: 'video/mp4',
    });
    expect(progress[0]).toBe(0);
    expect(progress.at(-1)).toBe(3 * 1024 * 1024);
  });

  it('turns error bodies into ApiError with the API code, and other pages into HTTP_<status>', async () => {
    const client = new MediaflowClient({ baseUrl });
    await expect(client.status('missing')).rejects.toMatchObject({ status: 404, code: 'JOB_NOT_FOUND', exitCode: 3 });
    const error = await client.status('other').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 502, code: 'HTTP_502', exitCode: 4 });
    expect(seen.at(-1)?.auth).toBeUndefined();
  });

  it('reports a refused connection as NetworkError (exit 4)', async () => {
    // A port that was just free (fetch refuses well-known ports such as 9 outright).
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    const client = new MediaflowClient({ baseUrl: `http://127.0.0.1:${port}` });
    const error = await client.status('x').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NetworkError);
    expect(error).toMatchObject({ exitCode: 4, code: 'ECONNREFUSED' });
  });
});
