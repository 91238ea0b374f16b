import { AppError } from '@mediaflow/domain';
import { addressRange, checkWebhookUrl, parseWebhookUrl, pinnedLookup, refusalOf, validateAllowedCidrs } from './ssrf';
import type { Resolver, WebhookAddressPolicy } from './ssrf';

const STRICT: WebhookAddressPolicy = { allowPrivate: false, allowedCidrs: [] };

describe('addressRange / refusalOf: which addresses a webhook may reach', () => {
  it.each([
    // address, range, allowed by the strict policy
    ['93.184.215.14', 'unicast', true],
    ['8.8.8.8', 'unicast', true],
    ['2606:4700:4700::1111', 'unicast', true],
    ['127.0.0.1', 'loopback', false],
    ['127.255.255.254', 'loopback', false],
    ['::1', 'loopback', false],
    ['10.0.0.1', 'private', false],
    ['172.16.5.4', 'private', false],
    ['172.31.255.255', 'private', false],
    ['192.168.1.1', 'private', false],
    ['169.254.169.254', 'linkLocal', false],
    ['fe80::1', 'linkLocal', false],
    ['fe80::1%eth0', 'linkLocal', false],
    ['100.64.0.1', 'carrierGradeNat', false],
    ['100.127.255.254', 'carrierGradeNat', false],
    ['224.0.0.1', 'multicast', false],
    ['ff02::1', 'multicast', false],
    ['0.0.0.0', 'unspecified', false],
    ['::', 'unspecified', false],
    ['255.255.255.255', 'broadcast', false],
    ['fd12:3456:789a::1', 'uniqueLocal', false],
    ['fc00::1', 'uniqueLocal', false],
    // IPv4-mapped IPv6 is the IPv4 address it carries.
    ['::ffff:127.0.0.1', 'loopback', false],
    ['::ffff:169.254.169.254', 'linkLocal', false],
    ['::ffff:10.1.2.3', 'private', false],
    ['::ffff:8.8.8.8', 'unicast', true],
    // IPv4 embedded in other IPv6 forms is not trusted either.
    ['64:ff9b::7f00:1', 'rfc6052', false],
    ['2002:7f00:1::', '6to4', false],
    ['2001::1', 'teredo', false],
    ['240.0.0.1', 'reserved', false],
    ['not-an-address', 'invalid', false],
  ])('%s is %s (allowed: %s)', (address, range, allowed) => {
    expect(addressRange(address)).toBe(range);
    const refusal = refusalOf(STRICT, address);
    if (allowed) expect(refusal).toBeUndefined();
    else expect(refusal).toBe(`${address} is a ${range} address`);
  });

  it('allows everything with WEBHOOK_ALLOW_PRIVATE, and listed CIDRs only with WEBHOOK_ALLOWED_CIDRS', () => {
    expect(refusalOf({ allowPrivate: true, allowedCidrs: [] }, '127.0.0.1')).toBeUndefined();
    const listed: WebhookAddressPolicy = { allowPrivate: false, allowedCidrs: ['10.1.0.0/16', 'fd00::/8'] };
    expect(refusalOf(listed, '10.1.200.3')).toBeUndefined();
    expect(refusalOf(listed, '::ffff:10.1.0.9')).toBeUndefined();
    expect(refusalOf(listed, 'fd12::1')).toBeUndefined();
    expect(refusalOf(listed, '10.2.0.1')).toBe('10.2.0.1 is a private address');
    expect(refusalOf(listed, '127.0.0.1')).toBe('127.0.0.1 is a loopback address');
  });

  it('refuses a malformed CIDR at start-up', () => {
    expect(() => validateAllowedCidrs(['10.0.0.0/8', 'fd00::/8'])).not.toThrow();
    expect(() => validateAllowedCidrs(['10.0.0.0/33'])).toThrow(/WEBHOOK_ALLOWED_CIDRS: "10.0.0.0\/33"/);
  });
});

describe('parseWebhookUrl', () => {
  it.each([
    ['ftp://example.com/x', /scheme ftp: is not http: or https:/],
    ['file:///etc/passwd', /scheme file:/],
    ['https://user:pw@example.com/', /credentials/],
    ['/relative/path', /not an absolute URL/],
    [`https://example.com/${'a'.repeat(2100)}`, /longer than 2048/],
  ])('refuses %s', (url, message) => {
    expect(() => parseWebhookUrl(url)).toThrow(message);
    try {
      parseWebhookUrl(url);
    } catch (error) {
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).code).toBe('WEBHOOK_URL_REFUSED');
      expect((error as AppError).status).toBe(400);
    }
  });
});

describe('checkWebhookUrl', () => {
  const dnsOf =
    (table: Record<string, string[]>): Resolver =>
    async (host) => {
      const addresses = table[host];
      if (!addresses) throw new Error(`getaddrinfo ENOTFOUND ${host}`);
      return Promise.resolve(addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
    };
  const resolve = dnsOf({
    'hooks.example.com': ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
    'metadata.attacker.test': ['169.254.169.254'],
    'mixed.attacker.test': ['93.184.215.14', '10.0.0.5'],
  });

  it('accepts a host whose every address is public', async () => {
    await expect(checkWebhookUrl('https://hooks.example.com/a?b=1', STRICT, resolve)).resolves.toBe(
      'https://hooks.example.com/a?b=1',
    );
  });

  it.each([
    ['http://127.0.0.1:8080/', /127\.0\.0\.1 is a loopback address/],
    ['http://[::1]/', /::1 is a loopback address/],
    ['http://metadata.attacker.test/latest/meta-data', /169\.254\.169\.254 is a linkLocal address/],
    ['https://mixed.attacker.test/', /10\.0\.0\.5 is a private address/],
    ['https://nowhere.invalid/', /does not resolve/],
  ])('refuses %s naming why and how to allow it', async (url, message) => {
    const refused = checkWebhookUrl(url, STRICT, resolve);
    await expect(refused).rejects.toMatchObject({ code: 'WEBHOOK_URL_REFUSED' });
    await expect(checkWebhookUrl(url, STRICT, resolve)).rejects.toThrow(message);
  });

  it('names the operator settings in the refusal', async () => {
    await expect(checkWebhookUrl('http://127.0.0.1/', STRICT, resolve)).rejects.toThrow(
      /WEBHOOK_ALLOW_PRIVATE=true or WEBHOOK_ALLOWED_CIDRS/,
    );
  });
});

describe('pinnedLookup', () => {
  it('hands the socket exactly the addresses it checked, and refuses a rebound answer', async () => {
    let answers = [['93.184.215.14'], ['127.0.0.1']];
    const resolve: Resolver = async () => {
      const next = answers[0] ?? [];
      answers = answers.slice(1);
      return Promise.resolve(next.map((address) => ({ address, family: 4 })));
    };
    const lookup = pinnedLookup(STRICT, resolve);
    const first = await new Promise<unknown>((done) => {
      lookup('rebind.test', { all: true }, (error, address) => done(error ?? address));
    });
    expect(first).toEqual([{ address: '93.184.215.14', family: 4 }]);
    const single = await new Promise<unknown>((done) => {
      lookup('rebind.test', {}, (error, address) => done(error ?? address));
    });
    expect(single).toBeInstanceOf(AppError);
    expect((single as AppError).message).toMatch(/127\.0\.0\.1 is a loopback address/);
  });
});
