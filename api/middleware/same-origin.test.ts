import { crossSiteReason } from './same-origin';

const OWN = 'http://127.0.0.1:3000';

describe('crossSiteReason', () => {
  test.each([
    ['no Origin, no Sec-Fetch-Site (curl, the CLI)', {}],
    ['our own origin', { origin: OWN }],
    ['our own origin, a page of ours', { origin: OWN, secFetchSite: 'same-origin' }],
    ['typed into the address bar', { secFetchSite: 'none' }],
  ])('lets through %s', (_name, headers) => {
    expect(crossSiteReason(headers, OWN)).toBeUndefined();
  });

  test('compares with our origin in canonical form (host case, default port)', () => {
    expect(crossSiteReason({ origin: 'https://api.example' }, 'https://API.example:443')).toBe(
      undefined,
    );
    expect(crossSiteReason({ origin: 'http://api.example' }, 'https://api.example')).toMatch(
      /not this API's origin/,
    );
  });

  test.each([
    ['another site', { origin: 'https://evil.example' }],
    ['another port of our host (the Web UI)', { origin: 'http://127.0.0.1:8233' }],
    ['https for our http', { origin: 'https://127.0.0.1:3000' }],
    ['an opaque origin', { origin: 'null' }],
    ['not an origin', { origin: 'garbage' }],
    ['our origin with a path', { origin: `${OWN}/codec` }],
    ['our origin upper-cased', { origin: OWN.toUpperCase() }],
    ['a same-site page', { secFetchSite: 'same-site' }],
    ['a cross-site page', { secFetchSite: 'cross-site' }],
    ['a cross-site page claiming our origin', { origin: OWN, secFetchSite: 'cross-site' }],
    ['an unknown Sec-Fetch-Site', { secFetchSite: 'whatever' }],
  ])('refuses %s', (_name, headers) => {
    expect(crossSiteReason(headers, OWN)).toEqual(expect.any(String));
  });

  test('refuses any Origin when our own is unknown (no Host header)', () => {
    expect(crossSiteReason({ origin: OWN }, undefined)).toEqual(expect.any(String));
    expect(crossSiteReason({}, undefined)).toBeUndefined();
  });
});
