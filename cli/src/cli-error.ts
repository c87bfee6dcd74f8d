/** A failure the user can act on: printed as one line (`vigil: …`) with no stack, exit code 1 unless said. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
