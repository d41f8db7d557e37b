/**
 * `promise`'s value, or `fallback` if it rejects or takes longer than `ms`.
 * For answers that have a safe default when a dependency is slow or down
 * (readiness, presence, shared rate limits); the timer never keeps the
 * process alive and is cleared as soon as the promise settles.
 */
export function within<T, F>(promise: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<F>((resolve) => {
    timer = setTimeout(resolve, ms, fallback);
    timer.unref();
  });
  const settled = promise.then(
    (value) => value,
    () => fallback,
  );
  return Promise.race([settled, late]).finally(() => clearTimeout(timer));
}
