import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { seedDemo } from '../../src/seed/demo.js';
import { shot, startBrowserHarness, type BrowserHarness } from '../support/browser.js';

let h: BrowserHarness;
before(async () => {
  h = await startBrowserHarness();
  await seedDemo(h.database.hostDb);
});

for (const width of [390, 1280]) {
  test(`a newcomer logs in as a demo user and looks around (${width} px)`, async () => {
    const context = await h.context({ javaScript: true, width });
    const page = await context.newPage();
    const failures: string[] = [];
    page.on('response', (res) => res.status() >= 400 && failures.push(`${res.status()} ${res.url()}`));
    page.on('console', (msg) => msg.type() === 'error' && failures.push(msg.text()));

    await page.goto('/connections');
    await page.waitForURL(/\/login\?next=%2Fconnections/);
    await page.screenshot({ path: shot(`demo-login-${width}`), fullPage: true });
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill('courier-demo');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(/\/connections$/);

    // Seeded state: two invitations to Alice, two connections, one request she sent.
    assert.equal(await page.locator('[data-list="received"] li').count(), 2);
    assert.equal(await page.locator('[data-list="connections"] li').count(), 2);
    assert.equal(await page.locator('[data-list="sent"] li').count(), 1);
    const photos = page.locator('main img');
    assert.ok((await photos.count()) >= 3, 'demo people have photos');
    await page.waitForFunction(() => [...document.querySelectorAll('main img')].every((img) => (img as HTMLImageElement).complete));
    for (const img of await photos.all()) {
      assert.ok(await img.evaluate((el) => (el as HTMLImageElement).naturalWidth > 0), 'every photo decodes');
    }
    await page.screenshot({ path: shot(`demo-connections-${width}`), fullPage: true });

    await page.goto('/people');
    await page.screenshot({ path: shot(`demo-people-${width}`), fullPage: true });
    await page.goto('/u/bob');
    await page.locator('[data-profile-actions] [data-state="connected"]').waitFor();
    await page.screenshot({ path: shot(`demo-profile-${width}`), fullPage: true });
    await page.goto('/settings');
    await page.screenshot({ path: shot(`demo-settings-${width}`), fullPage: true });

    // The account menu is a <details>: it opens and closes from the keyboard.
    await page.getByLabel('Your account').focus();
    await page.keyboard.press('Enter');
    await page.getByRole('link', { name: 'Settings' }).waitFor();
    await page.screenshot({ path: shot(`demo-menu-${width}`) });
    await page.keyboard.press('Escape');
    assert.equal(await page.locator('header details').getAttribute('open'), null);

    assert.deepEqual(failures, []);
    await context.close();
  });
}
