/**
 * One clock for every process of part E: wall time in milliseconds with
 * sub-millisecond precision (the process's time origin plus its monotonic
 * clock), so a timestamp taken in one process can be subtracted from one
 * taken in another on the same machine.
 */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}
