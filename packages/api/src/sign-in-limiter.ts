/**
 * In-memory brute-force brake for sign-in: after `maxFailures` failed attempts for one email
 * within `windowMs`, further attempts for that email are refused until the window has passed.
 * Per process only; good enough for a console served by one or a few instances.
 */
export interface SignInLimiter {
  /** Milliseconds until the email may try again, or 0 when it may try now. */
  retryAfterMs(email: string, now?: number): number;
  recordFailure(email: string, now?: number): void;
  reset(email: string): void;
}

export function createSignInLimiter(opts: { maxFailures?: number; windowMs?: number; maxTracked?: number } = {}): SignInLimiter {
  const maxFailures = opts.maxFailures ?? 5;
  const windowMs = opts.windowMs ?? 15 * 60_000;
  // Bounded so a flood of random emails cannot grow memory without limit.
  const maxTracked = opts.maxTracked ?? 10_000;
  const failures = new Map<string, number[]>();

  const recent = (email: string, now: number): number[] => {
    const list = (failures.get(email) ?? []).filter((t) => now - t < windowMs);
    if (list.length === 0) failures.delete(email);
    else failures.set(email, list);
    return list;
  };

  return {
    retryAfterMs(email, now = Date.now()) {
      const list = recent(email, now);
      if (list.length < maxFailures) return 0;
      const oldest = list[list.length - maxFailures]!;
      return Math.max(0, oldest + windowMs - now);
    },
    recordFailure(email, now = Date.now()) {
      const list = recent(email, now);
      list.push(now);
      failures.set(email, list);
      if (failures.size > maxTracked) {
        const first = failures.keys().next();
        if (!first.done) failures.delete(first.value);
      }
    },
    reset(email) {
      failures.delete(email);
    },
  };
}
