// Inbox row actions: form[data-conversation-actions] redrawing #inbox-results (archive, mark
// read…). The redraw would drop keyboard focus; it goes back to that row (or to the list).
document.addEventListener('htmx:afterSwap', function (event) {
  var source = event.detail.requestConfig && event.detail.requestConfig.elt;
  var form = source && source.closest && source.closest('form[data-conversation-actions]');
  if (!form || event.detail.target.id !== 'inbox-results') return;
  var id = form.getAttribute('action').split('/')[2];
  var results = document.getElementById('inbox-results');
  var row = results && results.querySelector('[data-conversation-id="' + id + '"] a');
  var fallback = results && results.querySelector('#inbox-list a, [data-inbox-tabs] a');
  if (row || fallback) (row || fallback).focus();
});
