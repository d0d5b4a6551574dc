import nodemailer from 'nodemailer';
import { keepInOutbox, type MailDb } from './outbox-queries.js';

const SEND_TIMEOUT_MS = 60_000;

/** One email, as the app writes it: both parts, and how to stop this kind of email. */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** One-click unsubscribe (RFC 8058): the link's URL, which also takes the POST. */
  unsubscribeUrl?: string;
  /** Images the HTML shows as `cid:` URLs, sent inline with it (avatars need a login to fetch). */
  images?: { cid: string; content: Buffer; contentType: string }[];
}

export interface MailTransport {
  /** `smtp`: handed to the SMTP server in SMTP_URL; `outbox`: kept in the app (see /dev/mail). */
  readonly kind: 'smtp' | 'outbox';
  /** Resolves once the server (or the outbox) took it; rejects otherwise (the job retries). */
  send(message: MailMessage): Promise<void>;
  close(): void;
}

/**
 * Mail through SMTP_URL (pooled connections, since a burst of missed-message emails goes out at
 * once), or, on a bare machine, into the app's outbox table. Either way nodemailer builds the
 * same RFC 5322 message: the outbox holds exactly what an SMTP server would have received.
 */
export function createMailTransport(options: { smtpUrl: string | undefined; from: string; db: MailDb }): MailTransport {
  const headersOf = (message: MailMessage) =>
    message.unsubscribeUrl ? { 'List-Unsubscribe': `<${message.unsubscribeUrl}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' } : undefined;
  const envelope = (message: MailMessage) => ({
    from: options.from,
    to: message.to,
    subject: message.subject,
    text: message.text,
    html: message.html,
    headers: headersOf(message),
    attachments: message.images?.map((image) => ({ cid: image.cid, content: image.content, contentType: image.contentType, filename: 'photo.jpg', contentDisposition: 'inline' as const })),
  });

  if (options.smtpUrl) {
    // The URL goes inside the options: createTransport(url, x) takes x as defaults for messages,
    // and pooling asked for there is silently ignored (a new connection per email, ~100 ms each).
    // Bounded waits: nodemailer's defaults (2 minutes to connect, 10 minutes of a silent socket)
    // would hold a job, and its worker slot, that long against a server that stopped answering.
    const smtp = nodemailer.createTransport({ url: options.smtpUrl, pool: true, maxConnections: 5, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 });
    return {
      kind: 'smtp',
      async send(message) {
        // And a bound on the whole send, whatever part of it hangs: the job fails and is retried.
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('the SMTP server took over 60 s to take the message')), SEND_TIMEOUT_MS);
        });
        try {
          await Promise.race([smtp.sendMail(envelope(message)), timeout]);
        } finally {
          clearTimeout(timer);
        }
      },
      close: () => smtp.close(),
    };
  }
  const builder = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    kind: 'outbox',
    async send(message) {
      const built = (await builder.sendMail(envelope(message))) as unknown as { message: Buffer };
      await keepInOutbox(options.db, { recipient: message.to, subject: message.subject, raw: built.message.toString('utf8'), text_part: message.text, html_part: message.html });
    },
    close: () => builder.close(),
  };
}
