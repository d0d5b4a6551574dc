import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import sharp from 'sharp';
import { hashPassword } from '../../src/auth/password.js';
import { logInPage, shot, startBrowserHarness, type BrowserHarness } from '../support/browser.js';

// Files in messages (issue #7) in a real browser: an image and a PDF sent through the composer's
// file input, with JavaScript (htmx, desktop width) and without it (a plain multipart post, phone
// width); the thumbnail loads, the PDF shows as a card that downloads, and the Files view opens
// from the thread's menu.

const PASSWORD = 'a long enough password';
let h: BrowserHarness;
let passwordHash: string;
let photo: Buffer;

const PDF = Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n');

before(async () => {
  h = await startBrowserHarness();
  passwordHash = await hashPassword(PASSWORD);
  // A landscape "photo": a gradient with a sun, so a broken or blank thumbnail is easy to see.
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="800">
    <defs><linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#1e3a8a"/><stop offset="0.6" stop-color="#f97316"/><stop offset="1" stop-color="#fde68a"/></linearGradient></defs>
    <rect width="1200" height="800" fill="url(#sky)"/><circle cx="600" cy="520" r="140" fill="#fef3c7"/><rect y="600" width="1200" height="200" fill="#064e3b"/></svg>`;
  photo = await sharp(Buffer.from(svg)).jpeg({ quality: 85 }).toBuffer();
});

async function person(username: string, name: string): Promise<number> {
  const row = await h.database.db.insertInto('users').values({ username, display_name: name, password_hash: passwordHash }).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

async function connect(a: number, b: number) {
  await h.database.db.insertInto('connections').values({ user_low: Math.min(a, b), user_high: Math.max(a, b), requested_by: a, status: 'accepted', accepted_at: new Date() }).execute();
}

const logIn = (context: BrowserContext, username: string): Promise<Page> => logInPage(context, username, PASSWORD);

/** Waits until the image has really loaded (decoded pixels), then returns its natural size. */
async function loadedSize(img: Locator): Promise<{ width: number; height: number }> {
  await img.scrollIntoViewIfNeeded();
  const handle = await img.elementHandle();
  assert.ok(handle, 'the image is on the page');
  await img.page().waitForFunction((el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth > 0, handle, { timeout: 10_000 });
  return img.evaluate((el) => ({ width: (el as HTMLImageElement).naturalWidth, height: (el as HTMLImageElement).naturalHeight }));
}

function watchProblems(page: Page, problems: string[]) {
  page.on('pageerror', (err) => problems.push(`${page.url()}: ${err.message}`));
  page.on('console', (msg) => msg.type() === 'error' && problems.push(`${page.url()}: ${msg.text()}`));
}

for (const { javaScript, width } of [
  { javaScript: true, width: 1280 },
  { javaScript: false, width: 390 },
]) {
  const label = `${javaScript ? 'js' : 'nojs'}-${width}`;
  describe(`sending an image and a PDF (${label})`, () => {
    test('the thumbnail loads, the PDF is a card that downloads, the Files view lists both', async () => {
      const suffix = `${javaScript ? 'j' : 'n'}${width}`;
      const a = await person(`fay_${suffix}`, 'Fay Sender');
      const b = await person(`gus_${suffix}`, 'Gus Receiver');
      await connect(a, b);
      const aContext = await h.context({ javaScript, width });
      const bContext = await h.context({ javaScript, width });
      const problems: string[] = [];
      const fay = await logIn(aContext, `fay_${suffix}`);
      watchProblems(fay, problems);

      await fay.goto(`/u/gus_${suffix}`);
      await fay.getByRole('button', { name: 'Message Gus Receiver' }).click();
      await fay.waitForURL(/\/messages\/\d+$/);
      const conversation = Number(/\/messages\/(\d+)$/.exec(fay.url())![1]);

      // Choose the files through the composer's own input, write, send.
      await fay.setInputFiles('#composer-files', [
        { name: 'sunset.jpg', mimeType: 'image/jpeg', buffer: photo },
        { name: 'floor-plan.pdf', mimeType: 'application/pdf', buffer: PDF },
      ]);
      await fay.getByLabel('Write a message to Gus Receiver').fill(`The view and the plan (${label})`);
      if (javaScript) {
        // With JS the chosen files are listed in the composer before sending.
        await fay.locator('[data-attach-list]').getByText('sunset.jpg').waitFor();
        await fay.locator('[data-attach-list]').getByText('floor-plan.pdf').waitFor();
        await fay.screenshot({ path: shot(`attachments-composer-${label}`) });
      }
      await fay.getByRole('button', { name: 'Send' }).click();

      const mine = fay.locator('#thread-messages li[data-message-id]').last();
      await mine.locator('[data-attachments]').waitFor();
      if (javaScript) {
        assert.match(fay.url(), /\/messages\/\d+$/, 'htmx: no page load');
        assert.equal(await fay.getByLabel('Write a message to Gus Receiver').inputValue(), '', 'the composer clears');
        assert.equal(await fay.locator('#composer-files').evaluate((el) => (el as HTMLInputElement).files?.length ?? 0), 0, 'and forgets the files');
      } else {
        assert.match(fay.url(), /#m-\d+$/, 'without JS: Post/Redirect/Get to the new message');
      }
      assert.match((await mine.textContent()) ?? '', /The view and the plan/);

      // The thumbnail: lazy, loaded, at most 320 px, linking to the display size.
      const thumb = mine.locator('a[data-attachment-id] img[loading="lazy"]');
      assert.equal(await thumb.count(), 1);
      assert.equal(await thumb.getAttribute('alt'), 'sunset.jpg');
      const size = await loadedSize(thumb);
      assert.ok(size.width > 0 && size.width <= 320 && size.height <= 320, `a thumbnail (${size.width}×${size.height})`);
      const box = await thumb.boundingBox();
      assert.ok(box && box.width > 50 && box.height > 30, `the thumbnail is drawn at a visible size (${JSON.stringify(box)})`);

      // The PDF: a card with its name, type and size that downloads the file.
      const card = mine.locator('a[download][data-attachment-id]');
      assert.equal(await card.count(), 1);
      const cardText = (await card.innerText()).replace(/\s+/g, ' ');
      assert.match(cardText, /floor-plan\.pdf/);
      assert.match(cardText, /PDF · \d+ bytes/);
      const [download] = await Promise.all([fay.waitForEvent('download'), card.click()]);
      assert.equal(download.suggestedFilename(), 'floor-plan.pdf');
      await fay.screenshot({ path: shot(`attachments-thread-sent-${label}`) });

      // The other side sees the same: a loaded thumbnail and the card.
      const gus = await logIn(bContext, `gus_${suffix}`);
      watchProblems(gus, problems);
      await gus.goto(`/messages/${conversation}`);
      const theirs = gus.locator('#thread-messages li[data-message-id]').last();
      await loadedSize(theirs.locator('img[loading="lazy"]'));
      assert.match(await theirs.locator('a[download]').innerText(), /floor-plan\.pdf/);
      await gus.screenshot({ path: shot(`attachments-thread-received-${label}`) });

      // The image link opens the display size (a new tab): an image, not a page.
      const displayUrl = await theirs.locator('a[data-attachment-id]:has(img)').getAttribute('href');
      assert.match(displayUrl ?? '', new RegExp(`^/messages/${conversation}/files/\\d+$`));
      const display = await gus.request.get(displayUrl!);
      assert.equal(display.status(), 200);
      assert.equal(display.headers()['content-type'], 'image/jpeg');
      const meta = await sharp(await display.body()).metadata();
      assert.deepEqual([meta.width, meta.height], [1200, 800]);

      // The Files view, from the thread's menu.
      await gus.getByRole('button', { name: 'Conversation options' }).or(gus.locator('summary[aria-label="Conversation options"]')).first().click();
      await gus.getByRole('link', { name: 'Files', exact: true }).click();
      await gus.waitForURL(new RegExp(`/messages/${conversation}/files$`));
      const items = gus.locator('[data-files] > li');
      assert.equal(await items.count(), 2);
      assert.deepEqual(await items.evaluateAll((els) => els.map((el) => el.getAttribute('data-file-name'))), ['floor-plan.pdf', 'sunset.jpg']);
      await loadedSize(gus.locator('[data-files] img').first());
      assert.match(await gus.locator('h1').innerText(), /Files with Fay Sender/);
      await gus.screenshot({ path: shot(`attachments-files-${label}`), fullPage: true });

      for (const page of [fay, gus]) {
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 0, `no sideways scrolling on ${page.url()} (${overflow}px)`);
      }
      assert.deepEqual(problems, []);
      await aContext.close();
      await bContext.close();
    });
  });
}

describe('a refused file in the browser', () => {
  test('an HTML page renamed .txt is refused with the reason, the text kept (JS on and off)', async () => {
    for (const javaScript of [true, false]) {
      const suffix = javaScript ? 'rj' : 'rn';
      const a = await person(`hal_${suffix}`, 'Hal Sender');
      const b = await person(`ivy_${suffix}`, 'Ivy Receiver');
      await connect(a, b);
      const context = await h.context({ javaScript, width: 390 });
      const page = await logIn(context, `hal_${suffix}`);
      await page.goto(`/u/ivy_${suffix}`);
      await page.getByRole('button', { name: 'Message Ivy Receiver' }).click();
      await page.waitForURL(/\/messages\/\d+$/);
      await page.setInputFiles('#composer-files', [{ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('<!DOCTYPE html><html><body><script>alert(1)</script></body></html>') }]);
      await page.getByLabel('Write a message to Ivy Receiver').fill('see attached');
      await page.getByRole('button', { name: 'Send' }).click();
      await page.locator('#composer-error', { hasText: /web pages, SVG and XML files can.t be sent/ }).waitFor();
      assert.equal(await page.getByLabel('Write a message to Ivy Receiver').inputValue(), 'see attached');
      assert.equal(await page.locator('#thread-messages li[data-message-id]').count(), 0);
      await page.screenshot({ path: shot(`attachments-refused-${javaScript ? 'js' : 'nojs'}-390`) });
      await context.close();
    }
  });
});
