// "Typing…" sent: input in #composer-body tells the other side, at most every 3 seconds, with a
// bare POST to the composer's …/typing (the draft itself never leaves the page before it is sent).
// A send resets the clock. The other side's hint is drawn by live.js.
var lastTyping = 0;
document.addEventListener('input', function (event) {
  var box = event.target;
  // A draft put back by the page (compose-region.js, after an unblock) is not someone typing.
  if (event.restored || box.id !== 'composer-body' || !box.value.trim()) return;
  var now = Date.now();
  if (now - lastTyping < 3000) return;
  lastTyping = now;
  fetch(box.form.getAttribute('action').replace(/\/messages$/, '/typing'), { method: 'POST', headers: Courier.requestHeaders(), credentials: 'same-origin' });
});
document.addEventListener('htmx:afterRequest', function (event) {
  if (event.detail.elt && event.detail.elt.id === 'composer') lastTyping = 0;
});
