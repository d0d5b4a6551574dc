// The inbox rows' live signs: the green dot on a photo follows that person's presence events (a
// row redrawn by a live event comes without it, and gets it back here), and "typing…" shows in
// place of the preview while they type to me. The server decides who may see either.
var activeNow = {};

function setDots(root) {
  root.querySelectorAll('[data-presence-dot]').forEach(function (dot) {
    var known = activeNow[dot.getAttribute('data-presence-dot')];
    if (known === undefined) return;
    var on = known ? 'true' : 'false';
    if (dot.getAttribute('data-active') === on) return;
    dot.setAttribute('data-active', on);
    dot.innerHTML = known ? '<span class="sr-only">Active now</span>' : '';
  });
}

document.addEventListener('DOMContentLoaded', function () {
  document.querySelectorAll('[data-presence-dot]').forEach(function (dot) {
    activeNow[dot.getAttribute('data-presence-dot')] = dot.getAttribute('data-active') === 'true';
  });
});

var rowTypingTimers = {};
function rowTyping(conversationId) {
  var row = document.getElementById('inbox-row-' + conversationId);
  if (!row) return;
  var preview = row.querySelector('.row-preview');
  if (preview && !row.querySelector('.row-typing')) {
    var hint = document.createElement('span');
    hint.className = 'row-typing';
    hint.textContent = 'typing…';
    preview.after(hint);
  }
  row.setAttribute('data-typing-now', '');
  clearTimeout(rowTypingTimers[conversationId]);
  rowTypingTimers[conversationId] = setTimeout(function () {
    var now = document.getElementById('inbox-row-' + conversationId);
    if (now) now.removeAttribute('data-typing-now');
  }, 5000);
}

var firstOf = Courier.firstElementOf;

document.addEventListener('htmx:sseBeforeMessage', function (event) {
  var type = event.detail.type;
  if (type === 'presence') {
    var fresh = firstOf(event.detail.data);
    if (!fresh) return;
    var userId = fresh.getAttribute('data-presence-user');
    activeNow[userId] = fresh.getAttribute('data-active') === 'true';
    setDots(document);
    // Hidden (a block went up): their "typing…" in my rows ends now, not when it times out.
    if (fresh.hasAttribute('data-presence-hidden')) {
      document.querySelectorAll('[data-presence-dot="' + userId + '"]').forEach(function (dot) {
        var row = dot.closest('[data-conversation-id]');
        if (row) row.removeAttribute('data-typing-now');
      });
    }
  } else if (type === 'typing') {
    var hint = firstOf(event.detail.data);
    if (hint) rowTyping(hint.getAttribute('data-conversation-id'));
  } else if (type === 'message') {
    // Their message came: the row shows it, not "typing…".
    var match = /data-conversation-id="(\d+)"/.exec(event.detail.data || '');
    var row = match && document.getElementById('inbox-row-' + match[1]);
    if (row) row.removeAttribute('data-typing-now');
  }
});
document.addEventListener('htmx:afterSettle', function () { setDots(document); });
document.addEventListener('htmx:sseMessage', function () { setDots(document); });
