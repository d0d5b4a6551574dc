import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import sharp from 'sharp';
import { hashPassword } from '../../src/auth/password.js';
import { logInPage, shot, startBrowserHarness, type BrowserHarness } from '../support/browser.js';

// The composer's file handling with JavaScript (public/js/behaviours/files.js), at a
// desktop and a phone width: the list of chosen files with its Remove buttons, files dropped on the
// composer, an image pasted into the box, a message of files alone, the progress bar of a large
// upload, and a refused file. Playwright cannot drag or paste files from the OS, so the drop and
// paste events are built in the page, with DataTransfer objects holding File objects.

const PASSWORD = 'a long enough password';
let h: BrowserHarness;
let passwordHash: string;
let photo: Buffer;
let screenshotPng: Buffer;

const PDF = Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n');
/** A PDF of exactly `size` bytes: the small one above, padded with a comment line. */
const pdfOf = (size: number) => Buffer.concat([PDF, Buffer.from(`%${'x'.repeat(size - PDF.length - 2)}\n`)]);
/** Plain text of exactly `size` bytes. */
const textOf = (size: number) => Buffer.from('Minutes of the meeting, line after line.\n'.repeat(Math.ceil(size / 41)).slice(0, size));

before(async () => {
  h = await startBrowserHarness();
  passwordHash = await hashPassword(PASSWORD);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="900" height="600">
    <rect width="900" height="600" fill="#0ea5e9"/><circle cx="450" cy="330" r="120" fill="#facc15"/><rect y="450" width="900" height="150" fill="#166534"/></svg>`;
  photo = await sharp(Buffer.from(svg)).jpeg({ quality: 80 }).toBuffer();
  // What a screenshot tool puts on the clipboard: a PNG, which the browser hands over as "image.png".
  screenshotPng = await sharp({ create: { width: 480, height: 300, channels: 3, background: '#7c3aed' } }).png().toBuffer();
});

async function person(username: string, name: string): Promise<number> {
  const row = await h.database.db.insertInto('users').values({ username, display_name: name, password_hash: passwordHash }).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

async function connect(a: number, b: number) {
  await h.database.db.insertInto('connections').values({ user_low: Math.min(a, b), user_high: Math.max(a, b), requested_by: a, status: 'accepted', accepted_at: new Date() }).execute();
}

interface Thread {
  page: Page;
  context: BrowserContext;
  conversation: number;
  /** Uncaught errors and console errors (other than the ones a test expects). */
  problems: string[];
}

let people = 0;
/** A new sender (so no send limit carries over), logged in with JS, in a thread with a connection. */
async function openThread(width: number, expectedErrors?: RegExp): Promise<Thread> {
  const tag = `${width}_${++people}`;
  const a = await person(`cf_a${tag}`, 'Ada Sender');
  const b = await person(`cf_b${tag}`, 'Bo Receiver');
  await connect(a, b);
  const context = await h.context({ javaScript: true, width });
  const page = await logInPage(context, `cf_a${tag}`, PASSWORD);
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(err.message));
  page.on('console', (msg) => msg.type() === 'error' && !(expectedErrors && expectedErrors.test(msg.text())) && problems.push(msg.text()));
  await page.goto(`/u/cf_b${tag}`);
  await page.getByRole('button', { name: 'Message Bo Receiver' }).click();
  await page.waitForURL(/\/messages\/\d+$/);
  const conversation = Number(/\/messages\/(\d+)$/.exec(page.url())![1]);
  return { page, context, conversation, problems };
}

const box = (page: Page) => page.getByLabel('Write a message to Bo Receiver');
/** The names of the files the input holds: what the form will send. */
const inputNames = (page: Page) => page.locator('#composer-files').evaluate((el) => Array.from((el as HTMLInputElement).files ?? [], (f) => f.name));
/** The composer's list, one text per file ("name · size", the × button aside). */
const listed = (page: Page) => page.locator('[data-attach-list] > li [data-attach-name]').evaluateAll((els) => els.map((el) => (el.textContent ?? '').trim()));
const messages = (page: Page) => page.locator('#thread-messages li[data-message-id]');

interface PageFile {
  name: string;
  type: string;
  base64: string;
}
const pageFile = (name: string, type: string, bytes: Buffer): PageFile => ({ name, type, base64: bytes.toString('base64') });

/** Stored files of the conversation, oldest first, with the message each joined (null: pending). */
function storedFiles(conversation: number) {
  return h.database.db.selectFrom('attachments').select(['name', 'message_id', 'kind']).where('conversation_id', '=', conversation).orderBy('id').execute();
}

/** Sent: the new message is drawn and the composer is empty again (text, input and list). */
async function expectSentAndEmptied(page: Page, count: number) {
  await page.waitForFunction((n) => document.querySelectorAll('#thread-messages li[data-message-id]').length === n, count, { timeout: 15_000 });
  await page.locator('[data-attach-list] > li').first().waitFor({ state: 'detached', timeout: 5_000 });
  assert.deepEqual(await inputNames(page), [], 'the input holds no file after sending');
  assert.deepEqual(await listed(page), [], 'the list is empty after sending');
  assert.equal(await box(page).inputValue(), '', 'the box is empty after sending');
  assert.equal(await page.locator('#composer-error').innerText(), '');
}

/** Waits until the image has really loaded (decoded pixels). */
async function imageLoaded(img: Locator) {
  await img.scrollIntoViewIfNeeded();
  const handle = await img.elementHandle();
  assert.ok(handle, 'the image is on the page');
  await img.page().waitForFunction((el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth > 0, handle, { timeout: 10_000 });
}

async function finish(thread: Thread) {
  const overflow = await thread.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no sideways scrolling (${overflow}px)`);
  assert.deepEqual(thread.problems, []);
  await thread.context.close();
}

