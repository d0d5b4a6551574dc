import { simpleParser, type ParsedMail } from 'mailparser';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface Received {
  /** The envelope's recipients, as the client gave them (RCPT TO). */
  to: string[];
  raw: string;
  mail: ParsedMail;
}

export interface TestSmtp {
  url: string;
  received: Received[];
  /** SMTP connections opened to it so far. */
  readonly connections: number;
  /** Waits until `count` messages arrived (or fails after `ms`). */
  waitFor(count: number, ms?: number): Promise<Received[]>;
  close(): Promise<void>;
}

/**
 * A real SMTP server on a free port (the `smtp-server` package): the app connects and speaks SMTP
 * to it as to any mail server; each message is parsed (mailparser) for the test to read.
 */
export async function startTestSmtp(options: { user?: string; password?: string } = {}): Promise<TestSmtp> {
  const received: Received[] = [];
  let connections = 0;
  const user = options.user ?? 'courier';
  const password = options.password ?? 'smtp-secret';
  const server = new SMTPServer({
    authOptional: false,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    logger: false,
    onConnect(_session, callback) {
      connections += 1;
      callback();
    },
    onAuth(auth, _session, callback) {
      if (auth.username === user && auth.password === password) callback(null, { user });
      else callback(new Error('Invalid username or password'));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        simpleParser(raw)
          .then((mail) => {
            received.push({ to: session.envelope.rcptTo.map((r) => r.address), raw, mail });
            callback();
          })
          .catch((err: Error) => callback(err));
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://${user}:${password}@127.0.0.1:${port}`,
    received,
    get connections() {
      return connections;
    },
    async waitFor(count, ms = 5000) {
      const deadline = Date.now() + ms;
      while (received.length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} emails within ${ms} ms, got ${received.length}: ${received.map((r) => r.mail.subject).join(' | ')}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      return received;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
