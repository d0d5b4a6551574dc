// Reactions: a message's [data-reactions] forms, with an "Add reaction" <details> and pills
// button[name="react"]. A live message, or one of a page fetched by htmx, comes without the six
// reaction choices: they are copied in from the page's one #reaction-choices when its "Add reaction"
// is first opened. A reaction's form redraws itself (and the tail redraws the thread just after):
// focus then goes back to that emoji's pill, or to "Add reaction" when the count went away,
// unless it moved on.
document.addEventListener('toggle', function (event) {
  var details = event.target;
  if (!details.open || !details.closest || !details.closest('[data-reactions]') || details.querySelector('.reaction-choices')) return;
  var choices = Courier.fromPage('reaction-choices');
  if (!choices) return;
  // Those I already gave (a message drawn lean, on a boosted page) take mine back.
  details.closest('[data-reactions]').querySelectorAll('.reaction[aria-pressed="true"]').forEach(function (pill) {
    var emoji = pill.getAttribute('data-emoji');
    choices.querySelectorAll('button[name="react"]').forEach(function (choice) {
      if (choice.value !== emoji + ':1') return;
      choice.value = emoji + ':0';
      choice.setAttribute('aria-pressed', 'true');
    });
  });
  details.appendChild(choices);
}, true);

var reacted = null;
document.addEventListener('click', function (event) {
  var button = event.target.closest && event.target.closest('[data-reactions] button[name="react"]');
  reacted = button ? { form: button.form.id, emoji: button.value.replace(/:[01]$/, ''), until: Date.now() + 5000 } : null;
});
document.addEventListener('htmx:load', function () {
  if (!reacted || Date.now() > reacted.until || (document.activeElement && document.activeElement !== document.body)) return;
  var form = document.getElementById(reacted.form);
  var target = form && (form.querySelector('button[data-emoji="' + reacted.emoji + '"]') || form.querySelector('summary'));
  if (target) target.focus({ preventScroll: true });
});
