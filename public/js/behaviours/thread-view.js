// The open thread's marks (views/messages/thread.eta, #thread-scroll). Day separators
// (li[data-day]) come drawn by the server; here they are kept true as the page changes: a live
// message that starts a day gets one, a page of older messages whose last day goes on in the
// page below loses the repeat, and days follow the zone times.js uses. On opening, the "New
// messages" divider ([data-new-divider]) is brought into view; a message that arrives while I read
// further up shows "New message ↓" (#new-below) until I am back at the newest end.
// The scroller is column-reverse: its newest end is scrollTop 0, and it stays there as messages
// are added, so a reader at the bottom keeps following.
var NEAR = 40;
var shownIn = null;
var newest = 0;

function atNewest(scroller) {
  return Math.abs(scroller.scrollTop) < NEAR;
}

function markDays(scroller) {
  var last = '';
  var kept = [];
  scroller.querySelectorAll('li[data-message-id]').forEach(function (li) {
    // A group's line carries its time directly.
    var time = li.querySelector('.msg-meta time[datetime],li>time');
    var date = time && new Date(time.getAttribute('datetime'));
    if (!date || isNaN(date)) return;
    var day = Courier.dayOf(date);
    var before = li.previousElementSibling;
    var anchor = before && before.hasAttribute('data-new-divider') ? before : li;
    var mark = anchor.previousElementSibling;
    if (day.key === last) return;
    last = day.key;
    if (!mark || !mark.hasAttribute('data-day')) {
      mark = document.createElement('li');
      mark.className = 'day-sep';
      mark.appendChild(document.createElement('time'));
      anchor.parentNode.insertBefore(mark, anchor);
    }
    mark.setAttribute('data-day', day.key);
    mark.firstChild.setAttribute('datetime', day.key);
    mark.firstChild.textContent = day.label;
    kept.push(mark);
  });
  scroller.querySelectorAll('li[data-day]').forEach(function (mark) {
    if (kept.indexOf(mark) === -1) mark.remove();
  });
}

// A separator added or dropped where I am reading (older messages joining, say) must not move
// what I read: the lowest message in view keeps its place. At the newest end the scroller keeps it.
function keepingView(scroller, change) {
  if (atNewest(scroller)) return change();
  var bottom = scroller.getBoundingClientRect().bottom;
  var lis = scroller.querySelectorAll('li[data-message-id]');
  var ref = null;
  for (var i = lis.length - 1; i >= 0 && !ref; i--) if (lis[i].getBoundingClientRect().top < bottom) ref = lis[i];
  var y = ref && ref.getBoundingClientRect().top;
  change();
  if (ref) scroller.scrollBy(0, ref.getBoundingClientRect().top - y);
}

function showNotice() {
  var holder = document.getElementById('new-below');
  if (holder && !holder.firstChild) holder.innerHTML = '<a href="#latest" class="new-below">New message <span aria-hidden="true">\u2193</span></a>';
}
function hideNotice() {
  var holder = document.getElementById('new-below');
  if (holder && holder.firstChild) holder.replaceChildren();
}

function update() {
  var scroller = document.getElementById('thread-scroll');
  if (!scroller) return;
  keepingView(scroller, function () { markDays(scroller); });
  var top = 0;
  var theirs = false;
  scroller.querySelectorAll('#thread-messages > li[data-message-id]').forEach(function (li) {
    var id = Number(li.getAttribute('data-message-id'));
    if (id > newest && !li.classList.contains('mine')) theirs = true;
    if (id > top) top = id;
  });
  // A thread just opened (loaded or navigated to): where I had stopped reading, in view.
  if (shownIn !== scroller) {
    shownIn = scroller;
    newest = top;
    var divider = scroller.querySelector('[data-new-divider]');
    var above = divider && divider.getBoundingClientRect().top - scroller.getBoundingClientRect().top;
    if (above < 0) scroller.scrollBy(0, above - 8);
    return;
  }
  if (top <= newest) return;
  newest = top;
  if (theirs && !atNewest(scroller)) showNotice();
}
document.addEventListener('DOMContentLoaded', update);
document.addEventListener('htmx:afterSettle', update);
document.addEventListener('htmx:sseMessage', update);

document.addEventListener('scroll', function (event) {
  if (event.target.id === 'thread-scroll' && atNewest(event.target)) hideNotice();
}, true);

document.addEventListener('click', function (event) {
  var link = event.target.closest && event.target.closest('.new-below');
  var scroller = link && document.getElementById('thread-scroll');
  if (!scroller) return;
  event.preventDefault();
  scroller.scrollTop = 0;
  hideNotice();
  // From the keyboard, focus goes on to the message box rather than back to the page's start.
  var box = event.detail === 0 && document.getElementById('composer-body');
  if (box) box.focus();
});
