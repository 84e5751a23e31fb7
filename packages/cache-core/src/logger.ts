/** The three log levels the actions map onto `@actions/core` (info, warning, debug). */
export interface Logger {
  info(msg: string): void;
  warning(msg: string): void;
  debug(msg: string): void;
}

/** A logger that drops everything; handy for callers that do not care. */
export const silentLogger: Logger = {
  info: () => undefined,
  warning: () => undefined,
  debug: () => undefined,
};
