// A point in time by which a request must answer. Work that is still running then is
// abandoned (its promise settles later, unheard), so a dependency that hangs or waits for a
// server that is down cannot hold the answer past it.

export class DeadlinePassed extends Error {
  override name = 'DeadlinePassed';
}

export class Deadline {
  private constructor(readonly at: number) {}

  static in(ms: number): Deadline {
    return new Deadline(Date.now() + ms);
  }

  /** Time left, keeping `reserveMs` back for what must still happen after. */
  remainingMs(reserveMs = 0): number {
    return Math.max(0, this.at - reserveMs - Date.now());
  }

  /** `work`'s outcome, or DeadlinePassed once the deadline (less `reserveMs`) comes first. */
  within<T>(work: Promise<T>, reserveMs = 0): Promise<T> {
    const remaining = this.remainingMs(reserveMs);
    let timer: NodeJS.Timeout | undefined;
    const passed = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DeadlinePassed('the deadline passed')), remaining);
      timer.unref();
    });
    // Settling after the race is lost must not become an unhandled rejection.
    work.catch(() => undefined);
    return Promise.race([work, passed]).finally(() => clearTimeout(timer));
  }
}
