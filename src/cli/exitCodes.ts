/** What `hera`'s exit status tells a script. */
export enum ExitCode {
  Ok = 0,
  Failed = 1,
  /** A bad command line: unknown option, missing argument, no token. */
  Usage = 2,
  /** The engine refused the request; its code and message are printed. */
  Refused = 3,
  /** The API could not be reached, or kept failing (5xx, timeouts) after a short retry. */
  Unreachable = 4,
}

/** An error the CLI reports as one line (never a stack) and exits with `exitCode`. */
export class CliError extends Error {
  constructor(
    readonly exitCode: ExitCode,
    message: string,
  ) {
    super(message);
  }
}
