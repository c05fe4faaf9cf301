/** Polls a condition until it holds or the deadline passes; never a fixed sleep. */
export async function waitFor<T>(
  condition: () => T | Promise<T>,
  { timeoutMs = 10_000, intervalMs = 10, message = 'condition' } = {}
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown = null;
  for (;;) {
    try {
      const value = await condition();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `Timed out after ${timeoutMs} ms waiting for ${message}` +
          (lastError ? `: ${String(lastError)}` : '')
      );
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
