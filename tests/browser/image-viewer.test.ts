import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import sharp from 'sharp';
import { hashPassword } from '../../src/auth/password.js';
import { logInPage, shot, startBrowserHarness, type BrowserHarness } from '../support/browser.js';

// Images open in the page (issue 15): a viewer over the thread that steps through the thread's
// images with the keyboard, its buttons or a swipe, and gives focus back on close; without JS an
// image link opens the image.

const PASSWORD = 'a long enough password';
let h: BrowserHarness;
const photos: Buffer[] = [];

before(async () => {
  h = await startBrowserHarness();
  for (const colour of ['#1e3a8a', '#b91c1c', '#047857']) {
    photos.push(await sharp({ create: { width: 900, height: 600, channels: 3, background: colour } }).jpeg().toBuffer());
  }
});

async function pair(tag: string) {
  const passwordHash = await hashPassword(PASSWORD);
  const rows = await h.database.db
    .insertInto('users')
    .values([
      { username: `iv_a${tag}`, display_name: 'Ivy Viewer', password_hash: passwordHash },
      { username: `iv_b${tag}`, display_name: 'Hal Photos', password_hash: passwordHash },
    ])
    .returning('id')
    .execute();
  const [a, b] = rows.map((r) => r.id) as [number, number];
  await h.database.db.insertInto('connections').values({ user_low: Math.min(a, b), user_high: Math.max(a, b), requested_by: a, status: 'accepted', accepted_at: new Date() }).execute();
  return { me: `iv_a${tag}`, other: `iv_b${tag}` };
}

for (const width of [1280, 390]) {
  test(`the image viewer steps through the thread's images and closes back to the thumbnail (${width} px)`, async () => {
    const { me, other } = await pair(`j${width}`);
    const context = await h.context({ javaScript: true, width });
    const page = await logInPage(context, me, PASSWORD);
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(err.message));
    await page.goto(`/u/${other}`);
    await page.getByRole('button', { name: 'Message Hal Photos' }).click();
    await page.waitForURL(/\/messages\/\d+$/);
    await page.setInputFiles('#composer-files', photos.map((buffer, i) => ({ name: `photo-${i + 1}.jpg`, mimeType: 'image/jpeg', buffer })));
    await page.getByRole('button', { name: 'Send' }).click();
    const links = page.locator('#thread-messages a[data-image]');
    await links.nth(2).waitFor();

    await links.nth(1).click();
    const viewer = page.locator('dialog.viewer[open]');
    await viewer.waitFor();
    assert.equal(await viewer.locator('.viewer-count').innerText(), '2 of 3');
    assert.equal(await viewer.locator('.viewer-image').getAttribute('alt'), 'photo-2.jpg');
    await page.waitForFunction(() => {
      const img = document.querySelector('dialog.viewer .viewer-image') as HTMLImageElement | null;
      return !!img && img.complete && img.naturalWidth > 0;
    });
    await page.screenshot({ path: shot(`image-viewer-${width}`) });
    await page.keyboard.press('ArrowRight');
    assert.equal(await viewer.locator('.viewer-count').innerText(), '3 of 3');
    assert.equal(await viewer.getByRole('button', { name: 'Next image' }).isVisible(), false, 'no next after the last');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    assert.equal(await viewer.locator('.viewer-count').innerText(), '1 of 3');
    await viewer.getByRole('button', { name: 'Next image' }).click();
    assert.equal(await viewer.locator('.viewer-count').innerText(), '2 of 3');
    // A swipe to the left is the next image.
    const stage = await viewer.locator('.viewer-stage').boundingBox();
    assert.ok(stage);
    const y = stage.y + stage.height / 2;
    await page.mouse.move(stage.x + stage.width * 0.7, y);
    await page.mouse.down();
    await page.mouse.move(stage.x + stage.width * 0.3, y, { steps: 5 });
    await page.mouse.up();
    assert.equal(await viewer.locator('.viewer-count').innerText(), '3 of 3');
    // Everything it offers is a comfortable tap.
    for (const name of ['Close', 'Previous image', 'Open the original']) {
      const box = await viewer.getByRole(name === 'Open the original' ? 'link' : 'button', { name }).boundingBox();
      assert.ok(box && box.width >= 44 && box.height >= 44, `${name}: ${JSON.stringify(box)}`);
    }
    await page.keyboard.press('Escape');
    await viewer.waitFor({ state: 'detached' });
    assert.equal(await links.nth(1).evaluate((el) => el === document.activeElement), true, 'focus back on the thumbnail it opened from');
    assert.deepEqual(problems, []);
    await context.close();
  });
}

test('without JavaScript an image link opens the image itself', async () => {
  const { me, other } = await pair('n390');
  const context = await h.context({ javaScript: false, width: 390 });
  const page = await logInPage(context, me, PASSWORD);
  await page.goto(`/u/${other}`);
  await page.getByRole('button', { name: 'Message Hal Photos' }).click();
  await page.waitForURL(/\/messages\/\d+$/);
  await page.setInputFiles('#composer-files', [{ name: 'photo.jpg', mimeType: 'image/jpeg', buffer: photos[0]! }]);
  await page.getByRole('button', { name: 'Send' }).click();
  const link = page.locator('#thread-messages a[data-image]').first();
  await link.waitFor();
  assert.match((await link.getAttribute('href')) ?? '', /^\/messages\/\d+\/files\/\d+$/);
  assert.equal(await page.locator('dialog.viewer').count(), 0);
  await context.close();
});
