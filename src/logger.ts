import pino from 'pino';

export type Logger = pino.Logger;

/**
 * Structured logs keep metadata only. Request bodies are never logged, and these paths are
 * redacted in case an error object ever carries one.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: undefined,
      redact: { paths: ['password', '*.password', 'body', '*.body', 'req.body', 'headers.cookie'], censor: '[redacted]' },
    },
    destination,
  );
}
