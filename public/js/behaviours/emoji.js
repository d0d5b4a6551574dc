// The composer's emoji picker: [data-emoji-picker], a toggle [aria-haspopup] and a panel
// [role="dialog"] of buttons [data-emoji], drawn here from its list [data-emoji-set]. Rendered
// hidden: without this script, emoji come from the device's keyboard. Here it is shown, opens and
// closes like a popup (Escape, a click or focus elsewhere), moves by arrow keys, and inserts at the
// cursor of its form's textarea.
function reveal(picker) {
  var panel = picker.querySelector('[data-emoji-set]');
  if (panel && !panel.firstElementChild) {
    panel.getAttribute('data-emoji-set').split(' ').forEach(function (emoji) {
      var button = document.createElement('button');
      button.type = 'button';
      button.setAttribute('data-emoji', emoji);
      button.textContent = emoji;
      panel.appendChild(button);
    });
  }
  picker.hidden = false;
}
function revealPickers(root) {
  if (!root.querySelectorAll) return;
  if (root.matches && root.matches('[data-emoji-picker]')) reveal(root);
  root.querySelectorAll('[data-emoji-picker][hidden]').forEach(reveal);
}
document.addEventListener('DOMContentLoaded', function () { revealPickers(document); });
document.addEventListener('htmx:load', function (event) { revealPickers(event.target); });

function setPicker(picker, open, focusToggle) {
  var toggle = picker.querySelector('[aria-haspopup]');
  var panel = picker.querySelector('[role="dialog"]');
  panel.hidden = !open;
  toggle.setAttribute('aria-expanded', String(open));
  if (open) panel.querySelector('button').focus();
  else if (focusToggle) toggle.focus();
}
function closePickers(except, focusToggle) {
  document.querySelectorAll('[data-emoji-picker] [role="dialog"]:not([hidden])').forEach(function (panel) {
    var picker = panel.closest('[data-emoji-picker]');
    if (picker !== except) setPicker(picker, false, focusToggle);
  });
}

// Inserts at the cursor (or over the selection) and tells listeners, as typing would.
function insertAtCursor(box, text) {
  var start = box.selectionStart;
  var end = box.selectionEnd;
  box.focus();
  box.setRangeText(text, start, end, 'end');
  box.dispatchEvent(new window.Event('input', { bubbles: true }));
}

document.addEventListener('click', function (event) {
  var button = event.target.closest && event.target.closest('[data-emoji-picker] button');
  var picker = button && button.closest('[data-emoji-picker]');
  closePickers(picker, false); // a click anywhere else closes an open picker
  if (!button) return;
  if (button.hasAttribute('aria-haspopup')) return setPicker(picker, button.getAttribute('aria-expanded') !== 'true', true);
  var box = picker.closest('form').querySelector('textarea');
  setPicker(picker, false, false);
  insertAtCursor(box, button.getAttribute('data-emoji'));
});

document.addEventListener('keydown', function (event) {
  var panel = event.target.closest && event.target.closest('[data-emoji-picker] [role="dialog"]');
  if (event.key === 'Escape') return closePickers(null, true);
  if (!panel) return;
  var steps = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -8, ArrowDown: 8 };
  if (!(event.key in steps)) return;
  var buttons = Array.prototype.slice.call(panel.querySelectorAll('button'));
  var next = buttons[buttons.indexOf(event.target) + steps[event.key]];
  event.preventDefault();
  if (next) next.focus();
});
// Tabbing out of an open picker closes it.
document.addEventListener('focusin', function (event) {
  var picker = event.target.closest && event.target.closest('[data-emoji-picker]');
  closePickers(picker, false);
});
