/** What a command needs from its process: two output streams, the env, and a stop request. */
export interface CommandIo {
  /** stdout: the command's result (log lines, the table, the verdict). */
  out(line: string): void;
  /** stderr: progress and diagnostics. */
  err(line: string): void;
  env: NodeJS.ProcessEnv;
  version: string;
  /** Resolves with the signal's name on SIGINT/SIGTERM. */
  stopRequested: Promise<string>;
}
