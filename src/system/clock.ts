// Time as a dependency, so tests can pin "now" and durations.
export interface Clock {
  now(): Date
  monotonicMs(): number
}

export const systemClock: Clock = {
  now: () => new Date(),
  monotonicMs: () => performance.now(),
}
