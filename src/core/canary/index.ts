/** The Canary resource: types, parsing and getters, revision hashes, config tracking, queries and texts. */
export * from './types';
export * from './spec';
export * from './hash';
export * from './config-tracker';
export * from './query';
export * as texts from './texts';
export {
  Millisecond,
  Second,
  formatGoDuration,
  goFixed,
  goFloat,
  goSprintf,
  millisecondsToGoDuration,
  parseGoDuration,
  tryParseGoDuration,
  GoDurationError,
} from './go-format';
