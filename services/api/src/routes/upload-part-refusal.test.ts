import type { AddressInfo } from 'node:net';
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import { AppError, isAppError } from '@mediaflow/domain';
import type { MultipartUploads } from '../uploads/multipart-uploads';
import { uploadPartRoutes } from './uploads';

/**
 * A part PUT refused before its body is read (a bad token) must reach the
 * client as its 403, not as a connection reset while it is still sending:
 * the route reads and discards the rest of the body after answering.
 */
describe('a refused part upload', () => {
  it('answers 403 to clients still sending a large body, and keeps serving', async () => {
    const refusing = {
      receivePart: async () => {
        await Promise.resolve();
        throw new AppError('UPLOAD_URL_INVALID', 'the part URL is not valid');
      },
    } as unknown as MultipartUploads;
    const app = express();
    app.use(uploadPartRoutes(refusing));
    app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
      res.status(isAppError(error) ? 403 : 500).json({ error: { code: isAppError(error) ? error.code : 'INTERNAL' } });
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const body = Buffer.alloc(16 * 1024 * 1024, 7);
      const answers = await Promise.all(
        Array.from({ length: 4 }, async () => {
          const response = await fetch(`http://127.0.0.1:${port}/uploads/u1/parts/1?token=forged`, {
            method: 'PUT',
            body,
          });
          return { status: response.status, body: (await response.json()) as { error: { code: string } } };
        }),
      );
      for (const answer of answers) {
        expect(answer.status).toBe(403);
        expect(answer.body.error.code).toBe('UPLOAD_URL_INVALID');
      }
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
