// The composer: form#composer and its box #composer-body. A send shows at once in the thread as a
// "Sending…" bubble (li[data-pending]) that the server's message replaces; Send is disabled while
// it travels (hx-disabled-elt, and hx-sync drops a second tap). A send that fails on the way
// (network, server error) leaves the bubble saying so, with Retry: the same form data, the same
// client_id, so the server still makes one message. A refusal (empty, too long, too fast) takes
// the bubble back and puts the text back in the box, marked invalid and pointing at the reason,
// as without JS. Enter sends, Shift+Enter starts a new line (on devices with a physical keyboard).
// The box grows with its text (CSS field-sizing; sized here where that is missing) and counts its
// characters near the limit.
var LIMIT = 5000;
var COUNT_FROM = 4500;
var growsByItself = window.CSS && window.CSS.supports && window.CSS.supports('field-sizing', 'content');

function codePoints(text) { return Array.from(text).length; }
function number(n) { return n.toLocaleString('en'); }

// randomUUID exists only on HTTPS (and localhost); elsewhere the next send goes without an id.
function newClientId() { return window.crypto.randomUUID ? window.crypto.randomUUID() : ''; }

function grow(box) {
  if (growsByItself) return;
  box.style.height = 'auto';
  box.style.height = box.scrollHeight + 2 + 'px';
}

// The counter under the box (a polite live region, there from the start so it is heard): drawn
// from 4,500 characters, red past 5,000.
function setUpCounter(box) {
  if (document.getElementById('composer-count')) return;
  var counter = document.createElement('p');
  counter.id = 'composer-count';
  counter.className = 'text-right text-xs';
  counter.setAttribute('aria-live', 'polite');
  box.parentNode.insertAdjacentElement('afterend', counter);
}
function count(box) {
  var counter = document.getElementById('composer-count');
  if (!counter) return;
  var length = codePoints(box.value);
  counter.textContent = length >= COUNT_FROM ? number(length) + ' / 5,000' : '';
  counter.classList.toggle('text-red-700', length > LIMIT);
  counter.classList.toggle('text-slate-500', length <= LIMIT);
}

function setUp(root) {
  var box = root.querySelector ? root.querySelector('#composer-body') : null;
  if (!box) return;
  setUpCounter(box);
  count(box);
  grow(box);
}
document.addEventListener('DOMContentLoaded', function () { setUp(document); });
document.addEventListener('htmx:load', function (event) { setUp(event.target); });
document.addEventListener('input', function (event) {
  if (event.target.id !== 'composer-body') return;
  grow(event.target);
  count(event.target);
});

function showError(form, text) {
  var box = form.querySelector('textarea');
  form.querySelector('#composer-error').textContent = text;
  box.setAttribute('aria-invalid', 'true');
  box.setAttribute('aria-describedby', 'composer-error');
  box.classList.add('field-invalid');
}
function clearError(form) {
  var box = form.querySelector('textarea');
  form.querySelector('#composer-error').textContent = '';
  box.removeAttribute('aria-invalid');
  box.classList.remove('field-invalid');
}

// The bubble of a message on its way: the typed text as text (never HTML), and its state.
function pendingBubble(text) {
  var li = document.createElement('li');
  li.className = 'msg mine';
  li.innerHTML = '<div class="msg-col"><p class="bubble"></p><div class="msg-meta"></div></div>';
  li.querySelector('.bubble').textContent = text.trim() ? text : 'Files';
  setPendingState(li, 'sending');
  return li;
}
function setPendingState(li, state) {
  li.setAttribute('data-pending', state);
  var meta = li.querySelector('.msg-meta');
  meta.textContent = '';
  var status = document.createElement('span');
  status.setAttribute('role', 'status');
  status.textContent = state === 'sending' ? 'Sending…' : 'Not sent.';
  if (state !== 'sending') status.className = 'font-medium text-red-700';
  meta.appendChild(status);
  if (state === 'failed') {
    var retry = document.createElement('button');
    retry.type = 'button';
    retry.className = 'btn btn-quiet min-h-11 text-brand-700';
    retry.setAttribute('data-retry', '');
    retry.textContent = 'Retry';
    meta.appendChild(retry);
  }
}

// The thread scrolls in reverse (column-reverse): its newest end is scrollTop 0.
function scrollToNewest() {
  var scroller = document.getElementById('thread-scroll');
  if (scroller) scroller.scrollTop = 0;
}

