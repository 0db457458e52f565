// Where a workflow task's effects run while an Update it accepted is not in the history yet.
//
// A local activity runs inside the workflow task, before the task's commands reach the
// history; an activity is only scheduled by them. A workflow task can be lost with its worker
// (killed, or slower than the task timeout): whatever its local activities did stays done
// (money moved at the gateway, a publication stored) while the history never has it. A task
// that only followed the history decides the same again when it is retried, so its local
// activities repeat under the same idempotency keys. A task that accepted an Update does not:
// the Update is recorded only with the task, and may never come back (its caller gave up). So
// in such a task, money, dispatch and read-model writes go through the task queue instead:
// scheduled by the same write that records the Update, they run only if it happened.
//
// Which task accepted the Update is told by the history's length at its start, the same on
// replay as when it first ran (`workflowInfo().historyLength`).

import { setHandler, workflowInfo, type defineUpdate } from '@temporalio/workflow';

type UpdateDefinition<Result, Args extends unknown[]> = ReturnType<
  typeof defineUpdate<Result, Args>
>;

export class UpdateTasks {
  /** History length at the start of the workflow task that last accepted an Update. */
  private acceptedAt: number | undefined;

  /** `guarded`: this run routes effects by the rule above (runs before it did not). */
  constructor(private readonly guarded: boolean) {}

  /**
   * `setHandler` for an Update that changes the order (checked first by its `validator`),
   * noting the workflow task that accepts it.
   */
  readonly handle = <Result, Args extends unknown[]>(
    update: UpdateDefinition<Result, Args>,
    handler: (...args: Args) => Promise<Result>,
    { validator }: { validator: (...args: Args) => void },
  ): void => {
    const accepting = (...args: Args) => {
      if (this.guarded) this.acceptedAt = workflowInfo().historyLength;
      return handler(...args);
    };
    setHandler(update, accepting, { validator });
  };

  /** Whether the current workflow task accepted an Update, which the history does not have yet. */
  get unrecordedUpdate(): boolean {
    return this.acceptedAt !== undefined && this.acceptedAt === workflowInfo().historyLength;
  }

  /**
   * The same activities two ways: each call goes to `local` unless the current workflow task
   * accepted an Update, then to `queued` (decided per call, when the call is made).
   */
  route<Activities extends object>(local: Activities, queued: Activities): Activities {
    if (!this.guarded) return local;
    return new Proxy(local, {
      get: (_target, name) => Reflect.get(this.unrecordedUpdate ? queued : local, name),
    });
  }
}
