// What a live event (or an answer with out-of-band parts) left in the page's landing places, put
// where it belongs: my row (#row-sink) in #inbox-list, the note (#live-note) as a toast or a
// notification, the unread count (#messages-count) on the badge and the title, and the other
// side's watermarks (#receipts-<id>) as my messages' ticks and one "Seen" line. live.js runs it
// after each event and each settle.
var openThread = Courier.openThread;
function setTitleCount(count) {
  var title = document.title.replace(/^\(\d+\) /, '');
  document.title = (count > 0 ? '(' + count + ') ' : '') + title;
}

function part(container, name) {
  var template = container.querySelector('template[data-part="' + name + '"]');
  return template ? template.content.firstElementChild : null;
}

// My row of a conversation, drawn by the server, placed in the page's inbox list if it has one:
// a new message moves it to the top; any other change redraws it where it is (or takes it out
// of a tab it no longer belongs to).
function placeRow(row, toTop) {
  var inbox = document.getElementById('inbox-list');
  if (!row || !inbox) return;
  var id = row.getAttribute('data-conversation-id');
  var old = inbox.querySelector('[data-conversation-id="' + id + '"]');
  var results = document.getElementById('inbox-results');
  var tab = (results && results.getAttribute('data-filter')) || 'all';
  var belongs = tab === 'archived' ? row.getAttribute('data-archived') === 'true' : row.getAttribute('data-archived') !== 'true' && (tab !== 'unread' || row.getAttribute('data-unread') === 'true');
  if (openThread(id)) {
    row.classList.add('bg-brand-50');
    var link = row.querySelector('a');
    if (link) link.setAttribute('aria-current', 'page');
  }
  if (!belongs || (!toTop && !old)) {
    if (old && !belongs) old.remove();
    return;
  }
  if (toTop) {
    if (old) old.remove();
    document.querySelectorAll('[data-inbox-empty]').forEach(function (empty) { empty.remove(); });
    inbox.insertBefore(row, inbox.firstChild);
  } else {
    old.replaceWith(row);
  }
  htmx.process(row);
  Courier.localiseTimes(row);
}

// The unread count comes on its own (in a live event, or out of band with a thread poll that
// read something): the badge's poll version and the title follow it.
function setUnreadCount(count) {
  var badge = document.getElementById('messages-badge');
  if (badge) {
    badge.setAttribute('data-unread-count', String(count));
    badge.setAttribute('hx-get', '/messages/badge?v=' + count);
  }
  setTitleCount(count);
}

// My messages' ticks and the "Seen" line, from the other side's watermarks (a number compared
// with each message's id: what attributes cannot say).
function applyReceipts(receipts) {
  var thread = openThread(receipts.id.slice('receipts-'.length));
  if (!thread) return;
  var read = Number(receipts.getAttribute('data-read')) || 0;
  var delivered = Number(receipts.getAttribute('data-delivered')) || 0;
  var lastSeen = null;
  thread.querySelectorAll('#thread-messages li.mine[data-message-id]').forEach(function (li) {
    var ticks = li.querySelector('[data-ticks]');
    if (!ticks) return; // deleted or removed: no ticks
    var id = Number(li.getAttribute('data-message-id'));
    var status = id <= read ? 'seen' : id <= delivered ? 'delivered' : 'sent';
    if (status === 'seen') lastSeen = li;
    if (li.getAttribute('data-status') === status) return;
    li.setAttribute('data-status', status);
    var drawn = Courier.fromPage('ticks-' + status);
    if (drawn) ticks.replaceWith(drawn);
  });
  // One "Seen" line: a message redrawn alone (edited, reacted to) may bring its own. A group's
  // "Seen by N" is drawn by the server, under the newest of mine anyone read.
  if (receipts.hasAttribute('data-group')) {
    placeGroupSeen(thread, receipts);
    return;
  }
  var markers = Array.prototype.slice.call(thread.querySelectorAll('[data-seen-marker]'));
  var marker = markers.filter(function (m) { return lastSeen && lastSeen.contains(m); })[0] || markers[0] || null;
  markers.forEach(function (m) { if (m !== marker) m.remove(); });
  if (!lastSeen || (marker && lastSeen.contains(marker))) return;
  if (!marker) {
    marker = Courier.fromPage('seen-marker');
    if (marker) marker.setAttribute('data-seen-marker', '');
  }
  var column = lastSeen.querySelector('.msg-col');
  if (marker && column) column.appendChild(marker);
}

// A group's live "Seen by N" (read once): under the message it names, unless a later message of
// mine already has one (someone read further before: this read does not change that one's count).
// The read can come before the message itself (the send's answer or its event still on the way):
// then it waits in its landing place, and the next settle places it.
function placeGroupSeen(thread, receipts) {
  var template = receipts.querySelector('template[data-part="seen"]');
  if (!template) return;
  var id = Number(template.getAttribute('data-message-id'));
  var markers = Array.prototype.slice.call(thread.querySelectorAll('[data-seen-marker]'));
  var later = markers.some(function (m) {
    var owner = m.closest('li[data-message-id]');
    return owner && Number(owner.getAttribute('data-message-id')) > id;
  });
  if (later) return template.remove();
  var li = thread.querySelector('#thread-messages li.mine[data-message-id="' + id + '"]');
  var column = li && li.querySelector('.msg-col');
  if (!column) return;
  template.remove();
  var marker = template.content.firstElementChild;
  // Names open stay open when the count under the same message changes.
  if (markers.some(function (m) { return li.contains(m) && m.hasAttribute('open'); })) marker.setAttribute('open', '');
  markers.forEach(function (m) { m.remove(); });
  column.appendChild(marker);
  // The message's own count, as a page drawn now would carry it.
  var count = template.getAttribute('data-count');
  if (count) li.setAttribute('data-seen-by', count);
}

// A live message's note: who wrote, for a toast or a notification when it is not on screen.
function onNote(note) {
  var conversationId = note.getAttribute('data-conversation-id');
  if (!conversationId || note.getAttribute('data-muted') === 'true') return;
  var thread = openThread(conversationId);
  var href = '/messages/' + conversationId;
  if (!thread && !document.getElementById('inbox-list')) Courier.showToast(note.getAttribute('data-toast'), href);
  if (!thread || document.visibilityState !== 'visible') Courier.notify(note.getAttribute('data-notify'), href);
}

// After a live event or an answer that brought out-of-band parts, each part that landed takes
// its place (each is read once: the row leaves its sink, the note loses its data).
function settleLive() {
  var sink = document.getElementById('row-sink');
  var row = sink && part(sink, 'row');
  if (row) {
    placeRow(row, sink.getAttribute('data-place') === 'top');
    sink.replaceChildren();
  }
  var note = document.getElementById('live-note');
  if (note && note.hasAttribute('data-conversation-id')) {
    onNote(note);
    note.removeAttribute('data-conversation-id');
  }
  var count = document.getElementById('messages-count');
  if (count) setUnreadCount(Number(count.getAttribute('data-count')) || 0);
  document.querySelectorAll('[data-thread] [id^="receipts-"]').forEach(applyReceipts);
}
Courier.settleLive = settleLive;
document.addEventListener('htmx:afterSettle', settleLive);
