/**
 * The error a bad run config, sweep spec or data flag raises: one line naming the field or file at fault.
 * Its own module, below everything that reads configs (the run store reads JSON files too), so no lower
 * layer has to import config.ts for it.
 */
export class ConfigError extends Error {
  override name = 'ConfigError';
}
