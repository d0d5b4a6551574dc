// The composer's "Saved replies" button opens a panel above it (fetched from the server, filled
// for this person) instead of going to a page of them; a chosen reply goes in at the cursor. The
// panel closes on Escape, on a second press, or once one is chosen.
function panelOf() { return document.getElementById('saved-replies-panel'); }

function closePanel(panel, button) {
  panel.hidden = true;
  panel.replaceChildren();
  if (button) button.setAttribute('aria-expanded', 'false');
}

document.addEventListener('click', function (event) {
  var open = event.target.closest && event.target.closest('[data-saved-replies-open]');
  var panel = panelOf();
  if (open && panel) {
    event.preventDefault();
    if (!panel.hidden) return closePanel(panel, open);
    open.setAttribute('aria-expanded', 'true');
    panel.hidden = false;
    htmx.ajax('GET', open.getAttribute('formaction'), { target: panel, swap: 'innerHTML' }).then(function () {
      var search = panel.querySelector('input[type="search"]');
      if (search) search.focus();
    });
    return;
  }
  var choice = event.target.closest && event.target.closest('[data-saved-reply]');
  if (!choice || !panel) return;
  var box = document.getElementById('composer-body');
  if (!box) return;
  var text = choice.getAttribute('data-text');
  var start = box.selectionStart;
  var end = box.selectionEnd;
  box.setRangeText(text, start, end, 'end');
  closePanel(panel, document.querySelector('[data-saved-replies-open]'));
  box.focus();
  box.dispatchEvent(new window.Event('input', { bubbles: true }));
});

document.addEventListener('keydown', function (event) {
  var panel = panelOf();
  if (event.key !== 'Escape' || !panel || panel.hidden || !panel.contains(event.target)) return;
  var button = document.querySelector('[data-saved-replies-open]');
  closePanel(panel, button);
  if (button) button.focus();
});
