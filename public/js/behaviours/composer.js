// The composer: form#composer and its box #composer-body. After a send the box empties (with its
// chosen files) and keeps focus; after a refusal it is marked invalid and points at the reason,
// as without JS. Enter sends, Shift+Enter starts a new line (on devices with a physical keyboard).
document.addEventListener('htmx:afterRequest', function (event) {
  var form = event.detail.elt;
  if (!form || form.id !== 'composer') return;
  var box = form.querySelector('textarea');
  var error = form.querySelector('#composer-error');
  if (event.detail.successful) {
    box.value = '';
    Courier.clearAttachments(form);
    if (error) error.textContent = '';
    box.removeAttribute('aria-invalid');
    box.classList.remove('field-invalid');
  } else if (event.detail.xhr && event.detail.xhr.status >= 400) {
    // As without JS: the box is marked and points at the reason.
    box.setAttribute('aria-invalid', 'true');
    box.setAttribute('aria-describedby', 'composer-error');
    box.classList.add('field-invalid');
  }
  box.focus();
  var scroller = document.getElementById('thread-scroll');
  if (scroller && event.detail.successful) scroller.scrollTop = 0;
});

document.addEventListener('keydown', function (event) {
  var box = event.target;
  if (box.id !== 'composer-body' || event.key !== 'Enter' || event.shiftKey || event.isComposing) return;
  if (window.matchMedia('(pointer: coarse)').matches) return;
  event.preventDefault();
  var files = box.form.querySelector('[data-attach-input]');
  if (box.value.trim() || (files && files.files.length)) box.form.requestSubmit();
});