for (const width of [1280, 390]) {
  const label = `js-${width}`;
  describe(`files in the composer (${label})`, () => {
    test('chosen files are listed with name and size; Remove takes one out of the input', async () => {
      const thread = await openThread(width);
      const { page } = thread;
      const longName = 'quarterly-report-for-the-board-final-version.pdf';
      await page.setInputFiles('#composer-files', [
        { name: 'sunset.jpg', mimeType: 'image/jpeg', buffer: photo },
        { name: 'notes.txt', mimeType: 'text/plain', buffer: textOf(300) },
        { name: longName, mimeType: 'application/pdf', buffer: pdfOf(20 * 1024) },
        { name: 'minutes.txt', mimeType: 'text/plain', buffer: textOf(1.5 * 1024 * 1024) },
      ]);
      const list = page.locator('[data-attach-list]');
      await list.waitFor();
      assert.equal(await list.getAttribute('aria-label'), 'Files to send');
      const items = await listed(page);
      assert.equal(items.length, 4);
      assert.match(items[0]!, new RegExp(`^sunset\\.jpg · ${Math.round(photo.length / 1024)} KB$`));
      assert.equal(items[1], 'notes.txt · 300 bytes');
      assert.equal(items[2], `${longName} · 20 KB`);
      assert.equal(items[3], 'minutes.txt · 1.5 MB');
      // The image is previewed from the chosen file itself (nothing is uploaded before Send).
      const thumb = list.locator('li').first().locator('img[data-attach-preview]');
      assert.match((await thumb.getAttribute('src')) ?? '', /^blob:/);
      await page.waitForFunction((el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth > 0, await thumb.elementHandle());
      assert.equal(await list.locator('img[data-attach-preview]').count(), 1, 'only images get a preview');
      for (const name of ['sunset.jpg', 'notes.txt', longName, 'minutes.txt']) {
        const remove = list.getByRole('button', { name: `Remove ${name}`, exact: true });
        assert.equal(await remove.count(), 1, `a Remove button for ${name}`);
        assert.ok(await remove.isVisible(), `Remove ${name} is visible`);
      }
      // The list stays inside the composer, even with a long name on a phone.
      const composer = await page.locator('#composer').boundingBox();
      const listBox = await list.boundingBox();
      assert.ok(composer && listBox && listBox.x >= composer.x && listBox.x + listBox.width <= composer.x + composer.width + 0.5, `the list fits the composer (${JSON.stringify({ composer, listBox })})`);
      await page.screenshot({ path: shot(`composer-files-${label}`) });

      // Remove one from the middle, then the first: the input (what the form sends) follows.
      await list.getByRole('button', { name: `Remove ${longName}` }).click();
      assert.deepEqual(await inputNames(page), ['sunset.jpg', 'notes.txt', 'minutes.txt']);
      assert.deepEqual(await listed(page), [items[0], items[1], items[3]]);
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'composer-body', 'focus goes back to the box');
      await list.getByRole('button', { name: 'Remove sunset.jpg' }).click();
      assert.deepEqual(await inputNames(page), ['notes.txt', 'minutes.txt']);
      await list.getByRole('button', { name: 'Remove minutes.txt' }).click();
      assert.deepEqual(await inputNames(page), ['notes.txt']);
      assert.deepEqual(await listed(page), ['notes.txt · 300 bytes']);

      // Only what is left is sent and stored.
      await box(page).fill('Just the notes');
      await page.getByRole('button', { name: 'Send' }).click();
      await expectSentAndEmptied(page, 1);
      const sent = messages(page).last();
      assert.deepEqual(await sent.locator('[data-attachments] a[data-attachment-id]').evaluateAll((els) => els.map((el) => el.textContent!.replace(/\s+/g, ' ').trim())), ['notes.txt Text file · 300 bytes']);
      const stored = await storedFiles(thread.conversation);
      assert.deepEqual(stored.map((f) => f.name), ['notes.txt']);
      assert.ok(stored[0]!.message_id, 'the file joined the message');
      await finish(thread);
    });

    test('files dropped on the composer join the chosen ones and are sent', async () => {
      const thread = await openThread(width);
      const { page } = thread;
      await page.setInputFiles('#composer-files', [{ name: 'agenda.txt', mimeType: 'text/plain', buffer: textOf(120) }]);
      await page.locator('[data-attach-list] > li').first().waitFor();

      const outcome = await page.evaluate((files: PageFile[]) => {
        const transfer = new DataTransfer();
        for (const f of files) transfer.items.add(new File([Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0))], f.name, { type: f.type }));
        const composer = document.getElementById('composer')!;
        const overNotCancelled = composer.dispatchEvent(new DragEvent('dragover', { bubbles: true, cancelable: true, dataTransfer: transfer }));
        const highlighted = composer.classList.contains('ring-2');
        const dropNotCancelled = composer.dispatchEvent(new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: transfer }));
        return { overNotCancelled, highlighted, dropNotCancelled, highlightedAfter: composer.classList.contains('ring-2') };
      }, [pageFile('sunset.jpg', 'image/jpeg', photo), pageFile('floor-plan.pdf', 'application/pdf', PDF)]);
      assert.deepEqual(outcome, { overNotCancelled: false, highlighted: true, dropNotCancelled: false, highlightedAfter: false }, 'dragover and drop are taken (so the browser does not open the file), the composer is highlighted meanwhile');
      assert.deepEqual(await inputNames(page), ['agenda.txt', 'sunset.jpg', 'floor-plan.pdf']);
      assert.deepEqual(
        (await listed(page)).map((t) => t.split(' · ')[0]),
        ['agenda.txt', 'sunset.jpg', 'floor-plan.pdf'],
      );

      // Files dropped elsewhere on the page are left alone.
      const elsewhere = await page.evaluate(() => {
        const transfer = new DataTransfer();
        transfer.items.add(new File(['stray'], 'stray.txt', { type: 'text/plain' }));
        return document.body.dispatchEvent(new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: transfer }));
      });
      assert.equal(elsewhere, true, 'a drop outside the composer is not taken');
      assert.equal((await inputNames(page)).length, 3);

      await box(page).fill('Dropped in');
      await page.getByRole('button', { name: 'Send' }).click();
      await expectSentAndEmptied(page, 1);
      const sent = messages(page).last();
      assert.match((await sent.textContent()) ?? '', /Dropped in/);
      await imageLoaded(sent.locator('a[data-attachment-id] img'));
      assert.equal(await sent.locator('a[data-attachment-id] img').getAttribute('alt'), 'sunset.jpg');
      assert.deepEqual(await sent.locator('a[download][data-attachment-id]').evaluateAll((els) => els.map((el) => el.querySelector('span span')?.textContent)), ['agenda.txt', 'floor-plan.pdf']);
      const stored = await storedFiles(thread.conversation);
      assert.deepEqual(stored.map((f) => [f.name, f.kind]), [['agenda.txt', 'file'], ['sunset.jpg', 'image'], ['floor-plan.pdf', 'file']]);
      assert.ok(stored.every((f) => f.message_id !== null && f.message_id === stored[0]!.message_id), 'all three joined the one message');
      await finish(thread);
    });

    test('an image pasted into the box is attached; pasted text is typed in as usual', async () => {
      const thread = await openThread(width);
      const { page } = thread;
      await box(page).fill('Look: ');
      const pasteImage = await page.evaluate((file: PageFile) => {
        const data = new DataTransfer();
        data.items.add(new File([Uint8Array.from(atob(file.base64), (c) => c.charCodeAt(0))], file.name, { type: file.type }));
        const target = document.getElementById('composer-body')!;
        target.focus();
        const notCancelled = target.dispatchEvent(new ClipboardEvent('paste', { bubbles: true, cancelable: true, clipboardData: data }));
        return { notCancelled, value: (target as HTMLTextAreaElement).value };
      }, pageFile('image.png', 'image/png', screenshotPng));
      assert.deepEqual(pasteImage, { notCancelled: false, value: 'Look: ' }, 'the paste of a file is taken, and puts nothing in the box');
      assert.deepEqual(await inputNames(page), ['image.png']);
      assert.deepEqual((await listed(page)).map((t) => t.split(' · ')[0]), ['image.png']);

      // Plain text on the clipboard: the page leaves the paste to the browser, which types it in.
      const pasteText = await page.evaluate(() => {
        const data = new DataTransfer();
        data.setData('text/plain', 'ignored');
        return document.getElementById('composer-body')!.dispatchEvent(new ClipboardEvent('paste', { bubbles: true, cancelable: true, clipboardData: data }));
      });
      assert.equal(pasteText, true, 'a paste of text is not cancelled');
      await thread.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: h.baseUrl });
      await page.evaluate(() => navigator.clipboard.writeText('the view from the roof'));
      await box(page).press('End');
      await box(page).press('ControlOrMeta+V');
      await page.waitForFunction(() => (document.getElementById('composer-body') as HTMLTextAreaElement).value === 'Look: the view from the roof', null, { timeout: 5_000 });
      assert.deepEqual(await inputNames(page), ['image.png'], 'pasted text adds no file');

      await page.getByRole('button', { name: 'Send' }).click();
      await expectSentAndEmptied(page, 1);
      const sent = messages(page).last();
      assert.match((await sent.textContent()) ?? '', /Look: the view from the roof/);
      await imageLoaded(sent.locator('a[data-attachment-id] img'));
      assert.equal(await sent.locator('a[data-attachment-id] img').getAttribute('alt'), 'image.png');
      assert.deepEqual((await storedFiles(thread.conversation)).map((f) => [f.name, f.kind]), [['image.png', 'image']]);
      await finish(thread);
    });

    test('a message of files alone: sent with Enter and with the Send button, the composer empties', async () => {
      const thread = await openThread(width);
      const { page } = thread;
      const coarse = await page.evaluate(() => window.matchMedia('(pointer: coarse)').matches);
      assert.equal(coarse, width < 600, 'the phone width is a touch device');

      // An empty box and no file: Enter sends nothing.
      if (!coarse) {
        await box(page).press('Enter');
        await page.waitForTimeout(300);
        assert.equal(await messages(page).count(), 0);
      }

      await page.setInputFiles('#composer-files', [{ name: 'ticket.pdf', mimeType: 'application/pdf', buffer: PDF }]);
      await page.locator('[data-attach-list] > li').first().waitFor();
      if (coarse) {
        // On a touch screen Enter is a new line (README: it sends only with a physical keyboard).
        await box(page).press('Enter');
        await page.waitForTimeout(300);
        assert.equal(await messages(page).count(), 0, 'Enter does not send on a touch device');
        assert.equal(await box(page).inputValue(), '\n');
        await page.getByRole('button', { name: 'Send' }).click();
      } else {
        await box(page).press('Enter');
      }
      await expectSentAndEmptied(page, 1);
      let sent = messages(page).last();
      assert.deepEqual(await sent.locator('a[download][data-attachment-id] span span').first().allTextContents(), ['ticket.pdf']);

      await page.setInputFiles('#composer-files', [{ name: 'receipt.txt', mimeType: 'text/plain', buffer: textOf(64) }]);
      await page.locator('[data-attach-list] > li').first().waitFor();
      assert.equal(await box(page).inputValue(), '');
      await page.getByRole('button', { name: 'Send' }).click();
      await expectSentAndEmptied(page, 2);
      sent = messages(page).last();
      assert.deepEqual(await sent.locator('a[download][data-attachment-id] span span').first().allTextContents(), ['receipt.txt']);

      const rows = await h.database.db
        .selectFrom('messages')
        .innerJoin('attachments', 'attachments.message_id', 'messages.id')
        .select(['messages.body', 'attachments.name'])
        .where('messages.conversation_id', '=', thread.conversation)
        .orderBy('messages.id')
        .execute();
      assert.deepEqual(rows, [
        { body: '', name: 'ticket.pdf' },
        { body: '', name: 'receipt.txt' },
      ]);
      await finish(thread);
    });

    test('a large upload shows the progress bar while it goes, and hides it after', async () => {
      const thread = await openThread(width);
      const { page } = thread;
      const bar = page.locator('#composer [data-upload-progress]');
      assert.equal(await bar.isVisible(), false, 'no bar before a send');
      // Every state the bar goes through, seen from the page.
      await page.evaluate(() => {
        const el = document.querySelector('#composer [data-upload-progress]') as HTMLProgressElement;
        const seen: { shown: boolean; value: number }[] = [];
        (window as unknown as { barStates: typeof seen }).barStates = seen;
        // (No named function in here: tsx would wrap it in a helper the page does not have.)
        new MutationObserver(() => seen.push({ shown: !el.classList.contains('hidden'), value: el.value })).observe(el, { attributes: true });
        document.addEventListener('htmx:xhr:progress', () => setTimeout(() => seen.push({ shown: !el.classList.contains('hidden'), value: el.value }), 0));
      });
      const states = () => page.evaluate(() => (window as unknown as { barStates: { shown: boolean; value: number }[] }).barStates.splice(0));

      // A small file is quick: no bar.
      await page.setInputFiles('#composer-files', [{ name: 'small.txt', mimeType: 'text/plain', buffer: textOf(2000) }]);
      await page.getByRole('button', { name: 'Send' }).click();
      await expectSentAndEmptied(page, 1);
      assert.ok((await states()).every((s) => !s.shown), 'no bar for a small upload');

      // ~3 MB at 1 MB/s upload.
      const cdp = await thread.context.newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 1024 * 1024 });
      const size = 3 * 1024 * 1024;
      await page.setInputFiles('#composer-files', [{ name: 'archive-notes.txt', mimeType: 'text/plain', buffer: textOf(size) }]);
      assert.deepEqual(await listed(page), ['archive-notes.txt · 3.0 MB']);
      await box(page).fill('The whole archive');
      const started = Date.now();
      await page.getByRole('button', { name: 'Send' }).click();
      await bar.waitFor({ state: 'visible', timeout: 5_000 });
      await page.waitForFunction(() => {
        const el = document.querySelector('#composer [data-upload-progress]') as HTMLProgressElement;
        return el.value > 0 && el.value < 100;
      }, null, { timeout: 10_000 });
      const during = await bar.evaluate((el) => ({ value: (el as HTMLProgressElement).value, max: (el as HTMLProgressElement).max, width: el.getBoundingClientRect().width }));
      assert.ok(during.max === 100 && during.value > 0 && during.value < 100, `the bar shows how far the upload is (${during.value}%)`);
      assert.ok(during.width > 100, `the bar is drawn wide enough to see (${during.width}px)`);
      await page.screenshot({ path: shot(`composer-upload-progress-${label}`) });
      await expectSentAndEmptied(page, 2);
      const elapsed = Date.now() - started;
      assert.ok(elapsed > 1500, `the upload really was slowed down (${elapsed} ms)`);
      assert.equal(await bar.isVisible(), false, 'the bar is hidden once sent');
      assert.equal(await bar.evaluate((el) => (el as HTMLProgressElement).value), 0, 'and reset');
      const seen = await states();
      const shownValues = seen.filter((s) => s.shown).map((s) => s.value);
      assert.ok(new Set(shownValues.filter((v) => v > 0 && v < 100)).size >= 2, `the bar moved while uploading (${JSON.stringify(shownValues)})`);
      assert.deepEqual(seen.at(-1), { shown: false, value: 0 });
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });

      const sent = messages(page).last();
      assert.match((await sent.locator('a[download][data-attachment-id]').innerText()).replace(/\s+/g, ' '), /archive-notes\.txt Text file · 3\.0 MB/);
      const stored = await h.database.db.selectFrom('attachments').select(['size_bytes']).where('conversation_id', '=', thread.conversation).where('name', '=', 'archive-notes.txt').executeTakeFirstOrThrow();
      assert.equal(Number(stored.size_bytes), size, 'every byte arrived');
      await finish(thread);
    });

    test('a refused file: the reason shows, the text and the file stay chosen', async () => {
      // The refusal is an HTTP error on purpose: the browser logs it.
      const thread = await openThread(width, /status of 4\d\d|Response Status Error Code 4\d\d/);
      const { page } = thread;
      const html = Buffer.from('<!DOCTYPE html><html><body><script>alert(1)</script></body></html>');
      await page.setInputFiles('#composer-files', [{ name: 'notes.txt', mimeType: 'text/plain', buffer: html }]);
      await box(page).fill('see attached');
      await page.getByRole('button', { name: 'Send' }).click();
      const error = page.locator('#composer-error');
      await error.filter({ hasText: /notes\.txt: web pages, SVG and XML files can.t be sent/ }).waitFor();
      assert.ok(await error.isVisible());
      assert.equal(await box(page).inputValue(), 'see attached', 'the text stays');
      assert.equal(await box(page).getAttribute('aria-invalid'), 'true');
      assert.equal(await box(page).getAttribute('aria-describedby'), 'composer-error');
      assert.deepEqual(await inputNames(page), ['notes.txt'], 'the file stays chosen');
      assert.deepEqual((await listed(page)).map((t) => t.split(' · ')[0]), ['notes.txt']);
      assert.equal(await messages(page).count(), 0);
      assert.deepEqual(await storedFiles(thread.conversation), [], 'nothing kept on the server');
      await page.screenshot({ path: shot(`composer-files-refused-${label}`) });

      // A file over the limit (10 MB) is refused the same way, with its own reason.
      await page.getByRole('button', { name: 'Remove notes.txt' }).click();
      await page.setInputFiles('#composer-files', [{ name: 'huge.txt', mimeType: 'text/plain', buffer: textOf(10 * 1024 * 1024 + 1) }]);
      await page.getByRole('button', { name: 'Send' }).click();
      await error.filter({ hasText: /huge\.txt is larger than 10 MB/ }).waitFor();
      assert.equal(await box(page).inputValue(), 'see attached');
      assert.equal(await box(page).getAttribute('aria-invalid'), 'true');
      assert.deepEqual(await inputNames(page), ['huge.txt']);
      assert.equal(await messages(page).count(), 0);

      // Take the file out and send: the reason and the mark go.
      await page.getByRole('button', { name: 'Remove huge.txt' }).click();
      assert.deepEqual(await inputNames(page), []);
      await page.getByRole('button', { name: 'Send' }).click();
      await expectSentAndEmptied(page, 1);
      assert.equal(await box(page).getAttribute('aria-invalid'), null);
      assert.match((await messages(page).last().textContent()) ?? '', /see attached/);
      await finish(thread);
    });
  });
}
