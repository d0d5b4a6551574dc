// Images in a thread open over the page: the previous and next images of the thread with the
// arrow keys, the buttons or a swipe, Escape (or Close) back to where I was. Without JS an image
// link opens the image itself.
var viewer = null;
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
  var dialog = Courier.fromPage('image-viewer');
  if (!dialog) return null;
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

document.addEventListener('click', function (event) {
  var link = event.target.closest && event.target.closest('[data-thread] a[data-image]');
  if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
  viewer = viewer || build();
  if (!viewer) return;
  event.preventDefault();
  shown = imagesOfThread();
  at = Math.max(0, shown.indexOf(link));
  opener = link;
  draw();
  viewer.showModal();
  viewer.querySelector('[data-viewer-close]').focus();
});
