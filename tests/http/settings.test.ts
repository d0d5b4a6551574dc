import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import sharp from 'sharp';
import { csrfToken, html, startTestApp, type Agent, type TestApp } from '../support/app.js';

let t: TestApp;
before(async () => {
  t = await startTestApp();
});

const userRow = (username: string) =>
  t.db.selectFrom('users').select(['id', 'display_name', 'avatar_version']).where('username', '=', username).executeTakeFirstOrThrow();

const avatarRows = (userId: number) => t.db.selectFrom('user_avatars').select('user_id').where('user_id', '=', userId).execute();

/** Collects any response body as raw bytes (images are not text). */
const binary = (res: unknown, done: (err: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  const stream = res as NodeJS.ReadableStream;
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  stream.on('end', () => done(null, Buffer.concat(chunks)));
};

const fetchAvatar = (agent: Agent, path: string) => agent.get(path).buffer(true).parse(binary);

/** A JPEG straight from a "camera": EXIF with a copyright marker and a GPS position. */
const cameraJpeg = () =>
  sharp({ create: { width: 400, height: 300, channels: 3, background: '#3366cc' } })
    .jpeg()
    .withMetadata({
      exif: {
        IFD0: { Copyright: 'secret-marker', Artist: 'secret-marker' },
        IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 0/1', GPSLongitudeRef: 'W', GPSLongitude: '0/1 7/1 0/1' },
      },
    })
    .toBuffer();

const png = () => sharp({ create: { width: 120, height: 160, channels: 4, background: '#e0a020ff' } }).png().toBuffer();

describe('GET /settings', () => {
  test('shows the form with my name', async () => {
    const agent = await t.userAgent('sally', 'Sally Settings');
    const res = await agent.get('/settings');
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type']!, /text\/html/);
    const $ = html(res.text);
    const form = $('form[action="/settings"]');
    assert.equal(form.length, 1);
    assert.equal(form.attr('method'), 'post');
    assert.equal(form.attr('enctype'), 'multipart/form-data');
    assert.equal(form.find('input[name=display_name]').val(), 'Sally Settings');
    assert.equal(form.find('input[type=file][name=avatar]').length, 1);
    assert.ok(form.find('input[name=_csrf]').val(), 'the form carries a CSRF token');
  });

  test('logged out: a redirect to the login form that comes back here', async () => {
    const res = await t.agent().get('/settings');
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, '/login?next=%2Fsettings');
  });
});

describe('POST /settings: the name', () => {
  test('changes the display name, whitespace collapsed, and redirects with a notice', async () => {
    const agent = await t.userAgent('nadia', 'Nadia Old');
    const token = await csrfToken(agent, '/settings');
    const res = await agent.post('/settings').field('_csrf', token).field('display_name', '  Nadia \t  New\n Name  ');
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, '/settings');
    assert.equal((await userRow('nadia')).display_name, 'Nadia New Name');

    const page = await agent.get('/settings');
    const $ = html(page.text);
    assert.equal($('#display_name').val(), 'Nadia New Name');
    assert.match($('[role=status]').text(), /saved/i, 'a flash notice after the redirect');
    const again = await agent.get('/settings');
    assert.equal(html(again.text)('[role=status]').length, 0, 'the notice is shown once');
  });

  test('a name of exactly 50 code points (astral characters) is accepted', async () => {
    const agent = await t.userAgent('fifty');
    const token = await csrfToken(agent, '/settings');
    const name = '😀'.repeat(50);
    const res = await agent.post('/settings').field('_csrf', token).field('display_name', name);
    assert.equal(res.status, 303);
    assert.equal((await userRow('fifty')).display_name, name);
  });

  test('an empty name is a 400 with the form again and what to fix', async () => {
    const agent = await t.userAgent('emptyname', 'Keeps This');
    const token = await csrfToken(agent, '/settings');
    const res = await agent.post('/settings').field('_csrf', token).field('display_name', '   ');
    assert.equal(res.status, 400);
    const $ = html(res.text);
    assert.equal($('#display_name').val(), '   ', 'the typed text is kept');
    assert.ok($('#display_name-error').text().trim().length > 0, 'an error says what to fix');
    assert.equal($('#display_name').attr('aria-invalid'), 'true');
    assert.equal((await userRow('emptyname')).display_name, 'Keeps This');
  });

  test('a name of 51 code points is a 400 with the typed text kept', async () => {
    const agent = await t.userAgent('longname', 'Short');
    const token = await csrfToken(agent, '/settings');
    const typed = 'é'.repeat(25) + '😀'.repeat(26);
    assert.equal([...typed].length, 51);
    const res = await agent.post('/settings').field('_csrf', token).field('display_name', typed);
    assert.equal(res.status, 400);
    const $ = html(res.text);
    assert.equal($('#display_name').val(), typed);
    assert.match($('#display_name-error').text(), /50/);
    assert.equal((await userRow('longname')).display_name, 'Short');
  });

  test('typed text is escaped when shown again', async () => {
    const agent = await t.userAgent('escaper', 'Escaper');
    const token = await csrfToken(agent, '/settings');
    const typed = '"><script>alert(1)</script>' + 'x'.repeat(40);
    const res = await agent.post('/settings').field('_csrf', token).field('display_name', typed);
    assert.equal(res.status, 400);
    assert.ok(!res.text.includes('<script>alert(1)</script>'));
    assert.equal(html(res.text)('#display_name').val(), typed);
  });
});

