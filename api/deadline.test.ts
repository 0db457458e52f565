import { Deadline, DeadlinePassed } from './deadline';

describe('Deadline', () => {
  it('answers with the work when it finishes in time', async () => {
    await expect(Deadline.in(1_000).within(Promise.resolve('done'))).resolves.toBe('done');
  });

  it('passes on the work failing in time', async () => {
    await expect(Deadline.in(1_000).within(Promise.reject(new Error('refused')))).rejects.toThrow(
      'refused',
    );
  });

  it('gives up on work that is still running at the deadline', async () => {
    const never = new Promise<string>(() => undefined);
    const started = Date.now();
    await expect(Deadline.in(50).within(never)).rejects.toBeInstanceOf(DeadlinePassed);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('keeps the reserve back', async () => {
    const deadline = Deadline.in(10_000);
    expect(deadline.remainingMs(9_000)).toBeLessThanOrEqual(1_000);
    const late = new Promise<string>((resolve) => setTimeout(() => resolve('late'), 300));
    await expect(deadline.within(late, 9_950)).rejects.toBeInstanceOf(DeadlinePassed);
  });

  it('does not leave a rejection unhandled when work fails after the deadline', async () => {
    const unhandled = jest.fn();
    process.on('unhandledRejection', unhandled);
    const failsLater = new Promise<string>((_, reject) =>
      setTimeout(() => reject(new Error('late failure')), 30),
    );
    await expect(Deadline.in(5).within(failsLater)).rejects.toBeInstanceOf(DeadlinePassed);
    await new Promise((resolve) => setTimeout(resolve, 60));
    process.off('unhandledRejection', unhandled);
    expect(unhandled).not.toHaveBeenCalled();
  });
});
