import fc from 'fast-check';
import { ApiError } from './errors';
import { createAdmission, type AdmissionOptions } from './admission';

/** What a checkout fails with while the database is away. */
class DatabaseDown extends Error {}

/**
 * An admission whose clock the test moves: each piece of work takes `takesMs`; `failAfter`
 * fails as a checkout does while a dependency is down.
 */
function admissionWithClock(options: Partial<AdmissionOptions> = {}) {
  let clock = 0;
  const admission = createAdmission({
    maxInFlight: 10,
    minInFlight: 2,
    initialInFlight: 10,
    targetLatencyMs: 1_000,
    retryAfterSeconds: 1,
    dependencyWasDown: (outcome) =>
      outcome.status === 'rejected' && outcome.reason instanceof DatabaseDown,
    now: () => clock,
    ...options,
  });
  const answerAfter = (takesMs: number) =>
    admission.admit(async () => {
      clock += takesMs;
    });
  const failAfter = (takesMs: number) =>
    admission
      .admit(async () => {
        clock += takesMs;
        throw new DatabaseDown('database unavailable');
      })
      .catch((error: unknown) => {
        if (!(error instanceof DatabaseDown)) throw error;
      });
  /** A checkout admitted now that answers (in time or not) when `finish` is called. */
  const startNow = () => {
    let release!: () => void;
    const answered = admission.admit(() => new Promise<void>((resolve) => (release = resolve)));
    return { finish: () => (release(), answered) };
  };
  const advance = (ms: number) => (clock += ms);
  return { admission, answerAfter, failAfter, startNow, advance };
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

describe('checkout admission after a dependency outage', () => {
  /** A limit of 16 of 64, as a process starts, cut to the floor of 4 by a database outage. */
  async function afterOutage() {
    const setup = admissionWithClock({ maxInFlight: 64, minInFlight: 4, initialInFlight: 16 });
    for (let i = 0; i < 10; i++) await setup.answerAfter(100);
    const before = setup.admission.limit;
    // The database is away: each checkout fails after the driver's 3 s server selection.
    for (let i = 0; i < 10; i++) await setup.failAfter(3_000);
    expect(setup.admission.limit).toBe(4);
    return { ...setup, before };
  }

  it('climbs back to the limit held before the outage within as many fast answers', async () => {
    const { admission, answerAfter, before } = await afterOutage();
    // Slow start: one per answer in time (a round of 4 makes 8, the next 16).
    for (let i = 0; i < 4; i++) await answerAfter(100);
    expect(admission.limit).toBe(8);
    for (let i = 0; i < Math.ceil(before) - 8; i++) await answerAfter(100);
    expect(admission.limit).toBeCloseTo(before);
    // Then additive again: by about 1/limit an answer.
    await answerAfter(100);
    expect(admission.limit).toBeCloseTo(before + 1 / before);
  });

  it('does not read the slow answers of checkouts begun during the outage as load', async () => {
    const { admission, answerAfter, startNow, advance, before } = await afterOutage();
    const stragglers = [startNow(), startNow()];
    advance(5_000); // the database comes back
    await answerAfter(100);
    await Promise.all(stragglers.map((checkout) => checkout.finish()));
    expect(admission.limit).toBe(5);
    for (let i = 0; i < 20; i++) await answerAfter(100);
    expect(admission.limit).toBeGreaterThanOrEqual(before);
  });

  it('is not grown by checkouts that fail fast while the dependency is down', async () => {
    const { admission, failAfter } = await afterOutage();
    for (let i = 0; i < 50; i++) await failAfter(10);
    expect(admission.limit).toBe(4);
  });

  it('still cuts while the dependency is down, so few callers wait on it', async () => {
    const { admission, failAfter } = admissionWithClock({ initialInFlight: 10 });
    await failAfter(4_000);
    expect(admission.limit).toBeCloseTo(5);
  });

  it('ends the climb at a slow answer of a checkout begun after the outage: that is load', async () => {
    const { admission, answerAfter } = await afterOutage();
    for (let i = 0; i < 4; i++) await answerAfter(100);
    expect(admission.limit).toBe(8);
    await answerAfter(2_000);
    expect(admission.limit).toBeCloseTo(4);
    await answerAfter(100);
    expect(admission.limit).toBeCloseTo(4.25);
  });

  it('climbs back to the limit before the first outage when a second one interrupts the climb', async () => {
    const { admission, answerAfter, failAfter, before } = await afterOutage();
    for (let i = 0; i < 4; i++) await answerAfter(100);
    for (let i = 0; i < 5; i++) await failAfter(3_000);
    expect(admission.limit).toBe(4);
    for (let i = 0; i < Math.ceil(before); i++) await answerAfter(100);
    expect(admission.limit).toBeGreaterThanOrEqual(before);
  });

  it('whatever came before: stays within its bounds, and as many fast answers as the limit held before an outage restore it', async () => {
    const answer = fc.record({
      takesMs: fc.integer({ min: 1, max: 8_000 }),
      dependencyDown: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(answer, { maxLength: 60 }),
        fc.array(
          answer.map((a) => ({ ...a, dependencyDown: true })),
          {
            minLength: 1,
            maxLength: 30,
          },
        ),
        async (history, outage) => {
          const { admission, answerAfter, failAfter } = admissionWithClock({
            maxInFlight: 64,
            minInFlight: 4,
            initialInFlight: 16,
          });
          const play = async (a: { takesMs: number; dependencyDown: boolean }) => {
            await (a.dependencyDown ? failAfter(a.takesMs) : answerAfter(a.takesMs));
            expect(admission.limit).toBeGreaterThanOrEqual(4);
            expect(admission.limit).toBeLessThanOrEqual(64);
          };
          for (const a of history) await play(a);
          const before = admission.limit;
          for (const a of outage) await play(a);
          for (let i = 0; i < Math.ceil(before); i++) await answerAfter(100);
          expect(admission.limit).toBeGreaterThanOrEqual(before);
        },
      ),
      { numRuns: 200 },
    );
  });
});
