// The thread's message box region (#compose-<id>) is redrawn when a block goes up or comes down
// while the page is open (a live event: the barrier, or a placeholder that fetches the message
// box). What was typed is not lost: next to a barrier it stays to copy, read-only, and when the
// message box comes back it is put back in it.
var keptText = {};

function typedIn(region) {
  var field = region.querySelector('#composer-body') || region.querySelector('[data-unsent-text]');
  return field ? field.value : '';
}

document.addEventListener('htmx:oobBeforeSwap', function (event) {
  var region = event.detail.target;
  if (!region || !/^compose-\d+$/.test(region.id || '')) return;
  var text = typedIn(region);
  if (text.trim()) keptText[region.id] = text;
});

function restore(region) {
  var text = keptText[region.id];
  if (!text) return;
  var field = region.querySelector('#composer-body');
  if (field) {
    if (!field.value) {
      field.value = text;
      var restored = new window.Event('input', { bubbles: true });
      restored.restored = true;
      field.dispatchEvent(restored);
    }
    delete keptText[region.id];
    return;
  }
  var barrier = region.querySelector('#thread-barrier');
  if (!barrier || region.querySelector('[data-unsent-text]')) return;
  var label = document.createElement('label');
  label.htmlFor = 'unsent-text';
  label.className = 'mt-3 block text-sm text-slate-600';
  label.textContent = 'What you wrote, to copy:';
  var copy = document.createElement('textarea');
  copy.id = 'unsent-text';
  copy.readOnly = true;
  copy.rows = 3;
  copy.className = 'field mt-1 w-full';
  copy.setAttribute('data-unsent-text', '');
  copy.value = text;
  barrier.append(label, copy);
}

document.addEventListener('htmx:load', function (event) {
  var target = event.target;
  if (!target || !target.closest) return;
  // The region itself, swapped in (a navigation's new page starts with nothing kept for it).
  var region = target.closest('[id^="compose-"]');
  if (region && /^compose-\d+$/.test(region.id)) restore(region);
});
