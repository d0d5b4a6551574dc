// Shared helpers; no markup of its own. The build (scripts/build-assets.mjs) joins the files of
// this folder in a declared order into the one script the page loads, each file in its own
// function scope under one `Courier` object the build declares: what a file offers the others
// goes on it, and is read only when a listener runs (so the order matters little).

// For a request made with fetch rather than htmx: the headers htmx would send (the CSRF token from
// <body hx-headers>, and HX-Request so the server answers as it does to htmx).
// The first element of some markup (an event's data, a fetched part), parsed inert: nothing in it
// loads or runs until it is put in the page.
Courier.firstElementOf = function (html) {
  var holder = document.createElement('template');
  holder.innerHTML = html;
  return holder.content.firstElementChild;
};

// The page's inert markup for the script: <script type="text/html" id=…>, not <template>, which a
// browser without CSS or scripts (w3m) prints. A fresh copy of its first element each time.
Courier.fromPage = function (id) {
  var source = document.getElementById(id);
  return source ? Courier.firstElementOf(source.textContent) : null;
};

// The open thread of that conversation on this page, if any.
Courier.openThread = function (conversationId) {
  return document.querySelector('[data-thread="' + conversationId + '"]');
};

Courier.requestHeaders = function () {
  var headers = JSON.parse(document.body.getAttribute('hx-headers') || '{}');
  headers['HX-Request'] = 'true';
  return headers;
};
