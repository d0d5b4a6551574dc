/** An error that carries its HTTP status and a message safe to show the user. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const notFound = (what = 'That page') => new HttpError(404, `${what} does not exist.`);
export const forbidden = (message = 'You are not allowed to do that.') => new HttpError(403, message);