describe('POST /settings: the photo', () => {
  test('a JPEG with EXIF/GPS is stored as WebP, without the metadata, at immutable URLs', async () => {
    const agent = await t.userAgent('photo', 'Photo Person');
    const id = (await userRow('photo')).id;
    const jpeg = await cameraJpeg();
    assert.ok(jpeg.includes('secret-marker'), 'the upload really carries the marker');
    assert.ok((await sharp(jpeg).metadata()).exif, 'the upload really carries EXIF');

    const token = await csrfToken(agent, '/settings');
    const res = await agent
      .post('/settings')
      .field('_csrf', token)
      .field('display_name', 'Photo Person')
      .attach('avatar', jpeg, { filename: 'camera.jpg', contentType: 'image/jpeg' });
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, '/settings');

    const row = await userRow('photo');
    assert.equal(row.avatar_version, 1);
    assert.equal((await avatarRows(id)).length, 1);

    for (const [size, pixels] of [
      ['large', 256],
      ['small', 96],
    ] as const) {
      const image = await fetchAvatar(agent, `/avatars/${id}/1/${size}.webp`);
      assert.equal(image.status, 200, `${size} is served`);
      assert.match(image.headers['content-type']!, /^image\/webp/);
      assert.match(image.headers['cache-control']!, /immutable/);
      const bytes = image.body as Buffer;
      assert.ok(Buffer.isBuffer(bytes) && bytes.length > 0);
      assert.equal(bytes.subarray(0, 4).toString('latin1'), 'RIFF');
      assert.equal(bytes.subarray(8, 12).toString('latin1'), 'WEBP');
      assert.ok(!bytes.includes('secret-marker'), 'the EXIF marker is gone');
      const meta = await sharp(bytes).metadata();
      assert.equal(meta.format, 'webp');
      assert.equal(meta.exif, undefined, 'no EXIF in the served image');
      assert.equal(meta.xmp, undefined);
      assert.equal(meta.width, pixels);
      assert.equal(meta.height, pixels);
    }

    const page = html((await agent.get('/settings')).text);
    assert.ok(page(`img[src="/avatars/${id}/1/large.webp"]`).length >= 1, 'the settings page shows the new photo');
    assert.equal(page('input[type=checkbox][name=remove_avatar]').length, 1, 'and offers to remove it');
  });

  test('a second upload bumps the version and the old URL is gone', async () => {
    const agent = await t.userAgent('twice', 'Twice Uploaded');
    const id = (await userRow('twice')).id;
    const upload = async (bytes: Buffer, filename: string, contentType: string) =>
      agent
        .post('/settings')
        .field('_csrf', await csrfToken(agent, '/settings'))
        .field('display_name', 'Twice Uploaded')
        .attach('avatar', bytes, { filename, contentType });

    assert.equal((await upload(await cameraJpeg(), 'one.jpg', 'image/jpeg')).status, 303);
    assert.equal((await userRow('twice')).avatar_version, 1);
    const first = await fetchAvatar(agent, `/avatars/${id}/1/large.webp`);
    assert.equal(first.status, 200);

    assert.equal((await upload(await png(), 'two.png', 'image/png')).status, 303);
    assert.equal((await userRow('twice')).avatar_version, 2);
    assert.equal((await avatarRows(id)).length, 1, 'still one stored photo');

    assert.equal((await agent.get(`/avatars/${id}/1/large.webp`)).status, 404);
    assert.equal((await agent.get(`/avatars/${id}/1/small.webp`)).status, 404);
    const second = await fetchAvatar(agent, `/avatars/${id}/2/large.webp`);
    assert.equal(second.status, 200);
    assert.notDeepEqual(second.body, first.body, 'the new URL serves the new photo');
    assert.equal((await agent.get(`/avatars/${id}/3/large.webp`)).status, 404, 'a future version is not served');
  });

  test('a text file named photo.png and sent as image/png is a 400 and nothing is stored', async () => {
    const agent = await t.userAgent('faker', 'Faker Person');
    const id = (await userRow('faker')).id;
    const token = await csrfToken(agent, '/settings');
    const res = await agent
      .post('/settings')
      .field('_csrf', token)
      .field('display_name', 'Renamed Meanwhile')
      .attach('avatar', Buffer.from('<!doctype html><html><body><script>alert(1)</script></body></html>'), {
        filename: 'photo.png',
        contentType: 'image/png',
      });
    assert.equal(res.status, 400);
    const $ = html(res.text);
    assert.match($('#avatar-error').text(), /JPEG|PNG|image/i, 'a clear error about the photo');
    assert.equal($('#avatar').attr('aria-invalid'), 'true');
    assert.equal($('#display_name').val(), 'Renamed Meanwhile', 'the typed name is kept');
    const row = await userRow('faker');
    assert.equal(row.avatar_version, null);
    assert.equal(row.display_name, 'Faker Person', 'nothing changes, not even the name');
    assert.equal((await avatarRows(id)).length, 0);
  });

  test('a file over 8 MB is a 413 and nothing is stored', async () => {
    const agent = await t.userAgent('bigfile', 'Big File');
    const id = (await userRow('bigfile')).id;
    const token = await csrfToken(agent, '/settings');
    const big = Buffer.alloc(8 * 1024 * 1024 + 1024, 0);
    (await png()).copy(big);
    const res = await agent
      .post('/settings')
      .field('_csrf', token)
      .field('display_name', 'Big File Renamed')
      .attach('avatar', big, { filename: 'huge.png', contentType: 'image/png' });
    assert.equal(res.status, 413);
    const row = await userRow('bigfile');
    assert.equal(row.avatar_version, null);
    assert.equal(row.display_name, 'Big File');
    assert.equal((await avatarRows(id)).length, 0);
  });

  test('remove_avatar=on removes the photo and initials are shown', async () => {
    const agent = await t.userAgent('remy', 'Remy Photo');
    const id = (await userRow('remy')).id;
    let res = await agent
      .post('/settings')
      .field('_csrf', await csrfToken(agent, '/settings'))
      .field('display_name', 'Remy Photo')
      .attach('avatar', await png(), { filename: 'me.png', contentType: 'image/png' });
    assert.equal(res.status, 303);
    assert.equal((await userRow('remy')).avatar_version, 1);

    res = await agent
      .post('/settings')
      .field('_csrf', await csrfToken(agent, '/settings'))
      .field('display_name', 'Remy Photo')
      .field('remove_avatar', 'on');
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, '/settings');
    assert.equal((await userRow('remy')).avatar_version, null);
    assert.equal((await avatarRows(id)).length, 0);
    assert.equal((await agent.get(`/avatars/${id}/1/large.webp`)).status, 404);

    const $ = html((await agent.get('/settings')).text);
    assert.equal($('img[src^="/avatars/"]').length, 0, 'no photo anywhere on the page');
    assert.ok($('main').text().includes('RP'), 'the initials stand in for the photo');
    assert.equal($('input[name=remove_avatar]').length, 0);
  });
});

