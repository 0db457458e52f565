import { ServiceError } from '@temporalio/client';
import { isDroppedWithWorkflowTask, sentAgainWhileDropped } from './order-updates';

/** A gRPC error as @grpc/grpc-js makes it. */
const grpcError = (code: number, details: string) =>
  Object.assign(new Error(`${code} ${details}`), { code, details, metadata: {} });

const dropped = () =>
  new ServiceError('Workflow Update failed', {
    cause: grpcError(
      9,
      'Unable to perform workflow execution update due to unexpected workflow task failure.',
    ),
  });

describe('an Update the server dropped with its workflow task', () => {
  it.each([
    ['the client’s ServiceError around it', dropped(), true],
    [
      'the bare gRPC error',
      grpcError(
        9,
        'Unable to perform workflow execution update due to unexpected workflow task failure.',
      ),
      true,
    ],
    [
      'another precondition',
      new ServiceError('x', { cause: grpcError(9, 'namespace is not active') }),
      false,
    ],
    [
      'the server unavailable',
      new ServiceError('x', { cause: grpcError(14, 'unexpected workflow task failure') }),
      false,
    ],
    ['a plain error', new Error('unexpected workflow task failure'), false],
  ])('%s → %s', (_story, error, expected) => {
    expect(isDroppedWithWorkflowTask(error)).toBe(expected);
  });

  it('is sent again until it goes through, pausing longer each time', async () => {
    const pauses: number[] = [];
    let calls = 0;
    const answer = await sentAgainWhileDropped(
      async () => {
        calls += 1;
        if (calls < 3) throw dropped();
        return 'applied';
      },
      async (ms) => pauses.push(ms),
    );
    expect(answer).toBe('applied');
    expect(calls).toBe(3);
    expect(pauses).toEqual([100, 200]);
  });

  it('gives up after four attempts, and never repeats other errors', async () => {
    let calls = 0;
    const always = () => {
      calls += 1;
      return Promise.reject(dropped());
    };
    await expect(sentAgainWhileDropped(always, async () => undefined)).rejects.toBeInstanceOf(
      ServiceError,
    );
    expect(calls).toBe(4);

    calls = 0;
    const refused = () => {
      calls += 1;
      return Promise.reject(new Error('the update was rejected'));
    };
    await expect(sentAgainWhileDropped(refused, async () => undefined)).rejects.toThrow('rejected');
    expect(calls).toBe(1);
  });
});
