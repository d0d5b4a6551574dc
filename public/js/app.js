// Progressive enhancement only: every page works without this file.
// The CSP forbids inline script and eval, so behaviour that htmx attributes cannot express lives here.
(function () {
  'use strict';

  // Menus are <details>: close an open one on Escape (focus back on its summary) or a click outside.
  document.addEventListener('keydown', function (event) {
    if (event.key !== 'Escape') return;
    document.querySelectorAll('details[open]').forEach(function (menu) {
      menu.removeAttribute('open');
      var summary = menu.querySelector('summary');
      if (summary) summary.focus();
    });
  });
  document.addEventListener('click', function (event) {
    document.querySelectorAll('details[open]').forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute('open');
    });
  });

  // Times arrive in UTC; show them in the reader's own time zone.
  var timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
  var dayFormat = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });
  function localiseTimes(root) {
    root.querySelectorAll('time[data-relative]').forEach(function (el) {
      var date = new Date(el.getAttribute('datetime'));
      if (isNaN(date)) return;
      var sameDay = date.toDateString() === new Date().toDateString();
      el.textContent = sameDay ? timeFormat.format(date) : dayFormat.format(date);
      el.title = date.toLocaleString();
    });
  }
  document.addEventListener('DOMContentLoaded', function () { localiseTimes(document); });
  document.addEventListener('htmx:load', function (event) { localiseTimes(event.target); });

  // The open thread's poll marks messages seen only while the page is actually visible.
  document.addEventListener('htmx:configRequest', function (event) {
    if (event.target.id === 'thread-tail' && document.visibilityState === 'visible') {
      event.detail.parameters.seen = '1';
    }
  });

  document.addEventListener('htmx:beforeSwap', function (event) {
    var source = event.detail.requestConfig && event.detail.requestConfig.elt;
    // A refused send shows its reason in the composer and keeps the text.
    if (event.detail.xhr.status >= 400 && source && source.dataset && source.dataset.errorTarget) {
      event.detail.shouldSwap = true;
      event.detail.target = document.querySelector(source.dataset.errorTarget);
      event.detail.swapOverride = 'innerHTML';
      return;
    }
    // A sent message a live event already drew is not drawn twice: the answer's copy replaces it
    // (the answer must still swap: it brings the next message's client id, out of band).
    if (source && source.id === 'composer' && event.detail.xhr.status === 200) {
      var match = /id="m-(\d+)"/.exec(event.detail.serverResponse || '');
      var drawn = match && document.getElementById('m-' + match[1]);
      if (drawn) drawn.remove();
    }
  });

  document.addEventListener('htmx:afterRequest', function (event) {
    var form = event.detail.elt;
    if (!form || form.id !== 'composer') return;
    var box = form.querySelector('textarea');
    var error = form.querySelector('#composer-error');
    if (event.detail.successful) {
      box.value = '';
      clearAttachments(form);
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

  // After a row's action redraws the list, keyboard focus goes back to that row (or the list).
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

  // Which way the page slides on a phone (see app.css): set before htmx starts the view transition.
  document.addEventListener('click', function (event) {
    var link = event.target.closest && event.target.closest('a[data-nav]');
    if (link) document.documentElement.setAttribute('data-nav', link.getAttribute('data-nav'));
  }, true);

  // Enter sends, Shift+Enter starts a new line (on devices with a physical keyboard).
  document.addEventListener('keydown', function (event) {
    var box = event.target;
    if (box.id !== 'composer-body' || event.key !== 'Enter' || event.shiftKey || event.isComposing) return;
    if (window.matchMedia('(pointer: coarse)').matches) return;
    event.preventDefault();
    var files = box.form.querySelector('[data-attach-input]');
    if (box.value.trim() || (files && files.files.length)) box.form.requestSubmit();
  });

  // ---- Live events (Server-Sent Events through htmx's sse extension) ----
  // Events are hints; the page then draws from the server's own partials or asks for a fresh part.
  var live = false;
  var everOpened = false;

  function openThread(conversationId) {
    return document.querySelector('[data-thread="' + conversationId + '"]');
  }

  // A refresh asked for while one is in flight runs once that one is done: its answer may
  // predate the change that prompted the second ask (and a swapped-out element forgets queues).
  var tailBusy = false;
  var tailAgain = false;
  function refreshTail() {
    var tail = document.getElementById('thread-tail');
    if (!tail) return;
    if (tailBusy) {
      tailAgain = true;
      return;
    }
    htmx.trigger(tail, 'refresh');
  }
  document.addEventListener('htmx:beforeSend', function (event) {
    if (event.detail.elt && event.detail.elt.id === 'thread-tail') tailBusy = true;
  });
  function tailDone() {
    tailBusy = false;
    if (tailAgain) {
      tailAgain = false;
      setTimeout(refreshTail, 0);
    }
  }
  // An answer that swaps in a new tail ends on the new element (the old one is detached, so its
  // own events never reach the document); a 304 or an error ends on the old one.
  document.addEventListener('htmx:load', function (event) {
    if (event.target.id === 'thread-tail') tailDone();
  });
  document.addEventListener('htmx:afterRequest', function (event) {
    if (event.detail.elt && event.detail.elt.id === 'thread-tail' && event.detail.elt.isConnected) tailDone();
  });

  function refreshBadge() {
    var badge = document.getElementById('messages-badge');
    if (badge) htmx.trigger(badge, 'refresh');
  }

  function setTitleCount(count) {
    var title = document.title.replace(/^\(\d+\) /, '');
    document.title = (count > 0 ? '(' + count + ') ' : '') + title;
  }

  function part(container, name) {
    var template = container.querySelector('template[data-part="' + name + '"]');
    return template ? template.content.firstElementChild : null;
  }

  function showToast(text, href) {
    var box = document.getElementById('toasts');
    if (!box) return;
    var toast = document.createElement('a');
    toast.href = href;
    toast.className = 'toast pointer-events-auto rounded-full bg-slate-900 px-4 py-2 text-sm font-medium text-white shadow-lg';
    toast.textContent = text;
    box.appendChild(toast);
    setTimeout(function () { toast.remove(); }, 6000);
  }

  function notify(text, href) {
    if (!('Notification' in window) || Notification.permission !== 'granted') return;
    if (localStorage.getItem('courier.notifications') !== 'on' || document.visibilityState === 'visible') return;
    var note = new Notification('Courier', { body: text, tag: href });
    note.onclick = function () { window.focus(); window.location.href = href; };
  }

  // An event's data is one element (and what it holds): parse it without adding it to the page.
  function firstElementOf(data) {
    var holder = document.createElement('div');
    holder.innerHTML = data;
    return holder.firstElementChild;
  }

  // My row of a conversation, drawn by the server, placed in the page's inbox list if it has one:
  // a new message moves it to the top; any other change redraws it where it is (or takes it out
  // of a tab it no longer belongs to).
  function placeRow(row, toTop) {
    var inbox = document.getElementById('inbox-list');
    if (!row || !inbox) return;
    var id = row.getAttribute('data-conversation-id');
    var old = inbox.querySelector('[data-conversation-id="' + id + '"]');
    var results = document.getElementById('inbox-results');
    var tab = (results && results.getAttribute('data-filter')) || 'all';
    var belongs = tab === 'archived' ? row.getAttribute('data-archived') === 'true' : row.getAttribute('data-archived') !== 'true' && (tab !== 'unread' || row.getAttribute('data-unread') === 'true');
    if (openThread(id)) {
      row.classList.add('bg-brand-50');
      var link = row.querySelector('a');
      if (link) link.setAttribute('aria-current', 'page');
    }
    if (!belongs || (!toTop && !old)) {
      if (old && !belongs) old.remove();
      return;
    }
    if (toTop) {
      if (old) old.remove();
      document.querySelectorAll('[data-inbox-empty]').forEach(function (empty) { empty.remove(); });
      inbox.insertBefore(row, inbox.firstChild);
    } else {
      old.replaceWith(row);
    }
    htmx.process(row);
    localiseTimes(row);
  }

  // The unread count comes on its own (in a live event, or out of band with a thread poll that
  // read something): the badge's poll version and the title follow it.
  function setUnreadCount(count) {
    var badge = document.getElementById('messages-badge');
    if (badge) {
      badge.setAttribute('data-unread-count', String(count));
      badge.setAttribute('hx-get', '/messages/badge?v=' + count);
    }
    setTitleCount(count);
  }

  // My messages' ticks and the "Seen" line, from the other side's watermarks (a number compared
  // with each message's id: what attributes cannot say).
  function applyReceipts(receipts) {
    var thread = openThread(receipts.id.slice('receipts-'.length));
    if (!thread) return;
    var read = Number(receipts.getAttribute('data-read')) || 0;
    var delivered = Number(receipts.getAttribute('data-delivered')) || 0;
    var lastSeen = null;
    thread.querySelectorAll('#thread-messages li.mine[data-message-id]').forEach(function (li) {
      var ticks = li.querySelector('[data-ticks]');
      if (!ticks) return; // deleted or removed: no ticks
      var id = Number(li.getAttribute('data-message-id'));
      var status = id <= read ? 'seen' : id <= delivered ? 'delivered' : 'sent';
      if (status === 'seen') lastSeen = li;
      if (li.getAttribute('data-status') === status) return;
      li.setAttribute('data-status', status);
      var drawn = document.getElementById('ticks-' + status);
      if (drawn) ticks.replaceWith(drawn.content.firstElementChild.cloneNode(true));
    });
    var marker = thread.querySelector('[data-seen-marker]');
    if (!lastSeen || (marker && lastSeen.contains(marker))) return;
    if (!marker) {
      var template = document.getElementById('seen-marker');
      marker = template && template.content.firstElementChild.cloneNode(true);
      if (marker) marker.setAttribute('data-seen-marker', '');
    }
    var column = lastSeen.querySelector('.msg-col');
    if (marker && column) column.appendChild(marker);
  }

  // A live message's note: who wrote, for a toast or a notification when it is not on screen.
  function onNote(note) {
    var conversationId = note.getAttribute('data-conversation-id');
    if (!conversationId || note.getAttribute('data-muted') === 'true') return;
    var thread = openThread(conversationId);
    var href = '/messages/' + conversationId;
    var text = note.getAttribute('data-toast');
    if (!thread && !document.getElementById('inbox-list')) showToast(text, href);
    if (!thread || document.visibilityState !== 'visible') notify(text, href);
  }

  // Live events are out-of-band fragments the server drew; htmx swaps them. A message the page
  // already shows (the one it just sent) is not appended twice; a changed message (deleted,
  // reacted to) comes to replace itself, and does.
  document.addEventListener('htmx:oobBeforeSwap', function (event) {
    var incoming = event.detail.fragment && event.detail.fragment.firstElementChild;
    var drawn = incoming && /^m-\d+$/.test(incoming.id || '') && document.getElementById(incoming.id);
    if (drawn && drawn !== event.detail.target) event.detail.shouldSwap = false;
  });
  // After a live event or an answer that brought out-of-band parts, each part that landed takes
  // its place (each is read once: the row leaves its sink, the note loses its data).
  function settleLive() {
    var sink = document.getElementById('row-sink');
    var row = sink && part(sink, 'row');
    if (row) {
      placeRow(row, sink.getAttribute('data-place') === 'top');
      sink.replaceChildren();
    }
    var note = document.getElementById('live-note');
    if (note && note.hasAttribute('data-conversation-id')) {
      onNote(note);
      note.removeAttribute('data-conversation-id');
    }
    var count = document.getElementById('messages-count');
    if (count) setUnreadCount(Number(count.getAttribute('data-count')) || 0);
    document.querySelectorAll('[data-thread] [id^="receipts-"]').forEach(applyReceipts);
  }
  document.addEventListener('htmx:sseMessage', function (event) {
    settleLive();
    // Their message came: their "typing…" ends.
    var thread = event.detail.type === 'message' && /\[data-thread='(\d+)'\]/.exec(event.detail.data || '');
    var typing = thread && openThread(thread[1]) && openThread(thread[1]).querySelector('[data-typing]');
    if (typing && event.detail.data.indexOf('class="msg mine') === -1) typing.classList.add('hidden');
  });
  document.addEventListener('htmx:afterSettle', settleLive);

  // A live message comes without the six reaction choices (none are mine yet): they are copied
  // in from the page's one template when its "Add reaction" is first opened.
  document.addEventListener('toggle', function (event) {
    var details = event.target;
    if (!details.open || !details.closest || !details.closest('[data-reactions]') || details.querySelector('.reaction-choices')) return;
    var template = document.getElementById('reaction-choices');
    if (template) details.appendChild(template.content.cloneNode(true));
  }, true);

  // The page tells the server what it shows (its stream's name, the conversation open at its
  // newest messages, whether it is visible) when that changes: then the server decides what is
  // seen, and sends a message's text only to pages that show its conversation.
  var streamId = null;
  var lastView = '';
  function reportView() {
    if (!streamId) return;
    var thread = document.querySelector('[data-thread]');
    var c = thread && thread.querySelector('#thread-messages') ? thread.getAttribute('data-thread') : '';
    var visible = document.visibilityState === 'visible' ? '1' : '0';
    var key = streamId + ' ' + c + ' ' + visible;
    if (key === lastView) return;
    lastView = key;
    var headers = JSON.parse(document.body.getAttribute('hx-headers') || '{}');
    headers['HX-Request'] = 'true';
    fetch('/messages/view', { method: 'POST', headers: headers, credentials: 'same-origin', body: new window.URLSearchParams({ stream: streamId, c: c, visible: visible }) }).catch(function () {});
  }
  document.addEventListener('visibilitychange', reportView);
  // A navigation says it with its own request: the server moves the stream's view before reading
  // the new page (see page-view.ts). Then the visibility report starts from the new page.
  document.addEventListener('htmx:configRequest', function (event) {
    if (!streamId) return;
    event.detail.headers['X-Stream'] = streamId;
    event.detail.headers['X-Visible'] = document.visibilityState === 'visible' ? '1' : '0';
  });
  document.addEventListener('htmx:afterSettle', function () {
    if (!streamId) return;
    var thread = document.querySelector('[data-thread]');
    var c = thread && thread.querySelector('#thread-messages') ? thread.getAttribute('data-thread') : '';
    lastView = streamId + ' ' + c + ' ' + (document.visibilityState === 'visible' ? '1' : '0');
  });

  var typingTimers = {};
  function onTyping(data) {
    var hint = firstElementOf(data);
    var thread = hint && openThread(hint.getAttribute('data-conversation-id'));
    var indicator = thread && thread.querySelector('[data-typing]');
    if (!indicator) return;
    indicator.classList.remove('hidden');
    clearTimeout(typingTimers.hide);
    typingTimers.hide = setTimeout(function () { indicator.classList.add('hidden'); }, 5000);
  }

  function onPresence(data) {
    var fresh = firstElementOf(data);
    if (!fresh) return;
    var userId = fresh.getAttribute('data-presence-user');
    document.querySelectorAll('[data-presence-user="' + userId + '"]').forEach(function (el) {
      var copy = fresh.cloneNode(true);
      el.replaceWith(copy);
      localiseTimes(copy);
    });
  }

  document.addEventListener('htmx:sseBeforeMessage', function (event) {
    var type = event.detail.type;
    var data = event.detail.data;
    // Drawn by the server, swapped by htmx (out of band).
    if (type === 'message' || type === 'mine' || type === 'read') return;
    event.preventDefault();
    if (type === 'hello') {
      streamId = data;
      lastView = '';
      reportView();
    } else if (type === 'typing') onTyping(data);
    else if (type === 'presence') onPresence(data);
    else if (type === 'resync') { refreshTail(); refreshBadge(); }
  });

  document.addEventListener('htmx:sseOpen', function () {
    live = true;
    document.documentElement.setAttribute('data-live', 'true');
    // Whatever came before the stream opened (after the page was drawn, or while it was down) is
    // fetched once from the database: an unchanged thread answers 304.
    refreshTail();
    if (everOpened) refreshBadge();
    everOpened = true;
  });
  document.addEventListener('htmx:sseError', function () {
    live = false;
    document.documentElement.removeAttribute('data-live');
  });

  // While the stream is live, timed polls are skipped; explicit refreshes still go out.
  document.addEventListener('htmx:beforeRequest', function (event) {
    var trigger = event.detail.requestConfig && event.detail.requestConfig.triggeringEvent;
    var isPoll = event.detail.elt && (event.detail.elt.id === 'thread-tail' || event.detail.elt.id === 'messages-badge');
    if (live && isPoll && !(trigger && trigger.type === 'refresh')) event.preventDefault();
  });

  // "Typing…": tell the other side at most every 3 seconds while typing.
  var lastTyping = 0;
  document.addEventListener('input', function (event) {
    var box = event.target;
    if (box.id !== 'composer-body' || !box.value.trim()) return;
    var now = Date.now();
    if (now - lastTyping < 3000) return;
    lastTyping = now;
    // A bare signal: the draft itself never leaves the page before it is sent.
    var headers = JSON.parse(document.body.getAttribute('hx-headers') || '{}');
    headers['HX-Request'] = 'true';
    fetch(box.form.getAttribute('action').replace(/\/messages$/, '/typing'), { method: 'POST', headers: headers, credentials: 'same-origin' });
  });
  document.addEventListener('htmx:afterRequest', function (event) {
    if (event.detail.elt && event.detail.elt.id === 'composer') lastTyping = 0;
  });

  // Browser notifications: offered from a button in settings, never asked for on load.
  function describeNotifications(state) {
    if (!state) return;
    if (!('Notification' in window)) state.textContent = 'This browser cannot show notifications.';
    else if (Notification.permission === 'denied') state.textContent = 'Blocked in this browser’s site settings.';
    else if (Notification.permission === 'granted' && localStorage.getItem('courier.notifications') === 'on') state.textContent = 'On for this browser.';
    else state.textContent = 'Off.';
  }
  document.addEventListener('DOMContentLoaded', function () {
    var panel = document.querySelector('[data-notifications-panel]');
    if (!panel) return;
    panel.classList.remove('hidden');
    var state = panel.querySelector('[data-notifications-state]');
    var button = panel.querySelector('[data-enable-notifications]');
    var on = localStorage.getItem('courier.notifications') === 'on' && window.Notification && Notification.permission === 'granted';
    button.textContent = on ? 'Turn off notifications' : 'Turn on notifications';
    describeNotifications(state);
    button.addEventListener('click', function () {
      if (localStorage.getItem('courier.notifications') === 'on') {
        localStorage.removeItem('courier.notifications');
        button.textContent = 'Turn on notifications';
        describeNotifications(state);
        return;
      }
      if (!('Notification' in window)) return describeNotifications(state);
      Notification.requestPermission().then(function (permission) {
        if (permission === 'granted') {
          localStorage.setItem('courier.notifications', 'on');
          button.textContent = 'Turn off notifications';
        }
        describeNotifications(state);
      });
    });
  });

  // ---- Emoji picker (composer) and reactions ----
  // The picker is rendered hidden: without this script, emoji come from the device's keyboard.
  function revealPickers(root) {
    if (!root.querySelectorAll) return;
    if (root.matches && root.matches('[data-emoji-picker]')) root.hidden = false;
    root.querySelectorAll('[data-emoji-picker][hidden]').forEach(function (picker) { picker.hidden = false; });
  }
  document.addEventListener('DOMContentLoaded', function () { revealPickers(document); });
  document.addEventListener('htmx:load', function (event) { revealPickers(event.target); });

  function setPicker(picker, open, focusToggle) {
    var toggle = picker.querySelector('[aria-haspopup]');
    var panel = picker.querySelector('[role="dialog"]');
    panel.hidden = !open;
    toggle.setAttribute('aria-expanded', String(open));
    if (open) panel.querySelector('button').focus();
    else if (focusToggle) toggle.focus();
  }
  function closePickers(except, focusToggle) {
    document.querySelectorAll('[data-emoji-picker] [role="dialog"]:not([hidden])').forEach(function (panel) {
      var picker = panel.closest('[data-emoji-picker]');
      if (picker !== except) setPicker(picker, false, focusToggle);
    });
  }

  // Inserts at the cursor (or over the selection) and tells listeners, as typing would.
  function insertAtCursor(box, text) {
    var start = box.selectionStart;
    var end = box.selectionEnd;
    box.focus();
    box.setRangeText(text, start, end, 'end');
    box.dispatchEvent(new window.Event('input', { bubbles: true }));
  }

  document.addEventListener('click', function (event) {
    var button = event.target.closest && event.target.closest('[data-emoji-picker] button');
    var picker = button && button.closest('[data-emoji-picker]');
    closePickers(picker, false); // a click anywhere else closes an open picker
    if (!button) return;
    if (button.hasAttribute('aria-haspopup')) return setPicker(picker, button.getAttribute('aria-expanded') !== 'true', true);
    var box = picker.closest('form').querySelector('textarea');
    setPicker(picker, false, false);
    insertAtCursor(box, button.getAttribute('data-emoji'));
  });

  document.addEventListener('keydown', function (event) {
    var panel = event.target.closest && event.target.closest('[data-emoji-picker] [role="dialog"]');
    if (event.key === 'Escape') return closePickers(null, true);
    if (!panel) return;
    var steps = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -8, ArrowDown: 8 };
    if (!(event.key in steps)) return;
    var buttons = Array.prototype.slice.call(panel.querySelectorAll('button'));
    var next = buttons[buttons.indexOf(event.target) + steps[event.key]];
    event.preventDefault();
    if (next) next.focus();
  });
  // Tabbing out of an open picker closes it.
  document.addEventListener('focusin', function (event) {
    var picker = event.target.closest && event.target.closest('[data-emoji-picker]');
    closePickers(picker, false);
  });

  // A reaction's form redraws itself (and the tail redraws the thread just after): focus then goes
  // back to that emoji's pill, or to "Add reaction" when the count went away, unless it moved on.
  var reacted = null;
  document.addEventListener('click', function (event) {
    var button = event.target.closest && event.target.closest('[data-reactions] button[name="react"]');
    reacted = button ? { form: button.form.id, emoji: button.value.replace(/:[01]$/, ''), until: Date.now() + 5000 } : null;
  });
  document.addEventListener('htmx:load', function () {
    if (!reacted || Date.now() > reacted.until || (document.activeElement && document.activeElement !== document.body)) return;
    var form = document.getElementById(reacted.form);
    var target = form && (form.querySelector('button[data-emoji="' + reacted.emoji + '"]') || form.querySelector('summary'));
    if (target) target.focus({ preventScroll: true });
  });

  // ---- Files in the composer: a list of the chosen files, drag-and-drop, paste, upload progress ----
  // Without JS the file input is a plain one and the form posts multipart all the same.
  function attachInput(form) { return form && form.querySelector('[data-attach-input]'); }

  function formatSize(bytes) {
    if (bytes < 1024) return bytes + ' bytes';
    if (bytes < 1048576) return Math.round(bytes / 1024) + ' KB';
    return (bytes / 1048576).toFixed(1) + ' MB';
  }

  function setFiles(input, files) {
    var transfer = new DataTransfer();
    files.forEach(function (file) { transfer.items.add(file); });
    input.files = transfer.files;
    input.chosen = files;
    drawChosen(input);
  }

  function drawChosen(input) {
    var box = input.closest('[data-composer-files]');
    var list = box.querySelector('[data-attach-list]');
    if (!list) {
      list = document.createElement('ul');
      list.setAttribute('data-attach-list', '');
      list.setAttribute('aria-label', 'Files to send');
      list.className = 'flex w-full flex-wrap gap-1';
      box.insertBefore(list, box.firstChild);
    }
    list.textContent = '';
    list.hidden = input.files.length === 0;
    Array.prototype.forEach.call(input.files, function (file, index) {
      var item = document.createElement('li');
      item.className = 'inline-flex items-center gap-1 rounded-full bg-slate-100 py-1 pl-2 pr-1';
      item.textContent = file.name + ' · ' + formatSize(file.size);
      var remove = document.createElement('button');
      remove.type = 'button';
      remove.className = 'inline-flex h-6 w-6 items-center justify-center rounded-full text-slate-500 hover:bg-slate-200';
      remove.setAttribute('aria-label', 'Remove ' + file.name);
      remove.textContent = '×';
      remove.addEventListener('click', function () {
        var kept = Array.prototype.filter.call(input.files, function (_, i) { return i !== index; });
        setFiles(input, kept);
        input.form.querySelector('textarea').focus();
      });
      item.appendChild(remove);
      list.appendChild(item);
    });
  }

  function clearAttachments(form) {
    var input = attachInput(form);
    if (!input) return;
    input.value = '';
    input.chosen = [];
    drawChosen(input);
    // Files kept from a refused send went with this one.
    form.querySelectorAll('input[name="attachment_id"]').forEach(function (box) { box.closest('label').remove(); });
  }

  function addFiles(form, added) {
    var input = attachInput(form);
    if (!input || !added.length) return false;
    setFiles(input, Array.prototype.slice.call(input.files).concat(Array.prototype.slice.call(added)));
    return true;
  }

  // Picking files adds them to those already dropped, pasted or picked (a file input alone would
  // replace them).
  document.addEventListener('change', function (event) {
    var input = event.target;
    if (!input.matches || !input.matches('[data-attach-input]')) return;
    var before = input.chosen || [];
    var picked = Array.prototype.slice.call(input.files);
    setFiles(input, before.concat(picked.filter(function (file) {
      return !before.some(function (had) { return had.name === file.name && had.size === file.size && had.lastModified === file.lastModified; });
    })));
  });
  document.addEventListener('dragover', function (event) {
    var form = event.target.closest && event.target.closest('#composer');
    if (!attachInput(form)) return;
    event.preventDefault();
    form.classList.add('ring-2', 'ring-brand-600');
  });
  document.addEventListener('dragleave', function (event) {
    var form = event.target.closest && event.target.closest('#composer');
    if (form && !form.contains(event.relatedTarget)) form.classList.remove('ring-2', 'ring-brand-600');
  });
  document.addEventListener('drop', function (event) {
    var form = event.target.closest && event.target.closest('#composer');
    if (!attachInput(form)) return;
    event.preventDefault();
    form.classList.remove('ring-2', 'ring-brand-600');
    addFiles(form, event.dataTransfer.files);
  });
  document.addEventListener('paste', function (event) {
    if (event.target.id !== 'composer-body' || !event.clipboardData || !event.clipboardData.files.length) return;
    if (addFiles(event.target.form, event.clipboardData.files)) event.preventDefault();
  });
  // A bar for uploads big enough to take a while.
  document.addEventListener('htmx:xhr:progress', function (event) {
    var form = event.target;
    var bar = form && form.id === 'composer' && form.querySelector('[data-upload-progress]');
    if (!bar || !event.detail.lengthComputable || event.detail.total < 200000) return;
    bar.classList.remove('hidden');
    bar.value = Math.round((event.detail.loaded / event.detail.total) * 100);
  });
  document.addEventListener('htmx:afterRequest', function (event) {
    var bar = event.detail.elt && event.detail.elt.id === 'composer' && event.detail.elt.querySelector('[data-upload-progress]');
    if (bar) {
      bar.classList.add('hidden');
      bar.value = 0;
    }
  });
})();
