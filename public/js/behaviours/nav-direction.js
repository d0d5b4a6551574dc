// Page slides on a phone: a[data-nav="forward|back"] copies its direction to <html data-nav>,
// which app.css reads; set on capture, before htmx starts the view transition.
document.addEventListener('click', function (event) {
  var link = event.target.closest && event.target.closest('a[data-nav]');
  if (link) document.documentElement.setAttribute('data-nav', link.getAttribute('data-nav'));
}, true);