document.addEventListener('htmx:beforeRequest', function (event) {
  var form = event.detail.elt;
  if (!form || form.id !== 'composer') return;
  var box = form.querySelector('textarea');
  var length = codePoints(box.value);
  // Past the limit nothing is sent: the text stays to be shortened.
  if (length > LIMIT) {
    event.preventDefault();
    showError(form, 'Messages are at most 5,000 characters; this one has ' + number(length) + '. Shorten it by ' + number(length - LIMIT) + ' to send it.');
    box.focus();
    return;
  }
  var list = document.getElementById('thread-messages');
  var config = event.detail.requestConfig;
  if (!list || !config) return;
  var li = pendingBubble(box.value);
  li.sentText = box.value.replace(/\r\n?/g, '\n');
  li.sentForm = config.formData;
  li.sentAction = form.getAttribute('hx-post');
  li.sentMultipart = form.getAttribute('hx-encoding') === 'multipart/form-data';
  config.pending = li;
  list.appendChild(li);
  scrollToNewest();
  // The next message gets its own id at once (the answer brings the server's one too).
  var id = form.querySelector('[name="client_id"]');
  if (id) id.value = newClientId();
  box.value = '';
  grow(box);
  count(box);
});

// The answer takes the bubble's place.
document.addEventListener('htmx:beforeSwap', function (event) {
  var config = event.detail.requestConfig;
  var li = config && config.pending;
  if (!li || !li.isConnected || event.detail.xhr.status !== 200) return;
  event.detail.target = li;
  event.detail.swapOverride = 'outerHTML';
});

document.addEventListener('htmx:afterRequest', function (event) {
  var form = event.detail.elt;
  if (!form || form.id !== 'composer') return;
  var box = form.querySelector('textarea');
  var xhr = event.detail.xhr;
  var li = event.detail.requestConfig && event.detail.requestConfig.pending;
  if (event.detail.successful) {
    Courier.clearAttachments(form);
    clearError(form);
  } else if (xhr && xhr.status >= 400 && xhr.status < 500) {
    // Refused, nothing stored: the text goes back in the box (unless a new one is being typed).
    if (li) {
      li.remove();
      if (!box.value) box.value = li.sentText;
      grow(box);
      count(box);
    }
    showError(form, form.querySelector('#composer-error').textContent);
  } else if (li && li.isConnected) {
    // Lost on the way or a server fault: perhaps stored, perhaps not. Retry sends the same id.
    setPendingState(li, 'failed');
    Courier.clearAttachments(form);
    if (xhr && xhr.status >= 500) clearError(form);
  }
  box.focus();
  if (event.detail.successful) scrollToNewest();
});

// A live copy of my own message can come before the answer: it takes the bubble's place, so the
// message never shows twice (the answer then replaces the live copy: see live.js). A failed
// bubble stays: its Retry answers with that same message, which then replaces both.
document.addEventListener('htmx:oobBeforeSwap', function (event) {
  var incoming = event.detail.fragment && event.detail.fragment.firstElementChild;
  var pending = document.querySelector('#thread-messages li[data-pending="sending"]');
  if (pending && incoming && /^m-\d+$/.test(incoming.id) && incoming.classList.contains('mine')) pending.remove();
});

// Retry: the same fields (client_id among them) again; the answer takes the bubble's place.
document.addEventListener('click', function (event) {
  var button = event.target.closest && event.target.closest('[data-retry]');
  var li = button && button.closest('li[data-pending]');
  if (!li || !li.sentForm) return;
  setPendingState(li, 'sending');
  var body = li.sentMultipart ? li.sentForm : new window.URLSearchParams(li.sentForm);
  fetch(li.sentAction, { method: 'POST', headers: Courier.requestHeaders(), credentials: 'same-origin', body: body })
    .then(function (response) {
      return response.text().then(function (html) {
        if (!li.isConnected) return;
        if (response.status !== 200) return setPendingState(li, 'failed');
        var match = /id="m-(\d+)"/.exec(html);
        var drawn = match && document.getElementById('m-' + match[1]);
        if (drawn) drawn.remove();
        htmx.swap(li, html, { swapStyle: 'outerHTML', swapDelay: 0, settleDelay: 0 });
      });
    })
    .catch(function () { if (li.isConnected) setPendingState(li, 'failed'); });
});

document.addEventListener('keydown', function (event) {
  var box = event.target;
  if (box.id !== 'composer-body' || event.key !== 'Enter' || event.shiftKey || event.isComposing) return;
  if (window.matchMedia('(pointer: coarse)').matches) return;
  event.preventDefault();
  var files = box.form.querySelector('[data-attach-input]');
  if (box.value.trim() || (files && files.files.length)) box.form.requestSubmit();
});
