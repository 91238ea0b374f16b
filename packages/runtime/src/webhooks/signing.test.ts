import { Webhook } from 'standardwebhooks';
import { generateWebhookSecret, signWebhook } from './signing';

describe('signWebhook', () => {
  it('signs so the standardwebhooks verifier accepts the body with the same id and timestamp', () => {
    const secret = generateWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const body = JSON.stringify({ type: 'job.completed', data: { job_id: 'j1', status: 'completed' } });
    const headers = signWebhook(secret, 'msg_0123', new Date(), body);
    expect(headers['webhook-id']).toBe('msg_0123');
    expect(headers['webhook-timestamp']).toMatch(/^\d{10}$/);
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Webhook(secret).verify(body, { ...headers })).toEqual(JSON.parse(body));
  });

  it('fails verification for another body, another secret, another id or a stale timestamp', () => {
    const secret = generateWebhookSecret();
    const body = '{"type":"job.failed"}';
    const headers = { ...signWebhook(secret, 'msg_1', new Date(), body) };
    expect(() => new Webhook(secret).verify('{"type":"job.completed"}', headers)).toThrow();
    expect(() => new Webhook(generateWebhookSecret()).verify(body, headers)).toThrow();
    expect(() => new Webhook(secret).verify(body, { ...headers, 'webhook-id': 'msg_2' })).toThrow();
    const stale = { ...signWebhook(secret, 'msg_1', new Date(Date.now() - 10 * 60_000), body) };
    expect(() => new Webhook(secret).verify(body, stale)).toThrow(/too old/i);
  });

  it('signs whole seconds: the timestamp header is what the signature covers', () => {
    const secret = generateWebhookSecret();
    const at = new Date('2026-01-01T00:00:00.999Z');
    const headers = signWebhook(secret, 'msg_x', at, 'body');
    expect(headers['webhook-timestamp']).toBe(String(Date.parse('2026-01-01T00:00:00Z') / 1000));
    expect(headers['webhook-signature']).toBe(
      new Webhook(secret).sign('msg_x', new Date('2026-01-01T00:00:00Z'), 'body'),
    );
  });
});
