/**
 * The wall clock, as a value. Everything that trims, expires, scores or stamps by time takes one,
 * so tests (and the shifted-clock run, `npm run test:any-date`) control time instead of meeting
 * whatever today happens to be.
 */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();
