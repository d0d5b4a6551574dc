// Refusals: an element with data-error-target="<selector>" (the composer, the search form, "More
// results"). htmx drops 4xx answers; this one is shown in that target instead (a refused send
// shows its reason in the composer and keeps the text), as the page without JS would show it.
document.addEventListener('htmx:beforeSwap', function (event) {
  var source = event.detail.requestConfig && event.detail.requestConfig.elt;
  if (event.detail.xhr.status >= 400 && source && source.dataset && source.dataset.errorTarget) {
    event.detail.shouldSwap = true;
    event.detail.target = document.querySelector(source.dataset.errorTarget);
    event.detail.swapOverride = 'innerHTML';
  }
});
