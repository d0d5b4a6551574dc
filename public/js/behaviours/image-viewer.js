// Images in a thread open over the page: the previous and next images of the thread with the
// arrow keys, the buttons or a swipe, Escape (or Close) back to where I was. Without JS an image
// link opens the image itself. The viewer's markup is a static file (public/image-viewer.html,
// cached for good), fetched once when a thread first shows an image, so thread pages do not each
// carry it.
var viewer = null;
var markup = null;
var fetching = null;

function fetchViewer() {
  var thread = document.querySelector('[data-viewer-src]');
  if (markup || fetching || !thread || !document.querySelector('[data-thread] a[data-image]')) return fetching;
  fetching = fetch(thread.getAttribute('data-viewer-src'), { credentials: 'same-origin' })
    .then(function (res) { return res.ok ? res.text() : Promise.reject(new Error(String(res.status))); })
    .then(function (text) { markup = text; })
    .catch(function () {})
    .then(function () { fetching = null; });
  return fetching;
}
document.addEventListener('DOMContentLoaded', fetchViewer);
document.addEventListener('htmx:load', fetchViewer);
var shown = [];
var at = 0;
var opener = null;

function imagesOfThread() {
  return Array.prototype.slice.call(document.querySelectorAll('[data-thread] a[data-image]'));
}

function draw() {
  var link = shown[at];
  if (!viewer || !link) return;
  var image = viewer.querySelector('.viewer-image');
  var thumb = link.querySelector('img');
  image.src = link.getAttribute('href');
  image.alt = thumb ? thumb.alt : '';
  viewer.querySelector('.viewer-name').textContent = thumb ? thumb.alt : '';
  viewer.querySelector('.viewer-count').textContent = shown.length > 1 ? (at + 1) + ' of ' + shown.length : '';
  viewer.querySelector('[data-viewer-original]').setAttribute('href', link.getAttribute('href'));
  viewer.querySelector('.viewer-prev').hidden = at === 0;
  viewer.querySelector('.viewer-next').hidden = at === shown.length - 1;
}

function step(by) {
  var next = at + by;
  if (next < 0 || next >= shown.length) return;
  at = next;
  draw();
}

function build() {
  if (!markup) return null;
  var dialog = Courier.firstElementOf(markup);
  if (!dialog || dialog.tagName !== 'DIALOG') return null;
  document.body.appendChild(dialog);
  dialog.addEventListener('click', function (event) {
    var stepper = event.target.closest('[data-viewer-step]');
    if (stepper) step(Number(stepper.getAttribute('data-viewer-step')));
    else if (event.target.closest('[data-viewer-close]') || event.target === dialog) dialog.close();
  });
  dialog.addEventListener('keydown', function (event) {
    if (event.key === 'ArrowLeft') step(-1);
    else if (event.key === 'ArrowRight') step(1);
  });
  var startX = null;
  dialog.addEventListener('pointerdown', function (event) { startX = event.clientX; });
  dialog.addEventListener('pointerup', function (event) {
    if (startX === null) return;
    var moved = event.clientX - startX;
    startX = null;
    if (Math.abs(moved) > 50) step(moved < 0 ? 1 : -1);
  });
  dialog.addEventListener('close', function () {
    viewer.querySelector('.viewer-image').removeAttribute('src');
    if (opener && document.contains(opener)) opener.focus();
  });
  return dialog;
}

function open(link) {
  viewer = viewer || build();
  if (!viewer) return false;
  shown = imagesOfThread();
  at = Math.max(0, shown.indexOf(link));
  opener = link;
  draw();
  viewer.showModal();
  viewer.querySelector('[data-viewer-close]').focus();
  return true;
}

document.addEventListener('click', function (event) {
  var link = event.target.closest && event.target.closest('[data-thread] a[data-image]');
  if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
  if (markup) {
    if (open(link)) event.preventDefault();
    return;
  }
  // Clicked before the viewer arrived: wait for it; without it, the image opens on its own.
  var pending = fetchViewer();
  if (!pending) return;
  event.preventDefault();
  pending.then(function () {
    if (!open(link)) window.location.href = link.getAttribute('href');
  });
});
