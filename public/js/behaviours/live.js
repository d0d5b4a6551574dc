// Live events: the page's stream (<body sse-connect="/events">, htmx's sse extension) and what it
// swaps in out of band. Events are hints; the page then draws from the server's own partials or
// asks for a fresh part. Acts on #thread-tail (the open thread's poll, refreshed here), the badge
// #messages-badge, [data-typing] and [data-presence-user]; what lands in the landing places is put
// in place by live-landing.js. Tells the server what the page shows (POST /messages/view, X-Stream).
var live = false;
var everOpened = false;

var openThread = Courier.openThread;

// A refresh asked for while one is in flight runs once that one is done: its answer may
// predate the change that prompted the second ask (and a swapped-out element forgets queues).
var tailBusy = false;
var tailAgain = false;
function refreshTail() {
  var tail = document.getElementById('thread-tail');
  if (!tail) return;
  if (tailBusy) {
    tailAgain = true;
    return;
  }
  htmx.trigger(tail, 'refresh');
}
document.addEventListener('htmx:beforeSend', function (event) {
  if (event.detail.elt && event.detail.elt.id === 'thread-tail') tailBusy = true;
});
function tailDone() {
  tailBusy = false;
  if (tailAgain) {
    tailAgain = false;
    setTimeout(refreshTail, 0);
  }
}
// An answer that swaps in a new tail ends on the new element (the old one is detached, so its
// own events never reach the document); a 304 or an error ends on the old one.
document.addEventListener('htmx:load', function (event) {
  if (event.target.id === 'thread-tail') tailDone();
});
document.addEventListener('htmx:afterRequest', function (event) {
  if (event.detail.elt && event.detail.elt.id === 'thread-tail' && event.detail.elt.isConnected) tailDone();
});

// The open thread's poll marks messages seen only while the page is actually visible.
document.addEventListener('htmx:configRequest', function (event) {
  if (event.target.id === 'thread-tail' && document.visibilityState === 'visible') {
    event.detail.parameters.seen = '1';
  }
});

function refreshBadge() {
  var badge = document.getElementById('messages-badge');
  if (badge) htmx.trigger(badge, 'refresh');
}



// An event's data is one element (and what it holds): parsed without adding it to the page.
var firstElementOf = Courier.firstElementOf;



// Live events are out-of-band fragments the server drew; htmx swaps them. A message the page
// already shows (the one it just sent) is not appended twice; a changed message (deleted,
// reacted to) comes to replace itself, and does.
document.addEventListener('htmx:oobBeforeSwap', function (event) {
  var incoming = event.detail.fragment && event.detail.fragment.firstElementChild;
  var drawn = incoming && /^m-\d+$/.test(incoming.id || '') && document.getElementById(incoming.id);
  if (drawn && drawn !== event.detail.target) event.detail.shouldSwap = false;
});
// A sent message a live event already drew is not drawn twice: the answer's copy replaces it
// (the answer must still swap: it brings the next message's client id, out of band).
document.addEventListener('htmx:beforeSwap', function (event) {
  var source = event.detail.requestConfig && event.detail.requestConfig.elt;
  if (source && source.id === 'composer' && event.detail.xhr.status === 200) {
    var match = /id="m-(\d+)"/.exec(event.detail.serverResponse || '');
    var drawn = match && document.getElementById('m-' + match[1]);
    if (drawn) drawn.remove();
  }
});
document.addEventListener('htmx:sseMessage', function (event) {
  Courier.settleLive();
  // Their message came: their "typing…" ends.
  var thread = event.detail.type === 'message' && /\[data-thread='(\d+)'\]/.exec(event.detail.data || '');
  var typing = thread && openThread(thread[1]) && openThread(thread[1]).querySelector('[data-typing]');
  // In a group the others may still be at it: each one's "typing" lapses on its own.
  if (typing && event.detail.data.indexOf('class="msg mine') === -1 && !typing.hasAttribute('data-names')) showTyping(typing, false);
});

