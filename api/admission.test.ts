import { ApiError } from './errors';
import { createAdmission, type AdmissionOptions } from './admission';

/** An admission whose clock the test moves: each piece of work takes `takesMs`. */
function admissionWithClock(options: Partial<AdmissionOptions> = {}) {
  let clock = 0;
  const admission = createAdmission({
    maxInFlight: 10,
    minInFlight: 2,
    initialInFlight: 10,
    targetLatencyMs: 1_000,
    retryAfterSeconds: 1,
    now: () => clock,
    ...options,
  });
  const answerAfter = (takesMs: number) =>
    admission.admit(async () => {
      clock += takesMs;
    });
  return { admission, answerAfter };
}

describe('checkout admission', () => {
  it('turns a checkout away at once when the limit is in flight, with Retry-After', async () => {
    const shed = jest.fn();
    const admission = createAdmission({
      maxInFlight: 2,
      minInFlight: 1,
      initialInFlight: 2,
      targetLatencyMs: 1_000,
      retryAfterSeconds: 3,
      onShed: shed,
    });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const running = [admission.admit(() => held), admission.admit(() => held)];

    const refused = await admission.admit(async () => 'ran').catch((error: unknown) => error);

    expect(refused).toBeInstanceOf(ApiError);
    expect(refused).toMatchObject({
      status: 503,
      code: 'server_busy',
      headers: { 'Retry-After': '3' },
    });
    expect(shed).toHaveBeenCalledTimes(1);
    release();
    await Promise.all(running);
    expect(admission.inFlight).toBe(0);
    await expect(admission.admit(async () => 'ran')).resolves.toBe('ran');
  });

  it('shrinks the limit while checkouts are slower than the target, never below the floor', async () => {
    const { admission, answerAfter } = admissionWithClock();
    // A little slow: by a tenth. Far too slow: by half at most.
    await answerAfter(1_050);
    expect(admission.limit).toBeCloseTo(9);
    await answerAfter(5_000);
    expect(admission.limit).toBeCloseTo(4.5);
    for (let i = 0; i < 50; i++) await answerAfter(5_000);
    expect(admission.limit).toBe(2);
  });

  it('shrinks once for a burst of slow checkouts admitted before the cut', async () => {
    let clock = 0;
    const admission = createAdmission({
      maxInFlight: 10,
      minInFlight: 2,
      initialInFlight: 10,
      targetLatencyMs: 1_000,
      retryAfterSeconds: 1,
      now: () => clock,
    });
    let release!: () => void;
    const backlog = new Promise<void>((resolve) => (release = resolve));
    const running = Array.from({ length: 8 }, () => admission.admit(() => backlog));
    clock += 1_250;
    release();
    await Promise.all(running);
    expect(admission.limit).toBeCloseTo(8);
  });

  it('grows it back by about one per limit of fast checkouts, up to the maximum', async () => {
    const { admission, answerAfter } = admissionWithClock();
    for (let i = 0; i < 50; i++) await answerAfter(5_000);
    for (let i = 0; i < 4; i++) await answerAfter(100);
    expect(admission.limit).toBeGreaterThan(3);
    expect(admission.limit).toBeLessThan(4);
    for (let i = 0; i < 500; i++) await answerAfter(100);
    expect(admission.limit).toBe(10);
  });

  it('starts at a quarter of the maximum unless told', () => {
    const admission = createAdmission({
      maxInFlight: 64,
      minInFlight: 4,
      targetLatencyMs: 1_000,
      retryAfterSeconds: 1,
    });
    expect(admission.limit).toBe(16);
  });

  it('counts a failed checkout as answered', async () => {
    const { admission } = admissionWithClock();
    await expect(
      admission.admit(async () => {
        throw new Error('gateway down');
      }),
    ).rejects.toThrow('gateway down');
    expect(admission.inFlight).toBe(0);
  });
});
