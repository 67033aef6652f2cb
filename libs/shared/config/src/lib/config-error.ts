/**
 * Exit code of a process that refuses its configuration (EX_CONFIG from sysexits.h): restarting
 * cannot help, so pm2 is told not to (ecosystem.config.js) and `npm start` reports it.
 */
export const CONFIG_EXIT_CODE = 78;

/** Start-up stops with this when a variable is invalid; the message names every bad variable, never its value. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}
