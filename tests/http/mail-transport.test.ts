import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createMailTransport } from '../../src/mail/transport.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { startTestSmtp, type TestSmtp } from '../support/smtp.js';

// A burst of missed-message email goes through a few kept SMTP connections, not one per email
// (a connection costs a greeting, EHLO and, on a real server, TLS and a login).

let t: TestApp;
let smtp: TestSmtp;

before(async () => {
  smtp = await startTestSmtp();
  t = await startTestApp();
});
after(() => smtp.close());

test('emails one after another reuse one SMTP connection; a burst uses at most five', async () => {
  const mail = createMailTransport({ smtpUrl: smtp.url, from: 'Courier <no-reply@courier.test>', db: t.database.hostDb });
  try {
    assert.equal(mail.kind, 'smtp');
    for (let i = 0; i < 5; i += 1) await mail.send({ to: `one${i}@example.org`, subject: `One ${i}`, text: 'Hello', html: '<p>Hello</p>' });
    assert.equal(smtp.received.length, 5);
    assert.equal(smtp.connections, 1, 'one connection for five emails in a row');
    await Promise.all(Array.from({ length: 30 }, (_, i) => mail.send({ to: `burst${i}@example.org`, subject: `Burst ${i}`, text: 'Hello', html: '<p>Hello</p>' })));
    assert.equal(smtp.received.length, 35);
    assert.ok(smtp.connections <= 5, `at most five connections in all (${smtp.connections})`);
  } finally {
    mail.close();
  }
});
