// One Tab stop for the whole thread ([data-roving] on the message list): each message's own
// controls (links, reactions, its menu) are out of the Tab order until focus is on that message,
// so the message box is a few Tabs away however long the thread. Up and Down (Home, End) move
// between messages; Tab from a message goes through its controls, then on to the message box.
// Without JavaScript every control keeps its own Tab stop.
var CONTROLS = 'a[href], button, input, select, textarea, summary, [tabindex]';

function messagesOf(list) {
  return Array.prototype.filter.call(list.children, function (li) { return li.matches('li[data-message-id]'); });
}

// Out of the Tab order: the message's controls (their own tabindex kept to give back).
function tame(li) {
  li.querySelectorAll(CONTROLS).forEach(function (el) {
    if (el.hasAttribute('data-tab-tamed')) return;
    el.setAttribute('data-tab-tamed', el.getAttribute('tabindex') || '');
    el.setAttribute('tabindex', '-1');
  });
}

function wake(li) {
  li.querySelectorAll('[data-tab-tamed]').forEach(function (el) {
    var was = el.getAttribute('data-tab-tamed');
    if (was) el.setAttribute('tabindex', was);
    else el.removeAttribute('tabindex');
    el.removeAttribute('data-tab-tamed');
  });
}

// The message that holds the thread's one Tab stop.
function makeCurrent(list, li) {
  messagesOf(list).forEach(function (other) {
    other.setAttribute('tabindex', other === li ? '0' : '-1');
  });
}

function setUp(list) {
  if (list.hasAttribute('data-roving-ready')) return;
  list.setAttribute('data-roving-ready', '');
  var all = messagesOf(list);
  all.forEach(tame);
  if (all.length) makeCurrent(list, all[all.length - 1]);

  list.addEventListener('focusin', function (event) {
    var li = event.target.closest('li[data-message-id]');
    if (!li || li.parentElement !== list) return;
    makeCurrent(list, li);
    wake(li);
  });
  list.addEventListener('focusout', function (event) {
    var li = event.target.closest('li[data-message-id]');
    if (li && !li.contains(event.relatedTarget)) tame(li);
  });
  list.addEventListener('keydown', function (event) {
    var li = event.target;
    if (!li.matches || !li.matches('li[data-message-id]') || li.parentElement !== list) return;
    var messages = messagesOf(list);
    var at = messages.indexOf(li);
    var next = { ArrowUp: at - 1, ArrowDown: at + 1, Home: 0, End: messages.length - 1 }[event.key];
    if (next === undefined || !messages[next]) return;
    event.preventDefault();
    messages[next].focus();
  });
  // Messages drawn later (sent, live, redrawn in place) join the same way; the focused one stays awake.
  new MutationObserver(function () {
    var messages = messagesOf(list);
    var current = messages.filter(function (li) { return li.getAttribute('tabindex') === '0'; })[0];
    messages.forEach(function (li) {
      if (!li.contains(document.activeElement)) tame(li);
      if (!li.hasAttribute('tabindex')) li.setAttribute('tabindex', '-1');
    });
    if (!current && messages.length) makeCurrent(list, messages[messages.length - 1]);
  }).observe(list, { childList: true, subtree: true });
}

function setUpAll() {
  document.querySelectorAll('ol[data-roving]').forEach(setUp);
}
document.addEventListener('DOMContentLoaded', setUpAll);
document.addEventListener('htmx:load', setUpAll);