// The page tells the server what it shows (its stream's name, the conversation open at its
// newest messages, whether it is visible) when that changes: then the server decides what is
// seen, and sends a message's text only to pages that show its conversation.
var streamId = null;
var lastView = '';
function reportView() {
  if (!streamId) return;
  var thread = document.querySelector('[data-thread]');
  var c = thread && thread.querySelector('#thread-messages') ? thread.getAttribute('data-thread') : '';
  var visible = document.visibilityState === 'visible' ? '1' : '0';
  var key = streamId + ' ' + c + ' ' + visible;
  if (key === lastView) return;
  lastView = key;
  fetch('/messages/view', { method: 'POST', headers: Courier.requestHeaders(), credentials: 'same-origin', body: new window.URLSearchParams({ stream: streamId, c: c, visible: visible }) }).catch(function () {});
}
document.addEventListener('visibilitychange', reportView);
// A navigation says it with its own request: the server moves the stream's view before reading
// the new page (see page-view.ts). Then the visibility report starts from the new page.
document.addEventListener('htmx:configRequest', function (event) {
  if (!streamId) return;
  event.detail.headers['X-Stream'] = streamId;
  event.detail.headers['X-Visible'] = document.visibilityState === 'visible' ? '1' : '0';
});
document.addEventListener('htmx:afterSettle', function () {
  if (!streamId) return;
  var thread = document.querySelector('[data-thread]');
  var c = thread && thread.querySelector('#thread-messages') ? thread.getAttribute('data-thread') : '';
  lastView = streamId + ' ' + c + ' ' + (document.visibilityState === 'visible' ? '1' : '0');
});

// The hint's words are written in only while it shows (see thread.eta: none in the page's HTML).
// In a group the hint brings its own ("Ana and 2 others are typing…", live-typing.ts).
function showTyping(indicator, on, text) {
  indicator.hidden = !on;
  indicator.textContent = on ? text || indicator.getAttribute('data-text') : '';
}
var typingTimers = {};
function onTyping(data) {
  var hint = firstElementOf(data);
  var thread = hint && openThread(hint.getAttribute('data-conversation-id'));
  var indicator = thread && thread.querySelector('[data-typing]');
  if (!indicator) return;
  showTyping(indicator, true, hint.getAttribute('data-text'));
  clearTimeout(typingTimers.hide);
  typingTimers.hide = setTimeout(function () { showTyping(indicator, false); }, 5000);
}

function onPresence(data) {
  var fresh = firstElementOf(data);
  if (!fresh) return;
  var userId = fresh.getAttribute('data-presence-user');
  document.querySelectorAll('[data-presence-user="' + userId + '"]').forEach(function (el) {
    var copy = fresh.cloneNode(true);
    el.replaceWith(copy);
    Courier.localiseTimes(copy);
  });
}

document.addEventListener('htmx:sseBeforeMessage', function (event) {
  var type = event.detail.type;
  var data = event.detail.data;
  // Drawn by the server, swapped by htmx (out of band).
  if (type === 'message' || type === 'mine' || type === 'read') return;
  event.preventDefault();
  if (type === 'hello') {
    streamId = data;
    lastView = '';
    reportView();
  } else if (type === 'typing') onTyping(data);
  else if (type === 'presence') onPresence(data);
  else if (type === 'resync') { refreshTail(); refreshBadge(); }
});

document.addEventListener('htmx:sseOpen', function () {
  live = true;
  document.documentElement.setAttribute('data-live', 'true');
  // Whatever came before the stream opened (after the page was drawn, or while it was down) is
  // fetched once from the database: an unchanged thread answers 304.
  refreshTail();
  if (everOpened) refreshBadge();
  everOpened = true;
});
document.addEventListener('htmx:sseError', function () {
  live = false;
  document.documentElement.removeAttribute('data-live');
});

// While the stream is live, timed polls are skipped; explicit refreshes still go out.
document.addEventListener('htmx:beforeRequest', function (event) {
  var trigger = event.detail.requestConfig && event.detail.requestConfig.triggeringEvent;
  var isPoll = event.detail.elt && (event.detail.elt.id === 'thread-tail' || event.detail.elt.id === 'messages-badge');
  if (live && isPoll && !(trigger && trigger.type === 'refresh')) event.preventDefault();
});

