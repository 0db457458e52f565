import fc from 'fast-check';
import {
  addressRefusal,
  checkWebhookUrl,
  classifyAddress,
  type AddressKind,
  type WebhookTargetPolicy,
} from './webhook-targets';

const STRICT: WebhookTargetPolicy = { allowPrivate: false };
const DEV: WebhookTargetPolicy = { allowPrivate: true };

describe('classifyAddress', () => {
  test.each<[string, AddressKind]>([
    ['169.254.169.254', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['::1', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['100.127.255.255', 'private'],
    ['198.18.0.1', 'private'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['169.254.0.1', 'link_local'],
    ['169.254.169.253', 'link_local'],
    ['fe80::1', 'link_local'],
    ['fe80::1%eth0', 'link_local'],
    ['0.0.0.0', 'special'],
    ['0.1.2.3', 'special'],
    ['::', 'special'],
    ['224.0.0.1', 'special'],
    ['239.255.255.250', 'special'],
    ['255.255.255.255', 'special'],
    ['240.0.0.1', 'special'],
    ['ff02::1', 'special'],
    ['::7f00:1', 'special'],
    // IPv4 inside IPv6: what the IPv4 address is.
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['::ffff:a9fe:a9fe', 'metadata'],
    ['::ffff:0:10.0.0.1', 'private'],
    ['64:ff9b::169.254.169.254', 'metadata'],
    ['64:ff9b::a00:1', 'private'],
    ['::ffff:8.8.8.8', 'public'],
    // Public.
    ['8.8.8.8', 'public'],
    ['1.1.1.1', 'public'],
    ['172.15.255.255', 'public'],
    ['172.32.0.0', 'public'],
    ['100.63.255.255', 'public'],
    ['100.128.0.0', 'public'],
    ['169.253.255.255', 'public'],
    ['223.255.255.255', 'public'],
    ['2606:4700:4700::1111', 'public'],
    ['2001:4860:4860::8888', 'public'],
  ])('%s is %s', (ip, kind) => {
    expect(classifyAddress(ip)).toBe(kind);
  });

  test.each(['', 'localhost', '127.1', '0x7f000001', '256.0.0.1', '[::1]', '1.2.3.4:80'])(
    '%j is not an address',
    (text) => {
      expect(() => classifyAddress(text)).toThrow(TypeError);
    },
  );
});

describe('addressRefusal', () => {
  test.each<[string, string | undefined, string | undefined]>([
    // ip, refused without private webhooks because…, refused with them because…
    ['8.8.8.8', undefined, undefined],
    ['127.0.0.1', 'a loopback address', undefined],
    ['::1', 'a loopback address', undefined],
    ['10.1.2.3', 'a private address', undefined],
    ['fd12::1', 'a private address', undefined],
    ['fe80::1', 'a link-local address', undefined],
    ['169.254.169.254', 'a cloud metadata address', 'a cloud metadata address'],
    ['::ffff:169.254.169.254', 'a cloud metadata address', 'a cloud metadata address'],
    ['fd00:ec2::254', 'a cloud metadata address', 'a cloud metadata address'],
    ['0.0.0.0', 'not an address webhooks', 'not an address webhooks'],
    ['224.0.0.1', 'not an address webhooks', 'not an address webhooks'],
  ])('%s', (ip, strict, dev) => {
    const [withoutPrivate, withPrivate] = [addressRefusal(ip, STRICT), addressRefusal(ip, DEV)];
    if (strict === undefined) expect(withoutPrivate).toBeUndefined();
    else expect(withoutPrivate).toContain(strict);
    if (dev === undefined) expect(withPrivate).toBeUndefined();
    else expect(withPrivate).toContain(dev);
  });

  test('says when allowing private webhooks would change the answer', () => {
    expect(addressRefusal('127.0.0.1', STRICT)).toBe(
      '127.0.0.1 is a loopback address (this server does not allow private webhooks)',
    );
    expect(addressRefusal('169.254.169.254', DEV)).toBe(
      '169.254.169.254 is a cloud metadata address',
    );
  });
});

describe('checkWebhookUrl', () => {
  test.each<[string, string]>([
    ['ftp://example.com/hook', 'must be an http or https URL'],
    ['file:///etc/passwd', 'must be an http or https URL'],
    ['gopher://example.com:70/', 'must be an http or https URL'],
    ['https://user:pass@example.com/hook', 'must not carry a user name or password'],
    ['https://user@example.com/hook', 'must not carry a user name or password'],
    ['not a url', 'not a URL'],
    ['http://169.254.169.254/latest/meta-data/', 'a cloud metadata address'],
    ['http://169.254.169.254./latest', 'a cloud metadata address'],
    ['http://0xa9fea9fe/', 'a cloud metadata address'],
    ['http://2852039166/', 'a cloud metadata address'],
    ['http://0251.0376.0251.0376/', 'a cloud metadata address'],
    ['http://[::ffff:169.254.169.254]/', 'a cloud metadata address'],
    ['http://[fd00:ec2::254]/', 'a cloud metadata address'],
    ['http://metadata.google.internal/computeMetadata/v1/', 'a cloud metadata address'],
    ['http://METADATA.google.internal./', 'a cloud metadata address'],
    ['http://127.0.0.1:3000/hook', 'a loopback address'],
    ['http://127.1/', 'a loopback address'],
    ['http://0x7f000001/', 'a loopback address'],
    ['http://[::1]:22/', 'a loopback address'],
    ['http://[::ffff:7f00:1]/', 'a loopback address'],
    ['http://localhost:3000/', 'a loopback address'],
    ['http://hooks.localhost/', 'a loopback address'],
    ['http://10.0.0.5/hook', 'a private address'],
    ['http://[fe80::1]/', 'a link-local address'],
    ['http://0.0.0.0:8080/', 'not an address webhooks'],
  ])('%s is refused: %s', (url, reason) => {
    const check = checkWebhookUrl(url, STRICT);
    expect(check.allowed).toBe(false);
    expect(check.allowed === false && check.reason).toContain(reason);
  });

  test.each<[string, { host: string; address?: string }]>([
    ['https://store.example/hooks', { host: 'store.example' }],
    ['https://Store.Example.:8443/h?x=1', { host: 'store.example' }],
    ['http://8.8.8.8/hook', { host: '8.8.8.8', address: '8.8.8.8' }],
    ['http://[2606:4700::1]/', { host: '2606:4700::1', address: '2606:4700::1' }],
  ])('%s is allowed', (url, target) => {
    expect(checkWebhookUrl(url, STRICT)).toEqual({ allowed: true, ...target });
  });

  test('private webhooks allowed: loopback, private and link-local pass; metadata and the rest do not', () => {
    for (const url of [
      'http://127.0.0.1:3000/hook',
      'http://localhost:3000/',
      'http://[::1]:22/',
      'http://10.0.0.5/',
      'http://[fe80::1]/',
    ])
      expect(checkWebhookUrl(url, DEV)).toMatchObject({ allowed: true });
    for (const url of [
      'http://169.254.169.254/',
      'http://[::ffff:a9fe:a9fe]/',
      'http://metadata.google.internal/',
      'http://0.0.0.0/',
      'https://user:pass@127.0.0.1/',
    ])
      expect(checkWebhookUrl(url, DEV)).toMatchObject({ allowed: false });
  });
});

describe('properties', () => {
  const policyArb = fc.constantFrom(STRICT, DEV);
  const octets = (ip: string) => ip.split('.').map(Number) as [number, number, number, number];
  const hex = (n: number) => n.toString(16).padStart(2, '0');
  const embeddings = (ip: string) => {
    const [a, b, c, d] = octets(ip);
    return [
      `::ffff:${ip}`,
      `::ffff:${hex(a)}${hex(b)}:${hex(c)}${hex(d)}`,
      `0:0:0:0:0:ffff:${ip}`,
      `::ffff:0:${ip}`,
      `64:ff9b::${ip}`,
    ];
  };

  test('an IPv4 address inside IPv6 (mapped, translated, NAT64) is what the IPv4 address is', () => {
    fc.assert(
      fc.property(fc.ipV4(), (ip) => {
        const kind = classifyAddress(ip);
        for (const embedded of embeddings(ip)) expect(classifyAddress(embedded)).toBe(kind);
      }),
      { numRuns: 500 },
    );
  });

  test('any spelling of an IPv4 host in a URL gets the verdict of the address itself', () => {
    fc.assert(
      fc.property(fc.ipV4(), policyArb, (ip, policy) => {
        const [a, b, c, d] = octets(ip);
        const integer = ((a << 24) >>> 0) + (b << 16) + (c << 8) + d;
        const allowed = addressRefusal(ip, policy) === undefined;
        for (const host of [
          ip,
          String(integer),
          `0x${integer.toString(16)}`,
          octets(ip)
            .map((o) => `0${o.toString(8)}`)
            .join('.'),
          `[::ffff:${ip}]`,
          `${ip}.`,
        ])
          expect(checkWebhookUrl(`http://${host}:8080/hook`, policy).allowed).toBe(allowed);
      }),
      { numRuns: 300 },
    );
  });

  test('the metadata addresses are refused in every spelling, private webhooks or not', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('169.254.169.254', '100.100.100.200'),
        policyArb,
        (ip, policy) => {
          for (const address of [ip, ...embeddings(ip)])
            expect(addressRefusal(address, policy)).toContain('metadata');
        },
      ),
    );
  });

  /** Outside every special range: 1–223 less 0, 10, 100, 127, 169, 172, 192 and 198 first. */
  const publicIPv4Arb = fc
    .tuple(
      fc
        .integer({ min: 1, max: 223 })
        .filter((a) => ![10, 100, 127, 169, 172, 192, 198].includes(a)),
      fc.nat(255),
      fc.nat(255),
      fc.nat(255),
    )
    .map((parts) => parts.join('.'));
  /** Global unicast IPv6 (2000::/3). */
  const publicIPv6Arb = fc
    .tuple(
      fc.integer({ min: 0x2000, max: 0x3fff }),
      fc.array(fc.nat(0xffff), { minLength: 7, maxLength: 7 }),
    )
    .map(([first, rest]) => [first, ...rest].map((n) => n.toString(16)).join(':'));

  test('random public addresses are allowed, as hosts of http and https URLs, private webhooks or not', () => {
    fc.assert(
      fc.property(
        fc.oneof(publicIPv4Arb, publicIPv6Arb),
        fc.constantFrom('http', 'https'),
        policyArb,
        (ip, scheme, policy) => {
          expect(classifyAddress(ip)).toBe('public');
          expect(addressRefusal(ip, policy)).toBeUndefined();
          const host = ip.includes(':') ? `[${ip}]` : ip;
          expect(checkWebhookUrl(`${scheme}://${host}/hooks`, policy)).toMatchObject({
            allowed: true,
          });
        },
      ),
      { numRuns: 500 },
    );
  });

  test('a URL with a user name or password, or another scheme, is refused whatever its host', () => {
    const hostArb = fc.oneof(fc.domain(), publicIPv4Arb);
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/),
        fc.stringMatching(/^[a-z0-9]{0,8}$/),
        hostArb,
        policyArb,
        (user, password, host, policy) => {
          const userinfo = password ? `${user}:${password}` : user;
          expect(checkWebhookUrl(`https://${userinfo}@${host}/`, policy)).toEqual({
            allowed: false,
            reason: 'must not carry a user name or password',
          });
        },
      ),
    );
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z][a-z0-9+.-]{0,10}$/).filter((s) => s !== 'http' && s !== 'https'),
        hostArb,
        policyArb,
        (scheme, host, policy) => {
          expect(checkWebhookUrl(`${scheme}://${host}/`, policy)).toMatchObject({
            allowed: false,
          });
        },
      ),
    );
  });
});
