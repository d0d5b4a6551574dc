// A message's actions with JS: Reply puts a quote in the composer (htmx draws it) and the box takes
// focus; Copy text copies without leaving the page; Edit opens in place, Escape cancels, Enter
// saves; a reply's quote scrolls to the message it answers, or opens the thread around it when
// that message is not on the page. Without JS each is a link or a form of its own.
function threadId() {
  var thread = document.querySelector('[data-thread]');
  return thread && thread.getAttribute('data-thread');
}

function closeMenus(el) {
  var menu = el.closest('details');
  if (menu) menu.removeAttribute('open');
}

// The reply quote: with JS, its × button cancels (without, its tick box does).
function enhanceReply(root) {
  root.querySelectorAll('[data-reply-cancel]').forEach(function (button) { button.hidden = false; });
  root.querySelectorAll('.reply-keep').forEach(function (box) { box.hidden = true; });
}

function note(text) {
  var el = document.createElement('p');
  el.className = 'copy-note';
  el.setAttribute('role', 'status');
  el.textContent = text;
  document.body.appendChild(el);
  setTimeout(function () { el.remove(); }, 2000);
}

function flash(li) {
  li.classList.remove('msg-flash');
  void li.offsetWidth;
  li.classList.add('msg-flash');
  setTimeout(function () { li.classList.remove('msg-flash'); }, 1700);
}

document.addEventListener('click', function (event) {
  var cancel = event.target.closest('[data-reply-cancel]');
  if (cancel) {
    var holder = document.getElementById('composer-reply');
    if (holder) holder.innerHTML = '';
    var box = document.getElementById('composer-body');
    if (box) box.focus();
    return;
  }
  var copy = event.target.closest('a[data-copy]');
  if (copy && navigator.clipboard) {
    var bubble = copy.closest('li[data-message-id]').querySelector('.bubble');
    if (!bubble) return;
    event.preventDefault();
    closeMenus(copy);
    navigator.clipboard.writeText(bubble.innerText).then(function () { note('Copied'); }, function () { window.location.href = copy.href; });
    return;
  }
  var reply = event.target.closest('a[data-reply]');
  if (reply) {
    var li = reply.closest('li[data-message-id]');
    event.preventDefault();
    closeMenus(reply);
    htmx.ajax('GET', '/messages/' + threadId() + '/reply?to=' + li.getAttribute('data-message-id'), { target: '#composer-reply', swap: 'outerHTML' });
    return;
  }
  var edit = event.target.closest('a[data-edit]');
  if (edit) {
    event.preventDefault();
    closeMenus(edit);
    htmx.ajax('GET', edit.getAttribute('href'), { target: edit.closest('li[data-message-id]'), swap: 'outerHTML' });
    return;
  }
  var jump = event.target.closest('a[data-jump]');
  if (jump) {
    var id = jump.getAttribute('data-reply-to');
    var target = document.getElementById('m-' + id);
    event.preventDefault();
    if (!target) {
      window.location.href = '/messages/' + threadId() + '?around=' + id + '#m-' + id;
      return;
    }
    target.scrollIntoView({ block: 'center', behavior: 'smooth' });
    target.focus({ preventScroll: true });
    flash(target);
  }
});

// Landing on a message from a quote of another page (?around=…#m-ID): it shows where it is.
document.addEventListener('DOMContentLoaded', function () {
  var hash = window.location.hash;
  if (/^#m-\d+$/.test(hash) && window.location.search.indexOf('around=') >= 0) {
    var li = document.getElementById(hash.slice(1));
    if (li) flash(li);
  }
});

document.addEventListener('keydown', function (event) {
  var box = event.target;
  if (!box.closest || !box.closest('[data-edit-form]') || box.tagName !== 'TEXTAREA') return;
  if (event.key === 'Escape') {
    event.preventDefault();
    event.stopPropagation();
    var cancel = box.form.querySelector('[data-edit-cancel]');
    if (cancel) cancel.click();
  } else if (event.key === 'Enter' && !event.shiftKey && !event.isComposing && !window.matchMedia('(pointer: coarse)').matches) {
    event.preventDefault();
    box.form.requestSubmit();
  }
}, true);

// Swapped in: a reply quote (focus goes to the message box), an edit form (its box, caret at the
// end) or the message back after an edit (focus on it, where it was).
var lastEdited = null;
document.addEventListener('htmx:beforeRequest', function (event) {
  var form = event.detail.elt.closest && event.detail.elt.closest('li[data-editing]');
  lastEdited = form ? form.id : lastEdited;
});
document.addEventListener('htmx:load', function (event) {
  var el = event.detail.elt;
  if (!el || !el.matches) return;
  enhanceReply(el);
  if (el.id === 'composer-reply' && el.children.length) {
    var box = document.getElementById('composer-body');
    if (box) box.focus();
  }
  var edit = el.querySelector('[data-edit-form] textarea');
  if (edit) {
    edit.focus();
    edit.setSelectionRange(edit.value.length, edit.value.length);
  }
  if (lastEdited && el.id === lastEdited && !el.hasAttribute('data-editing')) {
    lastEdited = null;
    el.focus();
  }
});
document.addEventListener('DOMContentLoaded', function () { enhanceReply(document); });
