import { createHash, randomBytes } from 'node:crypto';
import express from 'express';
import fc from 'fast-check';
import { ConfigError, loadConfig } from './config';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const key32 = () => randomBytes(32).toString('base64');

const valid = {
  MONGODB_URI: 'mongodb://127.0.0.1:27017/orderflow',
  TEMPORAL_ADDRESS: '127.0.0.1:7233',
  API_TOKENS: 'checkout:app:0123456789abcdef,ops:admin:fedcba9876543210',
};

describe('loadConfig', () => {
  test('reads a valid environment into a frozen object with defaults', () => {
    const config = loadConfig(valid);
    expect(config.temporal).toMatchObject({
      address: '127.0.0.1:7233',
      namespace: 'default',
      taskQueue: 'orders',
    });
    expect(config.apiClients).toEqual([
      { name: 'checkout', role: 'app', tokenSha256: sha256('0123456789abcdef') },
      { name: 'ops', role: 'admin', tokenSha256: sha256('fedcba9876543210') },
    ]);
    expect(Object.isFrozen(config.temporal)).toBe(true);
  });

  test.each([
    ['MONGODB_URI', { MONGODB_URI: 'postgres://x' }],
    ['TEMPORAL_ADDRESS', { TEMPORAL_ADDRESS: 'no-port' }],
    ['API_TOKENS', { API_TOKENS: 'checkout:superuser:0123456789abcdef' }],
    ['API_TOKENS', { API_TOKENS: 'checkout:app:short' }],
    ['API_TOKENS', { API_TOKENS: 'checkout:app:sha256:abc123' }],
    ['API_TOKENS', { API_TOKENS: `checkout:app:md5:${sha256('x')}` }],
    ['API_TOKENS', { API_TOKENS: 'a:app:0123456789abcdef,b:admin:0123456789abcdef' }],
    [
      'PAYLOAD_ENCRYPTION_KEYS',
      { PAYLOAD_ENCRYPTION_KEYS: `k1:${randomBytes(16).toString('base64')}` },
    ],
    ['PAYLOAD_ENCRYPTION_KEYS', { PAYLOAD_ENCRYPTION_KEYS: 'k1:not base64!' }],
    ['PAYLOAD_ENCRYPTION_KEYS', { PAYLOAD_ENCRYPTION_KEYS: key32() }],
    ['PAYLOAD_ENCRYPTION_KEYS', { PAYLOAD_ENCRYPTION_KEYS: `k1:${key32()},k1:${key32()}` }],
    ['SECRET_ENCRYPTION_KEYS', { SECRET_ENCRYPTION_KEYS: `bad id:${key32()}` }],
    ['CODEC_CORS_ORIGINS', { CODEC_CORS_ORIGINS: 'http://ui.example.com/path' }],
    ['PORT', { PORT: 'eighty' }],
    ['TRUST_PROXY', { TRUST_PROXY: 'true' }],
    ['TRUST_PROXY', { TRUST_PROXY: '10.0.0.0/8,proxy.internal' }],
    ['TRUST_PROXY', { TRUST_PROXY: '0.0.0.0/0' }],
    ['TRUST_PROXY', { TRUST_PROXY: '::0.0.0.0' }],
    ['TRUST_PROXY', { TRUST_PROXY: '10.0.0.1,' }],
    ['TRUST_PROXY', { TRUST_PROXY: '-1' }],
    ['ALLOW_PRIVATE_WEBHOOKS', { ALLOW_PRIVATE_WEBHOOKS: 'yes' }],
  ])('names the bad variable %s', (name, override) => {
    expect(() => loadConfig({ ...valid, ...override })).toThrow(ConfigError);
    expect(() => loadConfig({ ...valid, ...override })).toThrow(name);
  });

  test('a missing required variable is named', () => {
    const { MONGODB_URI: _omit, ...rest } = valid;
    expect(() => loadConfig(rest)).toThrow(/MONGODB_URI/);
  });

  test('Temporal Cloud: an API key turns on TLS', () => {
    expect(loadConfig({ ...valid, TEMPORAL_API_KEY: 'key' }).temporal).toMatchObject({
      apiKey: 'key',
      tls: {},
    });
  });

  test('API tokens: configuration keeps only their SHA-256, given as a token or as sha256:<hex>', () => {
    const digest = sha256('support-desk-token-1');
    const config = loadConfig({
      ...valid,
      API_TOKENS: `checkout:app:0123456789abcdef,desk:support:sha256:${digest.toUpperCase()}`,
    });
    expect(config.apiClients).toEqual([
      { name: 'checkout', role: 'app', tokenSha256: sha256('0123456789abcdef') },
      { name: 'desk', role: 'support', tokenSha256: digest },
    ]);
    expect(JSON.stringify(config)).not.toContain('0123456789abcdef');
  });

  test('encryption keys: the first encrypts; secrets use the payload keys unless set apart', () => {
    const [a, b, c] = [key32(), key32(), key32()];
    const shared = loadConfig({ ...valid, PAYLOAD_ENCRYPTION_KEYS: ` k2:${a} , k1:${b} ` });
    expect(shared.temporal.payloadEncryptionKeys).toEqual([
      { id: 'k2', key: a },
      { id: 'k1', key: b },
    ]);
    expect(shared.secretEncryptionKeys).toEqual(shared.temporal.payloadEncryptionKeys);

    const apart = loadConfig({
      ...valid,
      PAYLOAD_ENCRYPTION_KEYS: `p1:${a}`,
      SECRET_ENCRYPTION_KEYS: `s1:${c}`,
    });
    expect(apart.secretEncryptionKeys).toEqual([{ id: 's1', key: c }]);

    // Unset or empty (as compose passes an unset variable): nothing is encrypted.
    for (const unset of [{}, { PAYLOAD_ENCRYPTION_KEYS: '', SECRET_ENCRYPTION_KEYS: '' }]) {
      const plain = loadConfig({ ...valid, ...unset });
      expect(plain.temporal.payloadEncryptionKeys).toBeUndefined();
      expect(plain.secretEncryptionKeys).toBeUndefined();
    }
  });

  test('production refuses to start without both kinds of encryption keys', () => {
    const production = { ...valid, NODE_ENV: 'production' };
    expect(() => loadConfig(production)).toThrow(
      /PAYLOAD_ENCRYPTION_KEYS: required in production\n {2}SECRET_ENCRYPTION_KEYS: required/,
    );
    expect(() => loadConfig({ ...production, PAYLOAD_ENCRYPTION_KEYS: `p1:${key32()}` })).toThrow(
      /SECRET_ENCRYPTION_KEYS: required in production/,
    );
    const both = loadConfig({
      ...production,
      PAYLOAD_ENCRYPTION_KEYS: `p1:${key32()}`,
      SECRET_ENCRYPTION_KEYS: `s1:${key32()}`,
    });
    expect(both.secretEncryptionKeys).toHaveLength(1);
  });

  test("the codec endpoint's CORS origins default to the embedded Web UI's", () => {
    expect(loadConfig(valid).codec.corsOrigins).toEqual([
      'http://127.0.0.1:8233',
      'http://localhost:8233',
    ]);
    expect(
      loadConfig({
        ...valid,
        CODEC_CORS_ORIGINS: 'https://temporal.example.com, http://localhost:8080',
      }).codec.corsOrigins,
    ).toEqual(['https://temporal.example.com', 'http://localhost:8080']);
  });

  test("app events' retry backoff: 10 s doubling to an hour by default, fractions allowed, the maximum never below the first", () => {
    expect(loadConfig(valid).appEvents).toEqual({
      retryInitialMs: 10_000,
      retryMaximumMs: 3_600_000,
    });
    expect(
      loadConfig({
        ...valid,
        APP_EVENT_RETRY_INITIAL_SECONDS: '0.5',
        APP_EVENT_RETRY_MAX_SECONDS: '30',
      }).appEvents,
    ).toEqual({ retryInitialMs: 500, retryMaximumMs: 30_000 });
    expect(
      loadConfig({
        ...valid,
        APP_EVENT_RETRY_INITIAL_SECONDS: '60',
        APP_EVENT_RETRY_MAX_SECONDS: '5',
      }).appEvents,
    ).toEqual({ retryInitialMs: 60_000, retryMaximumMs: 60_000 });
    expect(() => loadConfig({ ...valid, APP_EVENT_RETRY_INITIAL_SECONDS: '0' })).toThrow(
      /APP_EVENT_RETRY_INITIAL_SECONDS/,
    );
    expect(() => loadConfig({ ...valid, APP_EVENT_RETRY_MAX_SECONDS: 'soon' })).toThrow(
      /APP_EVENT_RETRY_MAX_SECONDS/,
    );
  });

  test('private webhooks are refused unless ALLOW_PRIVATE_WEBHOOKS is true', () => {
    expect(loadConfig(valid).webhooks).toEqual({ allowPrivate: false });
    expect(loadConfig({ ...valid, ALLOW_PRIVATE_WEBHOOKS: 'false' }).webhooks).toEqual({
      allowPrivate: false,
    });
    expect(loadConfig({ ...valid, ALLOW_PRIVATE_WEBHOOKS: 'true' }).webhooks).toEqual({
      allowPrivate: true,
    });
  });

  test('worker metrics and tracing: off unless WORKER_METRICS_PORT / OTEL_EXPORTER_OTLP_ENDPOINT are set', () => {
    const unset = loadConfig(valid);
    expect([unset.worker.metricsPort, unset.telemetry.otlpEndpoint]).toEqual([
      undefined,
      undefined,
    ]);
    const empty = loadConfig({
      ...valid,
      WORKER_METRICS_PORT: '',
      OTEL_EXPORTER_OTLP_ENDPOINT: '',
    });
    expect([empty.worker.metricsPort, empty.telemetry.otlpEndpoint]).toEqual([
      undefined,
      undefined,
    ]);
    const set = loadConfig({
      ...valid,
      WORKER_METRICS_PORT: '9465',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
    });
    expect([set.worker.metricsPort, set.telemetry.otlpEndpoint]).toEqual([
      9465,
      'http://collector:4318',
    ]);
    expect(() => loadConfig({ ...valid, WORKER_METRICS_PORT: '70000' })).toThrow(
      /WORKER_METRICS_PORT/,
    );
    expect(() => loadConfig({ ...valid, OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(
      /OTEL_EXPORTER_OTLP_ENDPOINT/,
    );
  });

  test('TRUST_PROXY: nobody by default; a hop count, or addresses, CIDRs and named ranges', () => {
    expect(loadConfig(valid).http.trustProxy).toBe(false);
    expect(loadConfig({ ...valid, TRUST_PROXY: 'false' }).http.trustProxy).toBe(false);
    expect(loadConfig({ ...valid, TRUST_PROXY: '1' }).http.trustProxy).toBe(1);
    expect(loadConfig({ ...valid, TRUST_PROXY: 'loopback' }).http.trustProxy).toEqual(['loopback']);
    expect(
      loadConfig({ ...valid, TRUST_PROXY: ' 10.0.0.0/8, fd00::/8 ,192.0.2.7,uniquelocal' }).http
        .trustProxy,
    ).toEqual(['10.0.0.0/8', 'fd00::/8', '192.0.2.7', 'uniquelocal']);
  });
});

describe('TRUST_PROXY properties', () => {
  const prefixed = (address: fc.Arbitrary<string>, max: number) =>
    fc.tuple(address, fc.integer({ min: 1, max })).map(([a, bits]) => `${a}/${bits}`);
  // IPv6 with an embedded IPv4 address after `::` is valid for Node but not for Express.
  const ipV6 = fc.oneof(
    fc.ipV6().filter((address) => !address.includes('.')),
    fc.ipV4().map((v4) => `::ffff:${v4}`),
  );
  const goodEntry = fc.oneof(
    fc.ipV4(),
    ipV6,
    prefixed(fc.ipV4(), 32),
    prefixed(ipV6, 128),
    fc.constantFrom('loopback', 'linklocal', 'uniquelocal'),
  );
  const badEntry = fc.oneof(
    fc.constantFrom(
      'true',
      '*',
      'localhost',
      '0.0.0.0/0',
      '::/0',
      '::1.2.3.4',
      '10.0.0.1/8/8',
      '127.1',
    ),
    fc.tuple(fc.ipV4(), fc.integer({ min: 33, max: 999 })).map(([a, bits]) => `${a}/${bits}`),
    fc.tuple(ipV6, fc.integer({ min: 129, max: 999 })).map(([a, bits]) => `${a}/${bits}`),
    fc
      .stringMatching(/^[a-z][a-z.-]{0,20}$/)
      .filter((s) => !/^(loopback|linklocal|uniquelocal)$/.test(s)),
  );
  test('every list the configuration accepts, Express accepts as it is, trusting its addresses', () => {
    fc.assert(
      fc.property(fc.array(goodEntry, { minLength: 1, maxLength: 6 }), (entries) => {
        const { trustProxy } = loadConfig({ ...valid, TRUST_PROXY: entries.join(', ') }).http;
        expect(trustProxy).toEqual(entries);
        const app = express();
        app.set('trust proxy', trustProxy);
        const trusts = app.get('trust proxy fn') as (address: string, hop: number) => boolean;
        for (const address of entries.filter((e) => !e.includes('/') && /[.:]/.test(e)))
          expect(trusts(address, 0)).toBe(true);
      }),
    );
  });

  test('a list with any entry Express would refuse or misread is refused, naming the variable', () => {
    fc.assert(
      fc.property(
        fc.array(goodEntry, { maxLength: 3 }),
        badEntry,
        fc.array(goodEntry, { maxLength: 3 }),
        (before, bad, after) => {
          const value = [...before, bad, ...after].join(',');
          expect(() => loadConfig({ ...valid, TRUST_PROXY: value })).toThrow(/TRUST_PROXY/);
        },
      ),
    );
  });
});
