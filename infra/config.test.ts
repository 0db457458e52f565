import { ConfigError, loadConfig } from './config';

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
      { name: 'checkout', role: 'app', token: '0123456789abcdef' },
      { name: 'ops', role: 'admin', token: 'fedcba9876543210' },
    ]);
    expect(Object.isFrozen(config.temporal)).toBe(true);
  });

  test.each([
    ['MONGODB_URI', { MONGODB_URI: 'postgres://x' }],
    ['TEMPORAL_ADDRESS', { TEMPORAL_ADDRESS: 'no-port' }],
    ['API_TOKENS', { API_TOKENS: 'checkout:superuser:0123456789abcdef' }],
    ['API_TOKENS', { API_TOKENS: 'checkout:app:short' }],
    ['PORT', { PORT: 'eighty' }],
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
});