describe('POST /settings: CSRF and login', () => {
  test('multipart without _csrf: 403 and nothing changes', async () => {
    const agent = await t.userAgent('nocsrf', 'No Csrf');
    const id = (await userRow('nocsrf')).id;
    await agent.get('/settings');
    const res = await agent
      .post('/settings')
      .field('display_name', 'Changed Anyway')
      .attach('avatar', await png(), { filename: 'me.png', contentType: 'image/png' });
    assert.equal(res.status, 403);
    const row = await userRow('nocsrf');
    assert.equal(row.display_name, 'No Csrf');
    assert.equal(row.avatar_version, null);
    assert.equal((await avatarRows(id)).length, 0);
  });

  test('multipart with a wrong _csrf: 403 and nothing changes', async () => {
    const agent = await t.userAgent('badcsrf', 'Bad Csrf');
    await agent.get('/settings');
    const res = await agent.post('/settings').field('_csrf', 'not-the-token').field('display_name', 'Changed Anyway');
    assert.equal(res.status, 403);
    assert.equal((await userRow('badcsrf')).display_name, 'Bad Csrf');
  });

  test('urlencoded without _csrf: 403 and nothing changes', async () => {
    const agent = await t.userAgent('urlnocsrf', 'Url Nocsrf');
    await agent.get('/settings');
    const res = await agent.post('/settings').type('form').send({ display_name: 'Changed Anyway' });
    assert.equal(res.status, 403);
    assert.equal((await userRow('urlnocsrf')).display_name, 'Url Nocsrf');
  });

  test('a token from another session is refused', async () => {
    const mallory = await t.userAgent('mallory', 'Mallory');
    const victim = await t.userAgent('victim', 'Victim');
    const token = await csrfToken(mallory, '/settings');
    await victim.get('/settings');
    const res = await victim.post('/settings').field('_csrf', token).field('display_name', 'Pwned');
    assert.equal(res.status, 403);
    assert.equal((await userRow('victim')).display_name, 'Victim');
  });

  test('logged out: POST is a 401, whatever the CSRF token', async () => {
    const agent = t.agent();
    const multipart = await agent.post('/settings').field('display_name', 'Nobody');
    assert.equal(multipart.status, 401);
    const form = await agent.post('/settings').type('form').send({ display_name: 'Nobody' });
    assert.equal(form.status, 401);
  });
});
