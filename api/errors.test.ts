// How failures that carry an HTTP status (the router's URIError, body-parser and raw-body,
// http-errors in general) read over HTTP: the client's fault is a 4xx with a code, never a 500.

import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import { ApiError, toApiError } from './errors';

/** What http-errors' `createError(status, error)` does to an error. */
function withStatus<E extends Error>(error: E, status: number, expose?: boolean): E {
  return Object.assign(
    error,
    { status, statusCode: status },
    expose === undefined ? {} : { expose },
  );
}

function thrownBy(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}

const garbage = Buffer.from('definitely not compressed');

describe('toApiError', () => {
  test("a malformed percent-escape in the path (the router's URIError, status 400) is malformed_path", () => {
    const error = withStatus(
      thrownBy(() => decodeURIComponent('%ZZ')),
      400,
    );
    expect(error).toBeInstanceOf(URIError);
    expect(toApiError(error)).toMatchObject({ status: 400, code: 'malformed_path' });
  });

  test.each([
    ['gzip', () => gunzipSync(garbage)],
    ['deflate', () => inflateSync(garbage)],
    ['br', () => brotliDecompressSync(garbage)],
    ['truncated gzip', () => gunzipSync(Buffer.from([0x1f, 0x8b, 0x08, 0x00]))],
  ])('a body that does not decompress (%s, status 400) is malformed_body', (_name, inflate) => {
    const apiError = toApiError(withStatus(thrownBy(inflate), 400, true));
    expect(apiError).toMatchObject({ status: 400, code: 'malformed_body' });
    expect(apiError?.message).not.toMatch(/header check|Decompression failed|end of file/);
  });

  test("body-parser's own mappings stay", () => {
    const typed = (type: string, status: number) =>
      Object.assign(withStatus(new Error(type), status, true), { type });
    expect(toApiError(typed('entity.parse.failed', 400))?.code).toBe('malformed_json');
    expect(toApiError(typed('entity.too.large', 413))?.code).toBe('payload_too_large');
    expect(toApiError(typed('encoding.unsupported', 415))).toMatchObject({
      status: 415,
      code: 'unsupported_encoding',
    });
    expect(toApiError(typed('charset.unsupported', 415))?.code).toBe('unsupported_encoding');
    expect(toApiError(typed('request.size.invalid', 400))?.code).toBe('malformed_body');
    expect(toApiError(typed('request.aborted', 400))?.code).toBe('request_aborted');
  });

  test('any other 4xx error keeps its status with a snake_case code and no internal message', () => {
    const apiError = toApiError(withStatus(new Error('internal detail'), 405, true));
    expect(apiError).toBeInstanceOf(ApiError);
    expect(apiError).toMatchObject({ status: 405, code: 'method_not_allowed' });
    expect(apiError?.message).not.toContain('internal detail');
    expect(toApiError({ statusCode: 431 })).toMatchObject({
      status: 431,
      code: 'request_header_fields_too_large',
    });
  });

  test('server faults stay unmapped (a 500): 5xx statuses, expose false, no status at all', () => {
    expect(toApiError(withStatus(new Error('stream.encoding.set'), 500, false))).toBeUndefined();
    expect(toApiError(withStatus(new Error('secret'), 400, false))).toBeUndefined();
    expect(toApiError(withStatus(new Error('odd'), 600))).toBeUndefined();
    expect(toApiError(Object.assign(new Error('odd'), { status: '400' }))).toBeUndefined();
    expect(toApiError(new Error('boom'))).toBeUndefined();
    expect(toApiError(new URIError('not from the router'))).toBeUndefined();
  });

  test.each(['EPIPE', 'ECONNRESET', 'ECONNREFUSED'])(
    'a dependency connection broken mid-request (%s, as the database driver lets it through) is 503 dependency_unavailable',
    (code) => {
      const error = Object.assign(new Error('This socket has been ended by the other party'), {
        code,
      });
      expect(toApiError(error)).toMatchObject({ status: 503, code: 'dependency_unavailable' });
    },
  );

  test('an error with another code stays a server fault', () => {
    const error = Object.assign(new Error('no such file'), { code: 'ENOENT' });
    expect(toApiError(error)).toBeUndefined();
  });
});
