import assert from 'node:assert/strict';
import { test } from 'node:test';
import { linkify } from '../../src/http/linkify.js';

// Links in message text (issue 15, item 5): only http(s) and www. links become anchors; the text
// around them, and the links themselves, are escaped as the templates escape.

const a = (href: string, text = href) => `<a href="${href}" rel="noopener noreferrer nofollow ugc" target="_blank">${text}</a>`;

test('web links become anchors; sentence punctuation and unopened brackets stay outside', () => {
  assert.equal(linkify('see https://example.org/a.'), `see ${a('https://example.org/a')}.`);
  assert.equal(linkify('(https://x.org/path)'), `(${a('https://x.org/path')})`);
  assert.equal(linkify('https://en.wikipedia.org/wiki/Foo_(bar)!'), `${a('https://en.wikipedia.org/wiki/Foo_(bar)')}!`);
  assert.equal(linkify('www.courier.test/help, ok'), `${a('https://www.courier.test/help', 'www.courier.test/help')}, ok`);
  assert.equal(linkify('http://a.org?x=1&y=2'), a('http://a.org/?x=1&amp;y=2', 'http://a.org?x=1&amp;y=2'));
});

test('nothing else becomes a link, and nothing escapes its text', () => {
  assert.equal(linkify('javascript:alert(1) data:text/html,x'), 'javascript:alert(1) data:text/html,x');
  assert.equal(linkify('xhttps://no.org'), 'xhttps://no.org');
  assert.equal(linkify('<b>bold</b> & "quotes" \'too\''), '&lt;b&gt;bold&lt;/b&gt; &amp; &quot;quotes&quot; &#39;too&#39;');
  assert.equal(linkify('https://a.org/"onmouseover=alert(1)'), `${a('https://a.org/')}&quot;onmouseover=alert(1)`);
  assert.equal(linkify('https://a.org/<script>'), `${a('https://a.org/')}&lt;script&gt;`);
  assert.equal(linkify('Tom &amp; Jerry'), 'Tom &amp;amp; Jerry');
});
